"""The data of the monthly analysis report (《月度客户服务分析报告》, seeds 001 and 003).

:func:`build_monthly_report` gathers every section with a constant number of aggregate and
bounded queries (about forty, whatever the number of complaints) and returns plain values
(:mod:`kesu.analysis.report_data`). Rendering (HTML, PDF, XLSX) is ``kesu.reports``'; the
improvement actions and audits come from the apps registered in :mod:`kesu.analysis.sections`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case, Count, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kesu.accounts.models import Department, User
from kesu.analysis import rules
from kesu.analysis.filters import NO_FILTERS, Filters
from kesu.analysis.findings import findings_for
from kesu.analysis.kpis import (
    NO_DURATION,
    ComplaintCounts,
    DeadlineCounts,
    RatingCounts,
    active_doc,
    breach_counts,
    complaint_counts,
    deadline_counts,
    duration_stats,
    grouped,
    kpi_summary,
    localized,
    milestone_labels,
    rating_counts,
    union_grouped,
)
from kesu.analysis.periods import Period
from kesu.analysis.report_data import (
    BreakdownRow,
    KpiSummary,
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
from kesu.analysis.snapshots import month_figures
from kesu.complaints.models import Channel, Complaint, ComplaintLink, LinkKind, Milestone
from kesu.complaints.models import MilestoneStatus as MS
from kesu.complaints.states import State
from kesu.policy.schema import PolicyDoc

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
    counts = complaint_counts(period, filters)[None]
    kpis = kpi_summary(period, filters, now=now, policy=policy, language=language, counts=counts)
    trend = _trend(period, filters, now, policy, kpis)
    previous = trend[-2].received if len(trend) > 1 else 0
    received = kpis.received
    departments, people = _performance(period, filters, now, policy)
    breakdown = _Breakdowns(period, filters, policy, language, received)
    parts: dict[str, Any] = {
        "month": f"{period.first_day:%Y-%m}",
        "start": period.start,
        "end": period.end,
        "language": language,
        "generated_at": timezone.localtime(now),
        "policy_title": localized(policy.title, policy.title_en, language),
        "filters": dict(filters.given),
        "totals": _totals(period, filters, counts, previous),
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
        "departments": departments,
        "people": people,
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


def _totals(period: Period, filters: Filters, counts: ComplaintCounts, previous: int) -> Totals:
    """Received, closed, rejected and merged are the period's complaint counts (those of the
    KPIs); open at the month's end takes one more query."""
    received = counts.received
    change = (received - previous) / previous if previous else None
    return Totals(
        received=received,
        closed=counts.closed,
        open_at_end=_open_at_end(period, filters),
        rejected=counts.rejected,
        merged=counts.merged,
        previous_received=previous,
        received_change=change,
    )


def _open_at_end(period: Period, filters: Filters) -> int:
    """Open at the month's end: received before it, not closed before it, not merged or
    rejected (the time of those is not kept, so they never count as open). That is: open now
    (the ``state`` index), or closed after the month's end (the ``closed_at`` index) — two
    counts in one ``UNION ALL`` query instead of a scan of every complaint ever received."""
    base = Complaint.objects.filter(filters.q()).filter(received_at__lt=period.end)
    still_open = base.filter(state__in=sorted(State.open_states()))
    closed_after = base.filter(state=State.CLOSED, closed_at__gte=period.end)
    rows = union_grouped(
        [(still_open, None, {"n": Count("pk")}), (closed_after, None, {"n": Count("pk")})], ["n"]
    )
    return rows[None]["n"]


