"""The KPIs of SPEC §7 for any period and filter, computed by the database.

:func:`kpi_summary` answers in a fixed number of queries (seven, whatever the number of
complaints): one aggregate over complaints, one over deadlines grouped by kind, one over
ratings, one for the business volume, one per measured time (percentiles), and the policy.
The counting functions take an optional ``group`` (an expression over the counted rows) so the
monthly report gets the same figures per month, department or handler in one query each.
Definitions: :mod:`kesu.analysis.rules` and docs/analysis.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, F, QuerySet
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


def _grouped(qs: QuerySet, group: Any, aggregates: dict[str, Any]) -> dict[Any, dict]:
    """``aggregates`` over ``qs``, per value of ``group`` (an expression), or under the key
    None for the whole set."""
    if group is None:
        return {None: qs.aggregate(**aggregates)}
    rows = qs.order_by().annotate(_group=group).values("_group").annotate(**aggregates)
    return {row.pop("_group"): row for row in rows}


# --- complaints ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintCounts:
    received: int = 0
    repeats: int = 0
    closed: int = 0
    reopened: int = 0  # of the closed


def complaint_counts(
    period: Period, filters: Filters = NO_FILTERS, *, group: Any = None
) -> dict[Any, ComplaintCounts]:
    """Received, repeats, closed and closed-after-a-reopen in one aggregate query."""
    got, done = rules.received(period), rules.closed(period)
    qs = Complaint.objects.filter(filters.q()).filter(got | done)
    rows = _grouped(
        qs,
        group,
        {
            "received": Count("pk", filter=got),
            "repeats": Count("pk", filter=got & rules.repeat()),
            "closed": Count("pk", filter=done),
            "reopened": Count("pk", filter=done & rules.reopened()),
        },
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
    rows = _grouped(
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
    return {k: row["n"] for k, row in _grouped(qs, group, {"n": Count("pk")}).items()}


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
    rows = _grouped(
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
) -> KpiSummary:
    """Every KPI of SPEC §7 for ``period`` and ``filters``, against the policy's targets."""
    now = now or timezone.now()
    policy = policy or active_doc()
    labels = milestone_labels(policy, language)
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
