"""Monthly report files: ``GET /reports/monthly/{month}.pdf|.xlsx|.html`` (the JSON data at
``/reports/monthly/{month}`` is the analysis API's). Each download is rendered now and kept as
a report run; the reader's scope is the analysis access rule (``kesu.reports.scope``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Router

from kesu.api.analysis import require_in_range
from kesu.api.auth import user_of
from kesu.api.fields import Code, Str60
from kesu.api.outputs import ErrorOut
from kesu.complaints.errors import InvalidInput
from kesu.reports.models import CONTENT_TYPES, ReportFormat, ReportSource
from kesu.reports.scope import report_department
from kesu.reports.services import parse_month, report_generate

router = Router(tags=["reports"])

ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut, 503: ErrorOut}


def _file_response(fmt: str) -> dict[str, Any]:
    """The 200 answer of a download: the file itself, in the format's media type."""
    return {
        "responses": {
            200: {
                "description": "The report file (Content-Disposition: attachment)",
                "content": {
                    CONTENT_TYPES[ReportFormat(fmt)].split(";")[0]: {
                        "schema": {"type": "string", "format": "binary"}
                    }
                },
            }
        }
    }


def _file(request: HttpRequest, month: str, fmt: str, department: str | None) -> HttpResponse:
    user = user_of(request)
    scope = report_department(user, department)
    try:
        first = parse_month(month)
    except ValueError:
        raise InvalidInput(errors={"month": _("Give the month as YYYY-MM.")}) from None
    require_in_range(first, "month")
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
    response=ERRORS,
    operation_id="report_monthly_pdf",
    url_name="report_monthly_pdf",
    description=_describe("pdf"),
    openapi_extra=_file_response(ReportFormat.PDF),
)
def monthly_pdf(request: HttpRequest, month: Str60, department: Code | None = None) -> HttpResponse:
    return _file(request, month, ReportFormat.PDF, department)


@router.get(
    "/reports/monthly/{month}.xlsx",
    response=ERRORS,
    operation_id="report_monthly_xlsx",
    url_name="report_monthly_xlsx",
    description=_describe("xlsx"),
    openapi_extra=_file_response(ReportFormat.XLSX),
)
def monthly_xlsx(
    request: HttpRequest, month: Str60, department: Code | None = None
) -> HttpResponse:
    return _file(request, month, ReportFormat.XLSX, department)


@router.get(
    "/reports/monthly/{month}.html",
    response=ERRORS,
    operation_id="report_monthly_html",
    url_name="report_monthly_html",
    description=_describe("html"),
    openapi_extra=_file_response(ReportFormat.HTML),
)
def monthly_html(
    request: HttpRequest, month: Str60, department: Code | None = None
) -> HttpResponse:
    return _file(request, month, ReportFormat.HTML, department)
