"""``complaint_id`` (plain integer, made before the complaints app had migrations) becomes a
ForeignKey to ``complaints.Complaint``. Same column, same values: only the constraint is added.
"""

import django.db.models.deletion
from django.db import migrations, models


def complaint_fk(db_column: str | None = None) -> models.ForeignKey:
    return models.ForeignKey(
        blank=True,
        null=True,
        on_delete=django.db.models.deletion.SET_NULL,
        related_name="outbox_messages",
        to="complaints.complaint",
        verbose_name="complaint",
        db_column=db_column,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_initial"),
        ("outbox", "0001_initial"),
    ]

    operations = [
        # Ids of complaints that no longer exist would make the new constraint fail.
        migrations.RunSQL(
            "UPDATE outbox_outboxmessage SET complaint_id = NULL WHERE complaint_id IS NOT NULL"
            " AND complaint_id NOT IN (SELECT id FROM complaints_complaint)",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.SeparateDatabaseAndState(
            # In the database: the existing column gets the foreign-key constraint.
            database_operations=[
                migrations.AlterField(
                    model_name="outboxmessage",
                    name="complaint_id",
                    field=complaint_fk(db_column="complaint_id"),
                ),
            ],
            # In the model state: field ``complaint`` (column ``complaint_id``) replaces it.
            state_operations=[
                migrations.RemoveField(model_name="outboxmessage", name="complaint_id"),
                migrations.AddField(
                    model_name="outboxmessage",
                    name="complaint",
                    field=complaint_fk(),
                ),
            ],
        ),
    ]
