"""A customer's identity can be erased on request (services.customer_data, docs/privacy.md):
``Customer.erased_at``, the contact constraint relaxed for erased customers, and the log of
exports and erasures (who, when, why — never the data)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0011_event_seal"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="erased_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="erased at"),
        ),
        migrations.RemoveConstraint(model_name="customer", name="customer_has_contact"),
        migrations.AddConstraint(
            model_name="customer",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("phone", ""), _negated=True),
                    models.Q(("email", ""), _negated=True),
                    ("erased_at__isnull", False),
                    _connector="OR",
                ),
                name="customer_has_contact",
            ),
        ),
        migrations.CreateModel(
            name="CustomerDataLog",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("export", "Export"), ("erasure", "Erasure")],
                        max_length=10,
                        verbose_name="kind",
                    ),
                ),
                (
                    "via",
                    models.CharField(
                        choices=[
                            ("console", "Console"),
                            ("api", "API"),
                            ("command", "Command line"),
                        ],
                        max_length=10,
                        verbose_name="through",
                    ),
                ),
                ("at", models.DateTimeField(verbose_name="at")),
                ("reason", models.TextField(blank=True, verbose_name="reason")),
                ("summary", models.JSONField(blank=True, default=dict, verbose_name="summary")),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="by",
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="data_log",
                        to="complaints.customer",
                        verbose_name="customer",
                    ),
                ),
            ],
            options={
                "verbose_name": "customer data request",
                "verbose_name_plural": "customer data requests",
                "ordering": ["-at", "-id"],
            },
        ),
    ]
