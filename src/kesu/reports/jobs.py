"""The worker's monthly report (schedule ``"monthly 1 08:00"`` in ``outbox.worker.DEFAULT_JOBS``):
last month's PDF and workbook, kept as report runs and sent to management.

Who receives it: executives, quality staff and the customer-service managers (who may read
the whole company's analysis, ``analysis.access``) get the message with the PDF attached;
department managers get the same message without the attachment, and their links open their
own department's report. Idempotent: the runs are
unique per month and format, and the messages carry a dedupe key per month, so a second run
(two workers, a restart) makes no second file or message.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from kesu.accounts.models import Role, User
from kesu.analysis.access import may_see_analysis, sees_all_analysis
from kesu.outbox.services import notify
from kesu.reports.models import ReportFormat, ReportRun, ReportSource
from kesu.reports.services import previous_month, report_generate

EVENT = "report.monthly"
RECIPIENT_ROLES = (Role.EXECUTIVE, Role.QUALITY, Role.MANAGER)


@dataclass(frozen=True)
class MonthlyResult:
    month: str
    runs: list[int]
    messages: int


def recipients() -> tuple[list[User], list[User]]:
    """(those who see the whole company, department managers), active staff only."""
    users = (
        User.objects.filter(is_active=True)
        .filter(Q(role__in=RECIPIENT_ROLES))
        .select_related("department")
        .order_by("pk")
    )
    whole = [u for u in users if sees_all_analysis(u)]
    own = [u for u in users if not sees_all_analysis(u) and may_see_analysis(u)]
    return whole, own


def _links(month: dt.date) -> dict[str, str]:
    base = settings.KESU_BASE_URL.rstrip("/")
    label = f"{month:%Y-%m}"
    return {
        "month": label,
        "link": base + reverse("console:report_monthly", args=[label]),
        "pdf_link": base + reverse("api:report_monthly_pdf", args=[label]),
        "xlsx_link": base + reverse("api:report_monthly_xlsx", args=[label]),
    }


def _attachment(run: ReportRun) -> dict[str, str]:
    return {"path": run.file.name, "name": run.filename, "type": run.content_type}


def monthly_report(*, now: dt.datetime) -> MonthlyResult:
    month = previous_month(now)
    runs = [
        report_generate(month=month, fmt=fmt, source=ReportSource.WORKER, now=now)
        for fmt in (ReportFormat.PDF, ReportFormat.XLSX)
    ]
    pdf = runs[0]
    whole, own = recipients()
    context = _links(month)
    key = f"{EVENT}:{month:%Y-%m}"
    with transaction.atomic():
        sent = notify(
            event=EVENT,
            complaint_id=None,
            context={**context, "attachments": [_attachment(pdf)]},
            users=whole,
            dedupe_key=key,
        )
        sent += notify(event=EVENT, complaint_id=None, context=context, users=own, dedupe_key=key)
    return MonthlyResult(month=f"{month:%Y-%m}", runs=[r.pk for r in runs], messages=len(sent))
