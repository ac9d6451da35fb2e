"""Analysis pages of the console: the analysis dashboard with charts, the monthly report as a
page, the stored report files, and the complaint list the charts drill down to.

Who may open them and over what is the analysis rule (``kesu.reports.scope`` over
``kesu.analysis.access``): executives, quality, administrators and the customer-service
manager see the whole company, a department manager their department, others get 403. The
drill-down list shows only what the reader may see (``access.visible_complaints``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from kesu.accounts.models import Department
from kesu.analysis.access import sees_all_analysis
from kesu.complaints import queues
from kesu.complaints.access import visible_complaints
from kesu.complaints.errors import DomainError
from kesu.console.views.queues import PAGE_SIZE, PAGING_PARAMS, FilterForm, _query, _respond
from kesu.reports import dashboard
from kesu.reports.models import ReportRun
from kesu.reports.scope import may_read_reports, report_department
from kesu.reports.sections import Links
from kesu.reports.services import parse_month, previous_month, report_document
from kesu.web.access import staff_required
from kesu.web.errors import error_response

RUNS_SHOWN = 50


def _gate(request: HttpRequest) -> None:
    if not may_read_reports(request.user):
        raise PermissionDenied


def _links() -> Links:
    base = reverse("console:analysis_complaints")

    def complaints(**filters: str) -> str:
        return f"{base}?{urlencode({k: v for k, v in filters.items() if v})}"

    return Links(complaints=complaints, complaint=lambda n: reverse("console:complaint", args=[n]))


def _month(text: str | None, default: dt.date) -> dt.date:
    try:
        return parse_month(text) if text else default
    except ValueError:
        return default


def _departments(request: HttpRequest) -> list[Department]:
    """The departments a reader may pick (none: a manager's own is forced)."""
    return list(Department.objects.order_by("code")) if sees_all_analysis(request.user) else []


# --- the monthly report ----------------------------------------------------------------------


@staff_required
def reports_home(request: HttpRequest) -> HttpResponse:
    """The month picker and the report files kept so far."""
    _gate(request)
    if request.GET.get("month"):
        month = _month(request.GET["month"], previous_month(timezone.now()))
        url = reverse("console:report_monthly", args=[f"{month:%Y-%m}"])
        dept = request.GET.get("department")
        return redirect(url + (f"?{urlencode({'department': dept})}" if dept else ""))
    runs = ReportRun.objects.select_related("department", "generated_by")
    if not sees_all_analysis(request.user):
        runs = runs.filter(department=request.user.department_id)
    context = {
        "title": _("Reports"),
        "nav": "reports",
        "runs": list(runs[:RUNS_SHOWN]),
        "default_month": f"{previous_month(timezone.now()):%Y-%m}",
        "departments": _departments(request),
    }
    return render(request, "console/reports/index.html", context)


@staff_required
def report_monthly(request: HttpRequest, month: str) -> HttpResponse:
    _gate(request)
    try:
        first = parse_month(month)
        department = report_department(request.user, request.GET.get("department"))
    except ValueError:
        raise Http404 from None
    except DomainError as exc:
        return error_response(request, exc)
    doc = report_document(first, department=department, links=_links())
    query = urlencode({"department": department.code}) if department else ""
    downloads = [
        (
            label,
            reverse(f"api:report_monthly_{fmt}", args=[f"{first:%Y-%m}"])
            + (f"?{query}" if query else ""),
        )
        for fmt, label in (("pdf", "PDF"), ("xlsx", "Excel"), ("html", "HTML"))
    ]
    context = {
        "title": doc.title,
        "nav": "reports",
        "doc": doc,
        "month": f"{first:%Y-%m}",
        "department": department,
        "departments": _departments(request),
        "downloads": downloads,
        "toc": True,
    }
    return render(request, "console/reports/monthly.html", context)


@staff_required
def report_file(request: HttpRequest, pk: int) -> FileResponse:
    """A kept report file; a department manager only their department's."""
    _gate(request)
    run = ReportRun.objects.filter(pk=pk).select_related("department").first()
    if run is None or (
        not sees_all_analysis(request.user) and run.department_id != request.user.department_id
    ):
        raise Http404
    try:
        handle = run.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=run.filename, content_type=run.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response


# --- the analysis dashboard ------------------------------------------------------------------


def _choices(wanted: dict[str, str]) -> list[tuple[str, Any, Any, str]]:
    """The list filters' own choices (the active policy's categories and levels, channels)."""
    fields = FilterForm(QueryDict()).fields
    return [
        (name, fields[name].label, fields[name].choices, wanted.get(name, ""))
        for name in ("category", "channel", "level")
    ]


@staff_required
def analysis(request: HttpRequest) -> HttpResponse:
    _gate(request)
    month = _month(request.GET.get("month"), timezone.localdate().replace(day=1))
    wanted = {k: request.GET.get(k, "") for k in dashboard.FILTERS}
    try:
        board = dashboard.build(request.user, month, wanted, links=_links())
    except DomainError as exc:
        return error_response(request, exc)
    context: dict[str, Any] = {
        "title": _("Analysis"),
        "nav": "analysis",
        "board": board,
        "month": f"{month:%Y-%m}",
        "wanted": wanted,
        "departments": _departments(request),
        "choices": _choices(wanted),
        "report_url": reverse("console:report_monthly", args=[f"{month:%Y-%m}"]),
    }
    return render(request, "console/reports/analysis.html", context)


@staff_required
def analysis_complaints(request: HttpRequest) -> HttpResponse:
    """The complaints behind a chart's bar or cell: any state, the list's filters, newest
    first, only what the reader may see (a department manager: their department's)."""
    _gate(request)
    form = FilterForm(request.GET)
    qs = visible_complaints(request.user)
    if not sees_all_analysis(request.user):
        qs = qs.filter(department=request.user.department_id)
    qs = queues.apply_filters(qs, form.filters()).select_related(*queues.LIST_RELATED)
    now = timezone.now()
    try:
        result = queues.page(
            qs,
            limit=PAGE_SIZE,
            after=request.GET.get("after"),
            before=request.GET.get("before"),
            order=queues.RECENT_ORDER,
        )
    except DomainError as exc:
        return error_response(request, exc)
    context = {
        "title": _("Complaints"),
        "nav": "analysis",
        "form": form,
        "rows": queues.label_rows(result.rows, now=now),
        "page": result,
        "now": now,
        "filter_query": _query(request, drop=PAGING_PARAMS),
        "base_url": request.path,
    }
    return _respond(request, "console/reports/complaints.html", context)
