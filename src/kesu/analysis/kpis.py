"""The KPIs of SPEC §7 for any period and filter, computed by the database.

:func:`kpi_summary` answers in a fixed number of queries (seven, whatever the number of
complaints): one over complaints (those received and those closed in the period, two index
range scans joined by ``UNION ALL``), one over deadlines grouped by kind, one over ratings, one
for the business volume, one per measured time (percentiles), and the policy.
The counting functions take an optional ``group`` (an expression over the counted rows, or a
tuple of them) so the monthly report gets the same figures per month, department or handler
in one query each.
Definitions: :mod:`kesu.analysis.rules` and docs/analysis.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, F, IntegerField, Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.analysis import rules
from kesu.analysis.filters import NO_FILTERS, Filters
from kesu.analysis.percentiles import MEDIAN, P90, percentiles
from kesu.analysis.periods import Period
from kesu.analysis.report_data import (
    DurationStats,
    KpiSummary,
    MilestoneTimeliness,
    Ratio,
    TargetRow,
)
from kesu.analysis.volume import period_volume
from kesu.complaints.models import Callback, Complaint, Milestone
from kesu.complaints.states import State
from kesu.policy.schema import PolicyDoc

HOUR = 3600.0


def active_doc() -> PolicyDoc:
    from kesu.policy.loader import active_policy

    return active_policy().doc


def localized(name: str, name_en: str, language: str | None) -> str:
    return name_en if (language or "").startswith("en") and name_en else name


def milestone_labels(policy: PolicyDoc, language: str | None) -> dict[str, str]:
    labels = {m.kind: localized(m.name, m.name_en, language) for m in policy.milestones}
    for rule in policy.channel_rules:
        labels[rule.kind] = localized(rule.name, rule.name_en, language)
    return labels


def _group_exprs(group: Any) -> list[Any]:
    """``group``: None, one expression, or a tuple of expressions (a composite key)."""
    if group is None:
        return []
    return list(group) if isinstance(group, tuple) else [group]


def _key(row: dict[str, Any], n: int, composite: bool) -> Any:
    values = tuple(row.pop(f"_g{i}") for i in range(n))
    return values if composite else (values[0] if values else None)


def grouped(qs: QuerySet, group: Any, aggregates: dict[str, Any]) -> dict[Any, dict]:
    """``aggregates`` over ``qs``, per value of ``group`` (an expression, or a tuple of them
    for a composite key), or under the key None for the whole set."""
    exprs = _group_exprs(group)
    if not exprs:
        return {None: qs.aggregate(**aggregates)}
    names = {f"_g{i}": e for i, e in enumerate(exprs)}
    rows = qs.order_by().annotate(**names).values(*names).annotate(**aggregates)
    composite = isinstance(group, tuple)
    return {_key(row, len(exprs), composite): row for row in rows}


def union_grouped(
    parts: list[tuple[QuerySet, Any, dict[str, Any]]], names: list[str]
) -> dict[Any, dict[str, int]]:
    """Several single-range aggregates in one query (``UNION ALL``), summed per group key.

    Each part is (queryset, group, aggregates): its own rows (each filtered on one indexed
    range, so each is an index scan, where one query with an OR of two ranges is a sequential
    scan), its own grouping expression(s) (all parts the same shape) and its counts, a subset
    of ``names``; the counts a part lacks are 0."""
    zero = Value(0, output_field=IntegerField())
    querysets = []
    composite, n = False, 0
    for qs, group, aggregates in parts:
        exprs = _group_exprs(group)
        composite, n = isinstance(group, tuple), len(exprs)
        # Without a group, a constant column: one aggregate row, no GROUP BY.
        keys = {f"_g{i}": e for i, e in enumerate(exprs)} or {"_g0": zero}
        full = {name: aggregates.get(name, zero) for name in names}
        querysets.append(qs.order_by().annotate(**keys).values(*keys).annotate(**full))
    combined = querysets[0].union(*querysets[1:], all=True)
    totals: dict[Any, dict[str, int]] = {}
    for row in combined:
        if n == 0:
            row.pop("_g0")
            key = None
        else:
            key = _key(row, n, composite)
        into = totals.setdefault(key, dict.fromkeys(names, 0))
        for name in names:
            into[name] += row[name] or 0
    if n == 0 and None not in totals:
        totals[None] = dict.fromkeys(names, 0)
    return totals


# --- complaints ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintCounts:
    received: int = 0
    repeats: int = 0
    closed: int = 0
    reopened: int = 0  # of the closed
    rejected: int = 0  # received in the period and rejected: not counted in ``received``
    merged: int = 0  # received in the period and merged into another: not counted either


COMPLAINT_COUNTS = ["received", "repeats", "rejected", "merged", "closed", "reopened"]


def complaint_counts(
    period: Period,
    filters: Filters = NO_FILTERS,
    *,
    group: Any = None,
    closed_group: Any = None,
) -> dict[Any, ComplaintCounts]:
    """Received (and rejected, merged apart), repeats, closed and closed-after-a-reopen in one
    query: the complaints received in the period (the ``received_at`` index) and those closed
    in it (the ``closed_at`` index), as two aggregates joined by ``UNION ALL``.
    ``closed_group``, when given, groups the closed ones (by default ``group`` groups both;
    the trend groups each by the month of its own instant)."""
    base = Complaint.objects.filter(filters.q())
    counted = ~Q(state__in=rules.NOT_COUNTED)
    got = base.filter(rules.in_period("received_at", period))
    done = base.filter(rules.closed(period))
    rows = union_grouped(
        [
            (
                got,
                group,
                {
                    "received": Count("pk", filter=counted),
                    "repeats": Count("pk", filter=counted & rules.repeat()),
                    "rejected": Count("pk", filter=Q(state=State.REJECTED)),
                    "merged": Count("pk", filter=Q(state=State.MERGED)),
                },
            ),
            (
                done,
                group if closed_group is None else closed_group,
                {"closed": Count("pk"), "reopened": Count("pk", filter=rules.reopened())},
            ),
        ],
        COMPLAINT_COUNTS,
    )
    return {key: ComplaintCounts(**row) for key, row in rows.items()}


# --- deadlines ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineCounts:
    on_time: int = 0
    missed: int = 0
    pending: int = 0
    extended_on_time: int = 0
    extended_missed: int = 0

    @property
    def due(self) -> int:
        return self.on_time + self.missed

    def add(self, other: DeadlineCounts) -> DeadlineCounts:
        return DeadlineCounts(
            *(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__)
        )

    def ratio(self) -> Ratio:
        return Ratio.of(self.on_time, self.due)

    def timeliness(self, kind: str, label: str) -> MilestoneTimeliness:
        extended = self.extended_on_time + self.extended_missed
        plain_due = self.due - extended
        return MilestoneTimeliness(
            kind=kind,
            label=label,
            due=self.due,
            on_time=self.on_time,
            missed=self.missed,
            pending=self.pending,
            extended=extended,
            extended_on_time=self.extended_on_time,
            rate=self.ratio().value,
            rate_unextended=Ratio.of(self.on_time - self.extended_on_time, plain_due).value,
        )


def deadline_counts(
    period: Period, filters: Filters = NO_FILTERS, *, now: datetime, group: Any = None
) -> dict[Any, DeadlineCounts]:
    """The deadlines due in the period, kept / missed / not decided yet, in one query."""
    on_time, missed = rules.MET_ON_TIME, rules.missed(now)
    qs = Milestone.objects.filter(filters.q("complaint__")).filter(rules.milestone_due(period))
    rows = grouped(
        qs,
        group,
        {
            "on_time": Count("pk", filter=on_time),
            "missed": Count("pk", filter=missed),
            "pending": Count("pk", filter=~on_time & ~missed),
            "extended_on_time": Count("pk", filter=on_time & rules.EXTENDED),
            "extended_missed": Count("pk", filter=missed & rules.EXTENDED),
        },
    )
    return {key: DeadlineCounts(**row) for key, row in rows.items()}


def breach_counts(
    period: Period, filters: Filters = NO_FILTERS, *, group: Any = None
) -> dict[Any, int]:
    qs = Milestone.objects.filter(filters.q("complaint__")).filter(rules.breached_in(period))
    return {k: row["n"] for k, row in grouped(qs, group, {"n": Count("pk")}).items()}


# --- ratings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingCounts:
    rated: int = 0
    outcome: int = 0
    process: int = 0

    @property
    def outcome_ratio(self) -> Ratio:
        return Ratio.of(self.outcome, self.rated)

    @property
    def process_ratio(self) -> Ratio:
        return Ratio.of(self.process, self.rated)


def rating_counts(
    period: Period, filters: Filters = NO_FILTERS, *, min_rating: int, group: Any = None
) -> dict[Any, RatingCounts]:
    qs = Callback.objects.filter(filters.q("complaint__")).filter(rules.rated(period))
    rows = grouped(
        qs,
        group,
        {
            "rated": Count("pk"),
            "outcome": Count("pk", filter=rules.satisfied("outcome_rating", min_rating)),
            "process": Count("pk", filter=rules.satisfied("process_rating", min_rating)),
        },
    )
    return {key: RatingCounts(**row) for key, row in rows.items()}


# --- measured times -----------------------------------------------------------------------------

MEASURED = {
    "first_response": ("first_response_at", "first_response_seconds"),
    "resolution": ("resolution_at", "resolution_seconds"),
}


def duration_stats(
    measure: str, period: Period, filters: Filters = NO_FILTERS, *, group_by: str | None = None
) -> dict[Any, DurationStats]:
    """Median and p90 in business hours of the complaints whose ``measure`` happened in the
    period (first response given / solution first communicated within it)."""
    at_field, seconds_field = MEASURED[measure]
    qs = Complaint.objects.filter(filters.q()).filter(rules.in_period(at_field, period))
    found = percentiles(qs, seconds_field, (MEDIAN, P90), group_by=group_by)
    return {
        key: DurationStats(
            count=spread.count,
            median_hours=_hours(spread.values[MEDIAN]),
            p90_hours=_hours(spread.values[P90]),
        )
        for key, spread in found.items()
    }


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / HOUR, 3)


NO_DURATION = DurationStats(count=0, median_hours=None, p90_hours=None)


# --- the summary --------------------------------------------------------------------------------


def kpi_summary(
    period: Period,
    filters: Filters = NO_FILTERS,
    *,
    now: datetime | None = None,
    policy: PolicyDoc | None = None,
    language: str | None = None,
    counts: ComplaintCounts | None = None,
) -> KpiSummary:
    """Every KPI of SPEC §7 for ``period`` and ``filters``, against the policy's targets.
    ``counts``: the period's :func:`complaint_counts` when the caller has them already (the
    monthly report), so they are not counted twice."""
    now = now or timezone.now()
    policy = policy or active_doc()
    labels = milestone_labels(policy, language)
    if counts is None:
        counts = complaint_counts(period, filters)[None]
    by_kind = deadline_counts(period, filters, now=now, group=_kind())
    overall = DeadlineCounts()
    for row in by_kind.values():
        overall = overall.add(row)
    ratings = rating_counts(period, filters, min_rating=policy.callback.satisfied_min_rating)
    ratings_all = ratings.get(None, RatingCounts())
    volume = period_volume(period, department_id=filters.department_id)
    complaint_rate = Ratio.of(counts.received, volume.volume) if volume is not None else None
    first = duration_stats("first_response", period, filters).get(None, NO_DURATION)
    resolution = duration_stats("resolution", period, filters).get(None, NO_DURATION)
    summary = {
        "start": period.start,
        "end": period.end,
        "filters": dict(filters.given),
        "received": counts.received,
        "closed": counts.closed,
        "timeliness": overall.timeliness("all", _("All deadlines")),
        "timeliness_by_kind": [
            by_kind[kind].timeliness(kind, labels.get(kind, kind))
            for kind in _ordered(by_kind, labels)
        ],
        "satisfaction_outcome": ratings_all.outcome_ratio,
        "satisfaction_process": ratings_all.process_ratio,
        "repeat_rate": Ratio.of(counts.repeats, counts.received),
        "reopen_rate": Ratio.of(counts.reopened, counts.closed),
        "complaint_rate": complaint_rate,
        "volume_kind": volume.kind if volume is not None else None,
        "first_response": first,
        "resolution": resolution,
    }
    return KpiSummary(**summary, targets=target_rows(summary, policy))


def _kind() -> F:
    return F("kind")


def _ordered(by_kind: dict[Any, DeadlineCounts], labels: dict[str, str]) -> list[str]:
    """The policy's order of milestones (its ``labels``), then any other kind."""
    known = [kind for kind in labels if kind in by_kind]
    return known + sorted(set(by_kind) - set(known))


