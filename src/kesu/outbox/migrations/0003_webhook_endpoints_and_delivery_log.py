"""Outgoing webhooks: endpoints, the ``webhook`` channel with its endpoint on the outbox row,
and the delivery log (one row per HTTP attempt). Schema only; reversible."""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
import kesu.outbox.models
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0002_outboxmessage_complaint_fk"),
    ]

    operations = [
        migrations.CreateModel(
            name="WebhookEndpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                (
                    "url",
                    models.URLField(
                        max_length=500,
                        validators=[django.core.validators.URLValidator(schemes=["http", "https"])],
                        verbose_name="URL",
                    ),
                ),
                (
                    "secret",
                    models.CharField(
                        default=kesu.outbox.models.new_webhook_secret,
                        editable=False,
                        max_length=100,
                        verbose_name="secret",
                    ),
                ),
                (
                    "events",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text="Timeline event kinds to send; none selected: all.",
                        verbose_name="events",
                    ),
                ),
                ("is_active", models.BooleanField(default=True, verbose_name="active")),
                (
                    "created_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, editable=False, verbose_name="created at"
                    ),
                ),
            ],
            options={
                "verbose_name": "webhook endpoint",
                "verbose_name_plural": "webhook endpoints",
                "ordering": ["name"],
            },
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="channel",
            field=models.CharField(
                choices=[
                    ("email", "Email"),
                    ("sms", "SMS"),
                    ("inapp", "In-app"),
                    ("webhook", "Webhook"),
                ],
                max_length=10,
                verbose_name="channel",
            ),
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="webhook_endpoint",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="messages",
                to="outbox.webhookendpoint",
                verbose_name="webhook endpoint",
            ),
        ),
        migrations.CreateModel(
            name="WebhookDelivery",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("attempt", models.PositiveSmallIntegerField(verbose_name="attempt")),
                ("at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="at")),
                (
                    "duration_ms",
                    models.PositiveIntegerField(default=0, verbose_name="duration (ms)"),
                ),
                (
                    "status_code",
                    models.PositiveSmallIntegerField(
                        blank=True, null=True, verbose_name="HTTP status"
                    ),
                ),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("sent", "Delivered"),
                            ("retry", "Failed, will retry"),
                            ("failed", "Failed for good"),
                        ],
                        max_length=10,
                        verbose_name="outcome",
                    ),
                ),
                (
                    "response_excerpt",
                    models.TextField(blank=True, verbose_name="response (first 1 KB)"),
                ),
                ("error", models.TextField(blank=True, verbose_name="error")),
                (
                    "message",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="webhook_deliveries",
                        to="outbox.outboxmessage",
                        verbose_name="message",
                    ),
                ),
                (
                    "endpoint",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="outbox.webhookendpoint",
                        verbose_name="endpoint",
                    ),
                ),
            ],
            options={
                "verbose_name": "webhook delivery",
                "verbose_name_plural": "webhook deliveries",
                "ordering": ["-at", "-id"],
                "indexes": [
                    models.Index(fields=["endpoint", "-at"], name="outbox_webhook_log_idx")
                ],
            },
        ),
    ]