def _trend(
    period: Period, filters: Filters, now: datetime, policy: PolicyDoc, kpis: KpiSummary
) -> list[TrendPoint]:
    """The last 12 months. The 11 before the report's month come from the monthly snapshots
    (one query; a missing or stale one is computed live and stored: ``snapshots``); the
    report's month is the KPI summary's."""
    months = period.previous_months(TREND_MONTHS)
    figures = month_figures(
        months[:-1], filters, now=now, min_rating=policy.callback.satisfied_min_rating
    )
    points = [
        TrendPoint(
            month=f"{m.first_day:%Y-%m}",
            received=figures[m.first_day].complaints.received,
            closed=figures[m.first_day].complaints.closed,
            timeliness=figures[m.first_day].deadlines.ratio().value,
            satisfaction=figures[m.first_day].ratings.outcome_ratio.value,
        )
        for m in months[:-1]
    ]
    points.append(
        TrendPoint(
            month=f"{period.first_day:%Y-%m}",
            received=kpis.received,
            closed=kpis.closed,
            timeliness=kpis.timeliness.rate,
            satisfaction=kpis.satisfaction_outcome.value,
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
    first.

    Unmet at the end is two disjoint sets, each read through an index: still running (the
    partial index of open deadlines) and met after the month's end (``met_at``); the breached
    ones through ``breached_at``. Counted and listed per set (``UNION``, three bounded lists
    merged), never with an OR of them, which would scan every deadline."""
    cutoff = min(period.end, now)
    running = Q(status=MS.OPEN, due_at__lt=cutoff)
    met_after = Q(status=MS.MET, met_at__gte=period.end, due_at__lt=cutoff)
    unmet_at_end = running | met_after
    breached = rules.breached_in(period)
    base = Milestone.objects.filter(filters.q("complaint__"))
    open_at_end = (
        base.filter(running)
        .order_by()
        .values("complaint_id")
        .union(base.filter(met_after).order_by().values("complaint_id"))
        .count()
    )
    breached_in_month = base.filter(breached).count()
    labels = milestone_labels(policy, language)
    # Sorted on an expression of due_at, not the column: with ORDER BY due_at LIMIT 50,
    # PostgreSQL walks the due_at index from the oldest deadline ever recorded and filters
    # (seconds over millions of deadlines, the matching ones being recent); this way it reads
    # each part through its own index and keeps the 50 earliest (a top-N sort).
    earliest_due = Coalesce("due_at", "due_at")
    found: dict[int, Milestone] = {}
    for part in (running, met_after, breached):
        for ms in (
            base.filter(part)
            .annotate(_unmet=Case(When(unmet_at_end, then=Value(True)), default=Value(False)))
            .select_related("complaint", "complaint__department", "complaint__handler")
            .order_by(earliest_due.asc(), "pk")[:REPORT_LIST_LIMIT]
        ):
            found[ms.pk] = ms
    rows = sorted(found.values(), key=lambda ms: (ms.due_at, ms.pk))[:REPORT_LIST_LIMIT]
    return OverdueSection(
        open_at_end=open_at_end,
        breached_in_month=breached_in_month,
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


def _plus(a: Any, b: Any) -> Any:
    """The field-wise sum of two counter dataclasses of one type."""
    return type(a)(*(getattr(a, f) + getattr(b, f) for f in a.__dataclass_fields__))


def _split(rows: dict[Any, Any], side: int) -> dict[Any, Any]:
    """Rows keyed by (department, handler) summed per department (side 0) or handler (1)."""
    out: dict[Any, Any] = {}
    for key, value in rows.items():
        k = key[side]
        out[k] = _plus(out[k], value) if k in out else value
    return out


def _performance(
    period: Period, filters: Filters, now: datetime, policy: PolicyDoc
) -> tuple[list[PerformanceRow], list[PerformanceRow]]:
    """Per current department and per current handler. Each count is one query grouped by
    (department, handler) — few rows — summed to departments and to handlers here; only the
    median resolution time, which does not add up, takes one query per side."""
    pair = (F("department"), F("handler"))
    related = (F("complaint__department"), F("complaint__handler"))
    counts = complaint_counts(period, filters, group=pair)
    handled = {
        key: _Count(row["n"])
        for key, row in grouped(
            Complaint.objects.filter(filters.q()).filter(rules.in_period("resolution_at", period)),
            pair,
            {"n": Count("pk")},
        ).items()
    }
    deadlines = deadline_counts(period, filters, now=now, group=related)
    ratings = rating_counts(
        period, filters, min_rating=policy.callback.satisfied_min_rating, group=related
    )
    breaches = {k: _Count(n) for k, n in breach_counts(period, filters, group=related).items()}
    sides = []
    for side, field in enumerate(("department", "handler")):
        sides.append(
            _performance_rows(
                field,
                _split(counts, side),
                _split(handled, side),
                _split(deadlines, side),
                _split(ratings, side),
                _split(breaches, side),
                duration_stats("resolution", period, filters, group_by=field),
            )
        )
    return sides[0], sides[1]


@dataclass(frozen=True)
class _Count:
    n: int = 0


def _performance_rows(
    field: str,
    counts: dict[Any, ComplaintCounts],
    handled: dict[Any, _Count],
    deadlines: dict[Any, DeadlineCounts],
    ratings: dict[Any, RatingCounts],
    breaches: dict[Any, _Count],
    resolution: dict[Any, Any],
) -> list[PerformanceRow]:
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
                handled=handled.get(pk, _Count()).n,
                closed=c.closed if c else 0,
                timeliness=deadlines.get(pk, DeadlineCounts()).ratio(),
                satisfaction=ratings.get(pk, RatingCounts()).outcome_ratio,
                breaches=breaches.get(pk, _Count()).n,
                median_resolution_hours=resolution.get(pk, NO_DURATION).median_hours,
            )
        )
    return sorted(rows, key=lambda r: (-r.received, r.key))
