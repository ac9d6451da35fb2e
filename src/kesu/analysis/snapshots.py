"""Monthly snapshots: the trend figures of ended months, stored (docs/analysis.md, *Snapshots*).

The monthly report's trend covers 12 months: computed live, that is a year of complaints,
deadlines and ratings (over a million rows). An ended month's figures barely change, so they
are kept in :class:`~kesu.analysis.models.MonthlySnapshot` rows, one per month and filters key
(``Filters.key()``: '' for the whole company, 'department:<id>' …), and the trend reads them
in one query. The report's own month is never a snapshot: its figures are the KPI summary's.

Freshness: a snapshot computed at least :data:`SETTLE_DAYS` days after its month ended is
*settled* and used as it is; one computed earlier is *provisional* (late closures, callbacks
and complaints recorded with an earlier ``received_at`` still change the month) and used only
while younger than :data:`MAX_AGE`; past that, or missing, or made with another
``satisfied_min_rating``, the month is computed live and stored again. The daily job
:func:`refresh_snapshots` ("daily 02:30", ``outbox.worker.DEFAULT_JOBS``) recomputes the
missing and provisional snapshots of the last 12 ended months for the company and every
department, so a report does not pay for them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F
from django.db.models.functions import TruncMonth
from django.utils import timezone

from kesu.analysis.filters import NO_FILTERS, Filters
from kesu.analysis.kpis import (
    ComplaintCounts,
    DeadlineCounts,
    RatingCounts,
    active_doc,
    complaint_counts,
    deadline_counts,
    rating_counts,
)
from kesu.analysis.models import MonthlySnapshot
from kesu.analysis.periods import Period
from kesu.workcal.arithmetic import SHANGHAI

SETTLE_DAYS = 7
MAX_AGE = dt.timedelta(hours=26)  # the daily job's period, and time for it to run
SNAPSHOT_MONTHS = 12  # the ended months the daily job keeps fresh (a report's trend)


@dataclass(frozen=True)
class MonthFigures:
    """One month's trend figures: the counts behind received, closed, timeliness and
    satisfaction, as the live computation gives them."""

    complaints: ComplaintCounts = field(default_factory=ComplaintCounts)
    deadlines: DeadlineCounts = field(default_factory=DeadlineCounts)
    ratings: RatingCounts = field(default_factory=RatingCounts)

    def add(self, other: MonthFigures) -> MonthFigures:
        c, o = self.complaints, other.complaints
        return MonthFigures(
            complaints=ComplaintCounts(
                *(getattr(c, f) + getattr(o, f) for f in ComplaintCounts.__dataclass_fields__)
            ),
            deadlines=self.deadlines.add(other.deadlines),
            ratings=RatingCounts(
                *(
                    getattr(self.ratings, f) + getattr(other.ratings, f)
                    for f in RatingCounts.__dataclass_fields__
                )
            ),
        )

    @classmethod
    def of(cls, snap: MonthlySnapshot) -> MonthFigures:
        return cls(
            complaints=ComplaintCounts(
                received=snap.received,
                repeats=snap.repeats,
                closed=snap.closed,
                reopened=snap.reopened,
                rejected=snap.rejected,
                merged=snap.merged,
            ),
            deadlines=DeadlineCounts(
                on_time=snap.deadlines_on_time,
                missed=snap.deadlines_missed,
                pending=snap.deadlines_pending,
                extended_on_time=snap.deadlines_extended_on_time,
                extended_missed=snap.deadlines_extended_missed,
            ),
            ratings=RatingCounts(
                rated=snap.rated, outcome=snap.satisfied_outcome, process=snap.satisfied_process
            ),
        )

    def snapshot(
        self, month: dt.date, key: str, *, now: dt.datetime, min_rating: int
    ) -> MonthlySnapshot:
        c, d, r = self.complaints, self.deadlines, self.ratings
        return MonthlySnapshot(
            month=month,
            filters_key=key,
            computed_at=now,
            received=c.received,
            repeats=c.repeats,
            closed=c.closed,
            reopened=c.reopened,
            rejected=c.rejected,
            merged=c.merged,
            deadlines_on_time=d.on_time,
            deadlines_missed=d.missed,
            deadlines_pending=d.pending,
            deadlines_extended_on_time=d.extended_on_time,
            deadlines_extended_missed=d.extended_missed,
            rated=r.rated,
            min_rating=min_rating,
            satisfied_outcome=r.outcome,
            satisfied_process=r.process,
        )


VALUE_FIELDS = [
    f.name
    for f in MonthlySnapshot._meta.concrete_fields
    if f.name not in ("id", "month", "filters_key")
]


def month_key(value: Any) -> dt.date:
    """The first day of the month of a TruncMonth value (Asia/Shanghai)."""
    if isinstance(value, dt.datetime):
        value = value.astimezone(SHANGHAI) if timezone.is_aware(value) else value
        value = value.date()
    return value.replace(day=1)


def ended(month: Period, now: dt.datetime) -> bool:
    return month.end <= now


def is_fresh(snap: MonthlySnapshot, now: dt.datetime, min_rating: int) -> bool:
    """Usable by a report at ``now`` (the rule of the module's docstring)."""
    if snap.min_rating != min_rating:
        return False
    month = Period.month(snap.month.year, snap.month.month)
    settled = snap.computed_at >= month.end + dt.timedelta(days=SETTLE_DAYS)
    return settled or now - snap.computed_at <= MAX_AGE


def is_settled(snap: MonthlySnapshot, min_rating: int) -> bool:
    month = Period.month(snap.month.year, snap.month.month)
    return snap.min_rating == min_rating and snap.computed_at >= month.end + dt.timedelta(
        days=SETTLE_DAYS
    )


# --- live ----------------------------------------------------------------------------------------


def compute_months(
    months: list[Period],
    filters: Filters = NO_FILTERS,
    *,
    now: dt.datetime,
    min_rating: int,
    by_department: bool = False,
) -> dict[Any, MonthFigures]:
    """The figures of ``months`` computed live, in three grouped queries over the span from the
    first to the last (complaints received / closed, deadlines due, ratings given), each
    grouped by the month of its own instant. Keyed by the month's first day, or by (first
    day, department id) with ``by_department`` (None: complaints without a department)."""
    if not months:
        return {}
    span = Period(min(m.start for m in months), max(m.end for m in months))
    wanted = {m.first_day for m in months}

    def group(at: str, department: str | None) -> Any:
        trunc = TruncMonth(at, tzinfo=SHANGHAI)
        return (trunc, F(department)) if by_department and department else trunc

    def key(raw: Any) -> Any:
        if by_department:
            return (month_key(raw[0]), raw[1])
        return month_key(raw)

    complaints = complaint_counts(
        span,
        filters,
        group=group("received_at", "department"),
        closed_group=group("closed_at", "department"),
    )
    deadlines = deadline_counts(
        span, filters, now=now, group=group("due_at", "complaint__department")
    )
    ratings = rating_counts(
        span, filters, min_rating=min_rating, group=group("at", "complaint__department")
    )
    found: dict[Any, MonthFigures] = {}
    for rows, part in ((complaints, "complaints"), (deadlines, "deadlines"), (ratings, "ratings")):
        for raw, counts in rows.items():
            if raw is None or (by_department and raw[0] is None):
                continue
            k = key(raw)
            if (k[0] if by_department else k) not in wanted:
                continue
            current = found.get(k, MonthFigures())
            found[k] = MonthFigures(**{**current.__dict__, part: counts})
    return found


# --- stored --------------------------------------------------------------------------------------


def store(snapshots: list[MonthlySnapshot]) -> None:
    """Insert or replace (one query; two reports storing the same month do not collide)."""
    if snapshots:
        MonthlySnapshot.objects.bulk_create(
            snapshots,
            update_conflicts=True,
            unique_fields=["month", "filters_key"],
            update_fields=VALUE_FIELDS,
        )


def month_figures(
    months: list[Period],
    filters: Filters = NO_FILTERS,
    *,
    now: dt.datetime,
    min_rating: int,
) -> dict[dt.date, MonthFigures]:
    """The figures of ``months`` for the trend: fresh snapshots (one query), the others
    computed live in one batch (three queries) and, for ended months, stored (one query)."""
    key = filters.key()
    firsts = [m.first_day for m in months]
    snaps = {s.month: s for s in MonthlySnapshot.objects.filter(filters_key=key, month__in=firsts)}
    figures: dict[dt.date, MonthFigures] = {}
    missing = []
    for m in months:
        snap = snaps.get(m.first_day)
        if snap is not None and ended(m, now) and is_fresh(snap, now, min_rating):
            figures[m.first_day] = MonthFigures.of(snap)
        else:
            missing.append(m)
    if missing:
        live = compute_months(missing, filters, now=now, min_rating=min_rating)
        new = []
        for m in missing:
            figures[m.first_day] = live.get(m.first_day, MonthFigures())
            if ended(m, now):
                new.append(
                    figures[m.first_day].snapshot(m.first_day, key, now=now, min_rating=min_rating)
                )
        store(new)
    return figures


# --- the daily job -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshResult:
    months: list[str]
    snapshots: int


def refresh_snapshots(now: dt.datetime | None = None) -> RefreshResult:
    """The worker's daily job: the snapshots of the last :data:`SNAPSHOT_MONTHS` ended months,
    for the whole company and every department, recomputed where missing or not settled yet
    (all keys of those months in one batch of grouped queries)."""
    from kesu.accounts.models import Department

    now = now or timezone.now()
    min_rating = active_doc().callback.satisfied_min_rating
    this_month = timezone.localtime(now, SHANGHAI).date().replace(day=1)
    current = Period.month(this_month.year, this_month.month)
    months = current.shifted_months(-1).previous_months(SNAPSHOT_MONTHS)
    departments = list(Department.objects.order_by("pk").values_list("pk", flat=True))
    keys = {NO_FILTERS.key(): None} | {Filters(department_id=pk).key(): pk for pk in departments}
    settled = {
        (s.month, s.filters_key)
        for s in MonthlySnapshot.objects.filter(
            filters_key__in=list(keys), month__in=[m.first_day for m in months]
        )
        if is_settled(s, min_rating)
    }
    todo = [m for m in months if any((m.first_day, k) not in settled for k in keys)]
    if not todo:
        return RefreshResult(months=[], snapshots=0)
    live = compute_months(todo, now=now, min_rating=min_rating, by_department=True)
    snapshots = []
    for m in todo:
        company = MonthFigures()
        for (first, _dept), figures in live.items():
            if first == m.first_day:
                company = company.add(figures)
        for key, dept in keys.items():
            if (m.first_day, key) in settled:
                continue
            figures = company if key == NO_FILTERS.key() else live.get((m.first_day, dept))
            snapshots.append(
                (figures or MonthFigures()).snapshot(
                    m.first_day, key, now=now, min_rating=min_rating
                )
            )
    store(snapshots)
    return RefreshResult(months=[f"{m.first_day:%Y-%m}" for m in todo], snapshots=len(snapshots))
