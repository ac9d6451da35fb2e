"""The data of the monthly analysis report (《月度客户服务分析报告》, seeds 001 and 003).

:func:`build_monthly_report` gathers every section with a constant number of aggregate and
bounded queries (about forty, whatever the number of complaints) and returns plain values
(:mod:`kesu.analysis.report_data`). Rendering (HTML, PDF, XLSX) is ``kesu.reports``'; the
improvement actions and audits come from the apps registered in :mod:`kesu.analysis.sections`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Case, Count, F, Q, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kesu.accounts.models import Department, User
from kesu.analysis import rules
from kesu.analysis.filters import NO_FILTERS, Filters
from kesu.analysis.findings import findings_for
from kesu.analysis.kpis import (
    NO_DURATION,
    DeadlineCounts,
    RatingCounts,
    active_doc,
    breach_counts,
    complaint_counts,
    deadline_counts,
    duration_stats,
    kpi_summary,
    localized,
    milestone_labels,
    rating_counts,
)
from kesu.analysis.periods import Period
from kesu.analysis.report_data import (
    BreakdownRow,
    MonthlyReport,
    OverdueRow,
    OverdueSection,
    ParetoRow,
    PerformanceRow,
    RepeatRow,
    RepeatSection,
    Totals,
    TrendPoint,
)
from kesu.analysis.sections import SectionContext, run_section_builders
from kesu.complaints.models import Channel, Complaint, ComplaintLink, LinkKind, Milestone
from kesu.complaints.models import MilestoneStatus as MS
from kesu.complaints.states import State
from kesu.policy.schema import PolicyDoc
from kesu.workcal.arithmetic import SHANGHAI

REPORT_LIST_LIMIT = 50
TOP_CUSTOMERS = 20
TREND_MONTHS = 12


def build_monthly_report(
    month: str | Period,
    *,
    filters: Filters | None = None,
    now: datetime | None = None,
    language: str = "zh-hans",
    policy: PolicyDoc | None = None,
) -> MonthlyReport:
    """The report of ``month`` ('2026-10' or a calendar-month :class:`Period`)."""
    period = Period.parse_month(month) if isinstance(month, str) else month
    filters = filters or NO_FILTERS
    now = now or timezone.now()
    policy = policy or active_doc()
    with translation.override(language):
        return _build(period, filters, now, language, policy)


def _build(
    period: Period, filters: Filters, now: datetime, language: str, policy: PolicyDoc
) -> MonthlyReport:
    kpis = kpi_summary(period, filters, now=now, policy=policy, language=language)
    trend = _trend(period, filters, now, policy)
    previous = trend[-2].received if len(trend) > 1 else 0
    received = kpis.received
    breakdown = _Breakdowns(period, filters, policy, language, received)
    parts: dict[str, Any] = {
        "month": f"{period.first_day:%Y-%m}",
        "start": period.start,
        "end": period.end,
        "language": language,
        "generated_at": timezone.localtime(now),
        "policy_title": localized(policy.title, policy.title_en, language),
        "filters": dict(filters.given),
        "totals": _totals(period, filters, kpis.received, kpis.closed, previous),
        "trend": trend,
        "by_category": breakdown.categories(),
        "by_channel": breakdown.channels(),
        "by_department": breakdown.departments(),
        "by_level": breakdown.levels(),
        "by_customer": breakdown.customers(),
        "root_causes": [],
        "root_cause_undetermined": 0,
        "repeats": _repeats(period, filters, policy, language),
        "overdue": _overdue(period, filters, now, policy, language),
        "kpis": kpis,
        "departments": _performance(period, filters, now, policy, "department"),
        "people": _performance(period, filters, now, policy, "handler"),
        "findings": [],
    }
    parts["by_stage"] = breakdown.stages(parts["by_category"])
    parts["root_causes"], parts["root_cause_undetermined"] = _pareto(
        period, filters, policy, language
    )
    extra = run_section_builders(
        SectionContext(period=period, filters=filters, now=now, language=language)
    )
    more_findings = extra.pop("findings", [])
    parts.update(extra)
    draft = MonthlyReport(**parts)
    findings = findings_for(draft, language=language) + list(more_findings)
    return MonthlyReport(**{**parts, "findings": findings})


# --- totals and trend ----------------------------------------------------------------------------


def _totals(period: Period, filters: Filters, received: int, closed: int, previous: int) -> Totals:
    got = rules.in_period("received_at", period)
    # Open at the month's end: received before it, not closed before it, not merged or
    # rejected (the time of those is not kept, so they never count as open).
    open_at_end = (
        Q(received_at__lt=period.end)
        & ~Q(state__in=rules.NOT_COUNTED)
        & ~Q(state=State.CLOSED, closed_at__lt=period.end)
    )
    row = Complaint.objects.filter(filters.q()).aggregate(
        rejected=Count("pk", filter=got & Q(state=State.REJECTED)),
        merged=Count("pk", filter=got & Q(state=State.MERGED)),
        open_at_end=Count("pk", filter=open_at_end),
    )
    change = (received - previous) / previous if previous else None
    return Totals(
        received=received,
        closed=closed,
        open_at_end=row["open_at_end"],
        rejected=row["rejected"],
        merged=row["merged"],
        previous_received=previous,
        received_change=change,
    )


def _month_key(value: Any) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(SHANGHAI) if timezone.is_aware(value) else value
    return f"{value:%Y-%m}"


def _by_month(rows: dict[Any, Any]) -> dict[str, Any]:
    return {_month_key(k): v for k, v in rows.items() if k is not None}


def _trend(period: Period, filters: Filters, now: datetime, policy: PolicyDoc) -> list[TrendPoint]:
    """The last 12 months: four grouped queries."""
    months = period.previous_months(TREND_MONTHS)
    span = Period(months[0].start, months[-1].end)

    def month(field: str) -> TruncMonth:
        return TruncMonth(field, tzinfo=SHANGHAI)

    received = _by_month(complaint_counts(span, filters, group=month("received_at")))
    closed = _by_month(complaint_counts(span, filters, group=month("closed_at")))
    deadlines = _by_month(deadline_counts(span, filters, now=now, group=month("due_at")))
    ratings = _by_month(
        rating_counts(
            span, filters, min_rating=policy.callback.satisfied_min_rating, group=month("at")
        )
    )
    points = []
    for m in months:
        key = f"{m.first_day:%Y-%m}"
        points.append(
            TrendPoint(
                month=key,
                received=received[key].received if key in received else 0,
                closed=closed[key].closed if key in closed else 0,
                timeliness=deadlines.get(key, DeadlineCounts()).ratio().value,
                satisfaction=ratings.get(key, RatingCounts()).outcome_ratio.value,
            )
        )
    return points


# --- breakdowns ----------------------------------------------------------------------------------


def _share(count: int, whole: int) -> float:
    return count / whole if whole else 0.0


class _Breakdowns:
    """Complaints received in the month, counted by one field each (one query each)."""

    def __init__(
        self, period: Period, filters: Filters, policy: PolicyDoc, language: str, total: int
    ):
        self.qs = Complaint.objects.filter(filters.q()).filter(rules.received(period))
        self.policy, self.language, self.total = policy, language, total

    def _rows(self, field: str, labels: dict[Any, str], *extra: str) -> list[BreakdownRow]:
        rows = (
            self.qs.order_by().values(field, *extra).annotate(n=Count("pk")).order_by("-n", field)
        )
        return [
            BreakdownRow(
                key="" if r[field] is None else str(r[field]),
                label=labels.get(r[field], "" if r[field] is None else str(r[field])),
                count=r["n"],
                share=_share(r["n"], self.total),
            )
            for r in rows
        ]

    def categories(self) -> list[BreakdownRow]:
        labels = {
            c.code: localized(c.name, c.name_en, self.language) for c in self.policy.categories
        }
        return self._rows("category", labels)

    def channels(self) -> list[BreakdownRow]:
        return self._rows("channel", {value: str(label) for value, label in Channel.choices})

    def levels(self) -> list[BreakdownRow]:
        labels = {
            lv.code: localized(lv.name, lv.name_en, self.language) for lv in self.policy.levels
        }
        rows = self._rows("level", labels)
        rank = {lv.code: lv.rank for lv in self.policy.levels}
        return sorted(rows, key=lambda r: rank.get(r.key, 99))

    def departments(self) -> list[BreakdownRow]:
        rows = (
            self.qs.order_by()
            .values("department__code", "department__name", "department__name_en")
            .annotate(n=Count("pk"))
            .order_by("-n", "department__code")
        )
        return [
            BreakdownRow(
                key=r["department__code"] or "",
                label=(
                    localized(r["department__name"], r["department__name_en"], self.language)
                    if r["department__code"]
                    else _("Not dispatched")
                ),
                count=r["n"],
                share=_share(r["n"], self.total),
            )
            for r in rows
        ]

    def customers(self) -> list[BreakdownRow]:
        rows = (
            self.qs.order_by()
            .values("customer", "customer__name", "customer__company")
            .annotate(n=Count("pk"))
            .order_by("-n", "customer")[:TOP_CUSTOMERS]
        )
        return [
            BreakdownRow(
                key=str(r["customer"]),
                label=r["customer__company"] or r["customer__name"],
                count=r["n"],
                share=_share(r["n"], self.total),
            )
            for r in rows
        ]

    def stages(self, by_category: list[BreakdownRow]) -> list[BreakdownRow]:
        """Business stage (the policy's ``Category.business_stage``), summed from categories."""
        stage_of = {c.code: c.business_stage for c in self.policy.categories}
        counts: dict[str, int] = {}
        for row in by_category:
            stage = stage_of.get(row.key, "")
            counts[stage] = counts.get(stage, 0) + row.count
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return [
            BreakdownRow(
                key=stage,
                label=stage or _("No business stage"),
                count=n,
                share=_share(n, self.total),
            )
            for stage, n in ordered
        ]


def _pareto(
    period: Period, filters: Filters, policy: PolicyDoc, language: str
) -> tuple[list[ParetoRow], int]:
    """Root causes of the complaints received in the month, largest first, with cumulative
    shares of those whose cause is known; the undetermined ones are counted apart."""
    rows = (
        Complaint.objects.filter(filters.q())
        .filter(rules.received(period))
        .order_by()
        .values("root_cause")
        .annotate(n=Count("pk"))
    )
    counts = {r["root_cause"]: r["n"] for r in rows}
    undetermined = counts.pop("", 0)
    known = sum(counts.values())
    labels = {r.code: localized(r.name, r.name_en, language) for r in policy.root_causes}
    pareto, running = [], 0
    for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        running += n
        pareto.append(
            ParetoRow(
                key=code,
                label=labels.get(code, code),
                count=n,
                share=_share(n, known),
                cumulative_share=_share(running, known),
            )
        )
    return pareto, undetermined


# --- lists ---------------------------------------------------------------------------------------


def _category_label(policy: PolicyDoc, code: str, language: str) -> str:
    category = policy.category(code)
    return localized(category.name, category.name_en, language) if category else code


def _department_label(dept: Department | None, language: str) -> str:
    return localized(dept.name, dept.name_en, language) if dept is not None else ""


def _repeats(period: Period, filters: Filters, policy: PolicyDoc, language: str) -> RepeatSection:
    qs = Complaint.objects.filter(filters.q()).filter(rules.received(period) & rules.repeat())
    total = qs.count()
    rows = list(
        qs.select_related("customer", "department").order_by("-received_at", "-pk")[
            :REPORT_LIST_LIMIT
        ]
    )
    originals: dict[int, list[str]] = {}
    for source, number in (
        ComplaintLink.objects.filter(source__in=[c.pk for c in rows], kind=LinkKind.REPEAT)
        .order_by("target__received_at")
        .values_list("source", "target__number")
    ):
        originals.setdefault(source, []).append(number)
    return RepeatSection(
        total=total,
        rows=[
            RepeatRow(
                number=c.number,
                received_at=timezone.localtime(c.received_at),
                customer=c.customer.company or c.customer.name,
                category=_category_label(policy, c.category, language),
                department=_department_label(c.department, language),
                originals=originals.get(c.pk, []),
            )
            for c in rows
        ],
    )


def _overdue(
    period: Period, filters: Filters, now: datetime, policy: PolicyDoc, language: str
) -> OverdueSection:
    """Deadlines unmet at the month's end (due before it, or before now for the current
    month) and deadlines breached during the month; a bounded list of both, earliest due
    first."""
    cutoff = min(period.end, now)
    unmet_at_end = Q(due_at__lt=cutoff) & (
        Q(status=MS.OPEN) | Q(status=MS.MET, met_at__gte=period.end)
    )
    breached = rules.breached_in(period)
    qs = Milestone.objects.filter(filters.q("complaint__")).filter(unmet_at_end | breached)
    counts = qs.aggregate(
        open_at_end=Count("complaint", filter=unmet_at_end, distinct=True),
        breached=Count("pk", filter=breached),
    )
    labels = milestone_labels(policy, language)
    rows = list(
        qs.annotate(_unmet=Case(When(unmet_at_end, then=Value(True)), default=Value(False)))
        .select_related("complaint", "complaint__department", "complaint__handler")
        .order_by("due_at", "pk")[:REPORT_LIST_LIMIT]
    )
    return OverdueSection(
        open_at_end=counts["open_at_end"],
        breached_in_month=counts["breached"],
        rows=[
            OverdueRow(
                number=ms.complaint.number,
                title=ms.complaint.title,
                milestone=ms.kind,
                milestone_label=labels.get(ms.kind, ms.name),
                due_at=timezone.localtime(ms.due_at),
                met_at=timezone.localtime(ms.met_at) if ms.met_at else None,
                department=_department_label(ms.complaint.department, language),
                handler=str(ms.complaint.handler) if ms.complaint.handler else "",
                open_at_end=bool(ms._unmet),
            )
            for ms in rows
        ],
    )


# --- performance ---------------------------------------------------------------------------------


def _performance(
    period: Period, filters: Filters, now: datetime, policy: PolicyDoc, field: str
) -> list[PerformanceRow]:
    """Per department or per handler (``field``): each figure in one grouped query."""
    related = F(f"complaint__{field}")
    counts = complaint_counts(period, filters, group=F(field))
    handled = {
        r[field]: r["n"]
        for r in Complaint.objects.filter(filters.q())
        .filter(rules.in_period("resolution_at", period))
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
    }
    deadlines = deadline_counts(period, filters, now=now, group=related)
    ratings = rating_counts(
        period, filters, min_rating=policy.callback.satisfied_min_rating, group=related
    )
    breaches = breach_counts(period, filters, group=related)
    resolution = duration_stats("resolution", period, filters, group_by=field)
    keys = {k for d in (counts, handled, deadlines, ratings, breaches) for k in d}
    keys.discard(None)
    if field == "department":
        found = Department.objects.in_bulk(keys)
        language = translation.get_language() or ""
        names = {pk: (d.code, localized(d.name, d.name_en, language)) for pk, d in found.items()}
    else:
        found = User.objects.in_bulk(keys)
        names = {pk: (u.username, str(u)) for pk, u in found.items()}
    rows = []
    for pk in keys:
        c = counts.get(pk)
        rows.append(
            PerformanceRow(
                key=names[pk][0],
                label=names[pk][1],
                received=c.received if c else 0,
                handled=handled.get(pk, 0),
                closed=c.closed if c else 0,
                timeliness=deadlines.get(pk, DeadlineCounts()).ratio(),
                satisfaction=ratings.get(pk, RatingCounts()).outcome_ratio,
                breaches=breaches.get(pk, 0),
                median_resolution_hours=resolution.get(pk, NO_DURATION).median_hours,
            )
        )
    return sorted(rows, key=lambda r: (-r.received, r.key))
