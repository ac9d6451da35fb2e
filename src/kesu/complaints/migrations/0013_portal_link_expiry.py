"""Private links that end (kesu.complaints.services.portal_links): the stored end of each
complaint's link, and the event kind of a link replaced by staff.

Complaints already finished get their end in one UPDATE, whatever the size of the table:
closed ones from their closing time plus KESU_PORTAL_LINK_DAYS (never less than their policy
version's reopen window), rejected and merged ones — whose finishing time is not a column —
from their last change, which for a finished case is when it finished (or later: the link
then lasts a little longer, never shorter). Open complaints keep no end."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.db.models import Case, DurationField, ExpressionWrapper, F, Value, When

DEFAULT_REOPEN_WINDOW_DAYS = 15  # kesu.policy.schema's default


def fill_expiry(apps, schema_editor):
    Complaint = apps.get_model("complaints", "Complaint")
    Policy = apps.get_model("policy", "Policy")
    days = max(0, int(getattr(settings, "KESU_PORTAL_LINK_DAYS", 90)))
    # Policy versions are few: their windows, grouped, become one CASE in the statement.
    by_days: dict[int, list[int]] = {}
    for pk, document in Policy.objects.values_list("pk", "document"):
        window = DEFAULT_REOPEN_WINDOW_DAYS
        if isinstance(document, dict):
            window = int(document.get("reopen_window_days", window))
        by_days.setdefault(max(days, window), []).append(pk)
    after_closure = Case(
        *(
            When(policy_id__in=pks, then=Value(timedelta(days=n)))
            for n, pks in sorted(by_days.items())
        ),
        default=Value(timedelta(days=days)),
        output_field=DurationField(),
    )
    Complaint.objects.filter(state__in=("closed", "rejected", "merged")).update(
        portal_link_expires_at=Case(
            When(
                state="closed",
                closed_at__isnull=False,
                then=ExpressionWrapper(
                    F("closed_at") + after_closure, output_field=models.DateTimeField()
                ),
            ),
            default=ExpressionWrapper(
                F("updated_at") + Value(timedelta(days=days)), output_field=models.DateTimeField()
            ),
            output_field=models.DateTimeField(),
        )
    )


class Migration(migrations.Migration):
    # After the customer-erasure migration, its sibling of the same issue: one line of history.
    dependencies = [
        ("complaints", "0012_customer_erasure"),
        ("policy", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="complaint",
            name="portal_link_expires_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="private link expires at"
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="kind",
            field=models.CharField(
                choices=[
                    ("created", "Recorded"),
                    ("transition", "State changed"),
                    ("acknowledged", "Acknowledged"),
                    ("note", "Note"),
                    ("communication", "Communication"),
                    ("attachment", "Attachment"),
                    ("assignment", "Assignment"),
                    ("level_changed", "Level changed"),
                    ("customer_info", "Customer added information"),
                    ("solution", "Solution"),
                    ("approval", "Approval"),
                    ("task", "Task"),
                    ("meeting", "Meeting"),
                    ("callback", "Callback"),
                    ("extension", "Deadline extension"),
                    ("milestone_warning", "Deadline near"),
                    ("milestone_breached", "Deadline breached"),
                    ("linked", "Linked"),
                    ("batch_alert", "Batch alert"),
                    ("root_cause", "Root cause"),
                    ("portal_link", "Private link replaced"),
                ],
                max_length=24,
            ),
        ),
        migrations.RunPython(fill_expiry, migrations.RunPython.noop, elidable=True),
    ]
