"""Making the monthly report and keeping its files.

``report_document`` reads (the analysis data as a document); ``report_generate`` writes: it
renders one format, stores the file under ``MEDIA_ROOT/reports/`` and records a
:class:`ReportRun`. The worker, the console, the API and the CLI all come through here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from kesu.accounts.models import Department, User
from kesu.analysis.filters import NO_FILTERS, Filters
from kesu.analysis.periods import Period
from kesu.analysis.report_data import MonthlyReport
from kesu.reports.document import Document
from kesu.reports.models import ReportFormat, ReportRun, ReportSource
from kesu.reports.rendering import render_html, render_pdf
from kesu.reports.sections import Links, build_document
from kesu.reports.workbook import render_xlsx

RENDERERS: dict[str, Callable[[Document], bytes]] = {
    ReportFormat.PDF: render_pdf,
    ReportFormat.XLSX: render_xlsx,
    ReportFormat.HTML: lambda doc: render_html(doc).encode(),
}


def parse_month(text: str) -> dt.date:
    """'2026-10' → 2026-10-01; ValueError for anything else."""
    return Period.parse_month(text).first_day


def previous_month(now: dt.datetime) -> dt.date:
    first = timezone.localtime(now).date().replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def monthly_data(
    month: dt.date, filters: Filters = NO_FILTERS, *, now: dt.datetime | None = None
) -> MonthlyReport:
    """The analysis data of the month (the one call into ``kesu.analysis``'s builder)."""
    from kesu.analysis.report import build_monthly_report

    return build_monthly_report(
        Period.month(month.year, month.month),
        filters=filters,
        language=translation.get_language() or "zh-hans",
        now=now or timezone.now(),
    )


def report_document(
    month: dt.date,
    *,
    department: Department | None = None,
    now: dt.datetime | None = None,
    links: Links | None = None,
) -> Document:
    """The month's report (the whole company, or one department) in the active language."""
    filters = NO_FILTERS.with_department(department) if department is not None else NO_FILTERS
    report = monthly_data(month, filters, now=now)
    scope = department.name if department is not None else ""
    return build_document(report, scope=scope, links=links)


def report_generate(
    *,
    month: dt.date,
    fmt: str,
    source: str,
    department: Department | None = None,
    user: User | None = None,
    now: dt.datetime | None = None,
    language: str = "zh-hans",
) -> ReportRun:
    """Render the month's report in ``fmt`` and keep it. A scheduled run (``source`` worker)
    exists at most once per month and format: a second call returns the first run."""
    fmt = ReportFormat(fmt)
    now = now or timezone.now()
    if source == ReportSource.WORKER:
        found = ReportRun.objects.filter(month=month, format=fmt, source=source).first()
        if found is not None:
            return found
    with translation.override(language):
        doc = report_document(month, department=department, now=now)
        content = RENDERERS[fmt](doc)
    run = ReportRun(
        month=month,
        format=fmt,
        department=department,
        language=language,
        source=source,
        generated_by=user,
        generated_at=now,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    run.file.save(run.filename, ContentFile(content), save=False)
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:
        # Another worker stored the same scheduled run meanwhile: keep theirs, drop our file.
        run.file.delete(save=False)
        return ReportRun.objects.get(month=month, format=fmt, source=source)
    return run
