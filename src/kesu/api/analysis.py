"""Analysis over the API (SPEC §7): the KPIs of any period and filter, the monthly report's
data as JSON, and the business volume per month. Thin: ``kesu.analysis`` holds the rules, its
``access`` module who may read what. The report's files (PDF, XLSX) are ``kesu.reports``'."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from kesu.analysis.access import analysis_filters, may_see_analysis, require_volume_entry
from kesu.analysis.filters import resolve_filters
from kesu.analysis.kpis import kpi_summary
from kesu.analysis.models import BusinessVolume, VolumeKind
from kesu.analysis.periods import Period
from kesu.analysis.report import build_monthly_report
from kesu.analysis.report_data import KpiSummary, MonthlyReport
from kesu.analysis.volume import parse_month, volume_set
from kesu.api.auth import user_of
from kesu.api.fields import Code, Str60, Str200, Whole
from kesu.api.outputs import ErrorOut
from kesu.complaints.errors import InvalidInput, PermissionDenied
from kesu.complaints.input_rules import in_year_range
from kesu.workcal.arithmetic import SHANGHAI

router = Router(tags=["analysis"])

ERRORS = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut}
# Query strings are bounded (and refuse NUL, which PostgreSQL cannot compare) before the
# analysis code looks anything up with them.
Month = Str60


def _instant(value: str, name: str) -> datetime:
    """'2026-10-01' (midnight, Asia/Shanghai) or an ISO datetime (Asia/Shanghai if naive)."""
    try:
        if len(value) == 10:
            moment = datetime.combine(date.fromisoformat(value), time.min, tzinfo=SHANGHAI)
        else:
            moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(errors={name: _("Give a date (YYYY-MM-DD) or a time.")}) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)
    require_in_range(moment, name)
    return moment


def require_in_range(moment: date, name: str) -> None:
    """Years the analysis can count in: its windows reach months and years around a period,
    which overflows ``datetime`` near year 1 or 9999 (a 500 before)."""
    if not in_year_range(moment):
        raise InvalidInput(errors={name: _("The date is out of range.")})


def month_period(month: str) -> Period:
    """The month 'YYYY-MM' as a period, or a 422 naming ``month``."""
    try:
        period = Period.parse_month(month)
    except ValueError:
        raise InvalidInput(errors={"month": _("Give a month as YYYY-MM.")}) from None
    require_in_range(period.start, "month")
    return period


def _period(start: str | None, end: str | None, month: str | None) -> Period:
    if month:
        return month_period(month)
    if not start or not end:
        raise InvalidInput(errors={"start": _("Give a month, or a start and an end.")})
    begin, finish = _instant(start, "start"), _instant(end, "end")
    if finish <= begin:
        raise InvalidInput(errors={"end": _("The end must be after the start.")})
    return Period(begin, finish)


@router.get("/kpis", response={200: KpiSummary, **ERRORS}, operation_id="kpi_summary")
def kpis(
    request: HttpRequest,
    month: Month | None = None,
    start: Str60 | None = None,
    end: Str60 | None = None,
    department: Code | None = None,
    category: Code | None = None,
    channel: Code | None = None,
    level: Code | None = None,
    customer: Code | None = None,
    handler: Str200 | None = None,
) -> KpiSummary:
    """The KPIs of SPEC §7 for ``month`` (YYYY-MM) or [``start``, ``end``) (dates are midnight
    Asia/Shanghai; ``end`` excluded), filtered, against the policy's targets. ``customer`` is
    a customer id or a customer account's code; ``handler`` a user name. A department manager
    gets their own department's figures whatever ``department`` says."""
    user = user_of(request)
    if not may_see_analysis(user):
        raise PermissionDenied()
    filters = resolve_filters(
        department=department,
        category=category,
        channel=channel,
        level=level,
        customer=customer,
        handler=handler,
    )
    return kpi_summary(
        _period(start, end, month), analysis_filters(user, filters), language=get_language()
    )


@router.get(
    "/reports/monthly/{month}",
    response={200: MonthlyReport, **ERRORS},
    operation_id="report_monthly_data",
)
def monthly_report(
    request: HttpRequest, month: Month, department: Code | None = None
) -> MonthlyReport:
    """The data of the monthly analysis report (YYYY-MM): every section as plain values."""
    user = user_of(request)
    if not may_see_analysis(user):
        raise PermissionDenied()
    filters = analysis_filters(user, resolve_filters(department=department))
    period = _period(None, None, month)
    return build_monthly_report(period, filters=filters, language=get_language() or "zh-hans")


class VolumeOut(Schema):
    month: str = Field(description="YYYY-MM")
    kind: str
    department: str | None = Field(description="Department code; null: the whole company.")
    volume: int | None = Field(description="Null: not entered.")


class VolumeIn(Schema):
    volume: Whole = Field(ge=0, le=2**63 - 1)  # the column is a bigint


def _volume_out(month: date, kind: str, department: str | None, volume: int | None) -> dict:
    return {"month": f"{month:%Y-%m}", "kind": kind, "department": department, "volume": volume}


@router.get(
    "/business-volume/{month}",
    response={200: VolumeOut, **ERRORS},
    operation_id="business_volume_get",
)
def volume_get(
    request: HttpRequest,
    month: Month,
    kind: Code = VolumeKind.ORDERS,
    department: Code | None = None,
) -> dict[str, Any]:
    """A month's business volume (orders or waybills; the company's, or a department's)."""
    user = user_of(request)
    if not may_see_analysis(user):
        raise PermissionDenied()
    first = parse_month(month)
    require_in_range(first, "month")
    row = (
        BusinessVolume.objects.filter(month=first, kind=kind, department__code=department).first()
        if department
        else BusinessVolume.objects.filter(month=first, kind=kind, department=None).first()
    )
    return _volume_out(first, kind, department, row.volume if row else None)


@router.put(
    "/business-volume/{month}",
    response={200: VolumeOut, 400: ErrorOut, **ERRORS},
    operation_id="business_volume_set",
)
def volume_put(
    request: HttpRequest,
    month: Month,
    body: VolumeIn,
    kind: Code = VolumeKind.ORDERS,
    department: Code | None = None,
) -> dict[str, Any]:
    """Enter or correct a month's business volume (customer-service manager, executive,
    administrator)."""
    user = user_of(request)
    require_volume_entry(user)
    require_in_range(parse_month(month), "month")
    row = volume_set(month=month, volume=body.volume, kind=kind, department=department, actor=user)
    return _volume_out(row.month, row.kind, department, row.volume)
