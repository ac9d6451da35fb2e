"""Monthly report files: ``GET /reports/monthly/{month}.pdf|.xlsx|.html`` (the JSON data at
``/reports/monthly/{month}`` is the analysis API's). Each download is rendered now and kept as
a report run; the reader's scope is the analysis access rule (``kesu.reports.scope``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Router

from kesu.api.auth import user_of
from kesu.complaints.errors import InvalidInput
from kesu.reports.models import ReportFormat, ReportSource
from kesu.reports.scope import report_department
from kesu.reports.services import parse_month, report_generate

router = Router(tags=["reports"])


def _file(request: HttpRequest, month: str, fmt: str, department: str | None) -> HttpResponse:
    user = user_of(request)
    scope = report_department(user, department)
    try:
        first = parse_month(month)
    except ValueError:
        raise InvalidInput(errors={"month": _("Give the month as YYYY-MM.")}) from None
    run = report_generate(
        month=first,
        fmt=fmt,
        source=ReportSource.DOWNLOAD,
        department=scope,
        user=user,
        language=translation.get_language() or "zh-hans",
    )
    with run.file.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type=run.content_type)
    response["Content-Disposition"] = f'attachment; filename="{run.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def _describe(fmt: str) -> str:
    return (
        f"The month's analysis report as {fmt.upper()} (rendered now and kept). Executives, "
        "quality and the customer-service manager may pass `department` (a code); a "
        "department manager always gets their own department's report."
    )


@router.get(
    "/reports/monthly/{month}.pdf",
    operation_id="report_monthly_pdf",
    url_name="report_monthly_pdf",
    description=_describe("pdf"),
)
def monthly_pdf(request: HttpRequest, month: str, department: str | None = None) -> HttpResponse:
    return _file(request, month, ReportFormat.PDF, department)


@router.get(
    "/reports/monthly/{month}.xlsx",
    operation_id="report_monthly_xlsx",
    url_name="report_monthly_xlsx",
    description=_describe("xlsx"),
)
def monthly_xlsx(request: HttpRequest, month: str, department: str | None = None) -> HttpResponse:
    return _file(request, month, ReportFormat.XLSX, department)


@router.get(
    "/reports/monthly/{month}.html",
    operation_id="report_monthly_html",
    url_name="report_monthly_html",
    description=_describe("html"),
)
def monthly_html(request: HttpRequest, month: str, department: str | None = None) -> HttpResponse:
    return _file(request, month, ReportFormat.HTML, department)