def target_rows(summary: dict[str, Any], policy: PolicyDoc) -> list[TargetRow]:
    """The KPIs the policy sets targets for. Times are judged by their 90th percentile (nine
    cases in ten within the target); rates by their value."""
    t = policy.targets

    def row(key, label, value, target, unit, better) -> TargetRow:
        met = None
        if value is not None and target is not None:
            met = value >= target if better == "higher" else value <= target
        return TargetRow(key, label, value, target, unit, better, met)

    complaint_rate = summary["complaint_rate"]
    return [
        row(
            "satisfaction_outcome",
            _("Satisfaction with the outcome"),
            summary["satisfaction_outcome"].value,
            t.satisfaction,
            "ratio",
            "higher",
        ),
        row(
            "satisfaction_process",
            _("Satisfaction with the handling"),
            summary["satisfaction_process"].value,
            t.satisfaction,
            "ratio",
            "higher",
        ),
        row(
            "timeliness",
            _("Timeliness"),
            summary["timeliness"].rate,
            t.timeliness,
            "ratio",
            "higher",
        ),
        row(
            "first_response",
            _("First response time (p90, business hours)"),
            summary["first_response"].p90_hours,
            t.first_reply_hours,
            "hours",
            "lower",
        ),
        row(
            "resolution",
            _("Time to a solution (p90, business hours)"),
            summary["resolution"].p90_hours,
            t.solution_hours,
            "hours",
            "lower",
        ),
        row(
            "complaint_rate",
            _("Complaint rate"),
            complaint_rate.value if complaint_rate is not None else None,
            t.complaint_rate,
            "ratio",
            "lower",
        ),
        row(
            "repeat_rate",
            _("Repeat complaint rate"),
            summary["repeat_rate"].value,
            t.repeat_rate,
            "ratio",
            "lower",
        ),
    ]
