"""Monthly snapshots: the same numbers as the live computation, and the freshness rule."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesu.analysis.filters import NO_FILTERS, Filters, resolve_filters
from kesu.analysis.models import MonthlySnapshot
from kesu.analysis.periods import Period
from kesu.analysis.report import build_monthly_report
from kesu.analysis.snapshots import (
    MAX_AGE,
    SETTLE_DAYS,
    MonthFigures,
    compute_months,
    month_figures,
    refresh_snapshots,
)
from kesu.outbox.worker import DEFAULT_JOBS
from tests.analysis.conftest import NOW, at

MIN_RATING = 4  # seed 002's callback.satisfied_min_rating
MONTHS = Period.month(2026, 10).previous_months(12)  # 2025-11 … 2026-10
ENDED = MONTHS  # all ended at NOW (2026-11-20)


def live(filters: Filters = NO_FILTERS) -> dict[dt.date, MonthFigures]:
    found = compute_months(MONTHS, filters, now=NOW, min_rating=MIN_RATING)
    return {m.first_day: found.get(m.first_day, MonthFigures()) for m in MONTHS}


def test_the_daily_job_is_scheduled():
    assert ("kesu.analysis.snapshots.refresh_snapshots", "daily 02:30") in DEFAULT_JOBS


def test_snapshots_equal_the_live_figures(dataset):
    warehouse = resolve_filters(department="warehouse")
    expected = {key: live(f) for key, f in (("", NO_FILTERS), ("w", warehouse))}
    october = expected[""][dt.date(2026, 10, 1)]
    assert (october.complaints.received, october.complaints.rejected) == (5, 1)
    assert (october.deadlines.on_time, october.deadlines.missed) == (14, 6)
    assert (october.ratings.rated, october.ratings.outcome) == (3, 2)
    assert expected["w"][dt.date(2026, 10, 1)].complaints.received == 2

    result = refresh_snapshots(now=NOW)
    assert result.months == [f"{m.first_day:%Y-%m}" for m in MONTHS]
    keys = set(MonthlySnapshot.objects.values_list("filters_key", flat=True))
    assert "" in keys and warehouse.key() in keys
    # Read back in one query each: exactly the live numbers, the company's and a department's.
    for key, f in (("", NO_FILTERS), ("w", warehouse)):
        with CaptureQueriesContext(connection) as ctx:
            stored = month_figures(MONTHS, f, now=NOW, min_rating=MIN_RATING)
        assert len(ctx.captured_queries) == 1
        assert stored == expected[key]
    # A second run finds everything settled (computed ≥ 7 days after each month's end).
    assert refresh_snapshots(now=NOW).snapshots == 0


def test_report_trend_from_snapshots_equals_live(dataset):
    live_report = build_monthly_report("2026-10", now=NOW, language="en")  # stores snapshots
    assert MonthlySnapshot.objects.filter(filters_key="").count() == 11  # not the report's
    with CaptureQueriesContext(connection) as ctx:
        again = build_monthly_report("2026-10", now=NOW, language="en")
    stored = MonthlySnapshot.objects.filter(filters_key="").count()
    assert again.trend == live_report.trend and again == live_report and stored == 11
    trend_reads = [q for q in ctx.captured_queries if "analysis_monthlysnapshot" in q["sql"]]
    assert len(trend_reads) == 1
    # Without the snapshots table at all (every month live): the same trend.
    MonthlySnapshot.objects.all().delete()
    sep = {p.month: p for p in build_monthly_report("2026-11", now=NOW).trend}["2026-09"]
    assert (sep.received, sep.closed, sep.timeliness) == (1, 1, 0.8)


def test_freshness_rule(dataset):
    september = Period.month(2026, 9)
    (sep,) = [m for m in MONTHS if m == september]

    def snap(computed_at: dt.datetime, received: int) -> None:
        MonthlySnapshot.objects.update_or_create(
            month=sep.first_day,
            filters_key="",
            defaults={"computed_at": computed_at, "received": received, "min_rating": 4},
        )

    def received(now: dt.datetime) -> int:
        return month_figures([sep], now=now, min_rating=MIN_RATING)[
            sep.first_day
        ].complaints.received

    # Provisional (computed within SETTLE_DAYS of the month's end): used while young …
    provisional = sep.end + dt.timedelta(days=2)
    snap(provisional, 99)
    assert received(provisional + MAX_AGE) == 99
    # … recomputed (and stored) once older than MAX_AGE.
    later = provisional + MAX_AGE + dt.timedelta(minutes=1)
    assert received(later) == 1
    assert MonthlySnapshot.objects.get(month=sep.first_day, filters_key="").computed_at == later
    # Settled: used whatever its age.
    settled = sep.end + dt.timedelta(days=SETTLE_DAYS)
    snap(settled, 77)
    assert received(settled + dt.timedelta(days=300)) == 77
    # Made with another satisfied_min_rating: recomputed.
    MonthlySnapshot.objects.filter(month=sep.first_day).update(min_rating=3)
    assert received(NOW) == 1
    # The daily job recomputes what is not settled, and leaves settled months alone.
    snap(provisional, 55)
    result = refresh_snapshots(now=NOW)
    assert "2026-09" in result.months
    assert MonthlySnapshot.objects.get(month=sep.first_day, filters_key="").received == 1
    snap(settled, 66)
    assert "2026-09" not in refresh_snapshots(now=NOW).months


def test_a_month_not_ended_is_computed_live_and_not_stored(dataset):
    november = Period.month(2026, 11)
    got = month_figures([november], now=NOW, min_rating=MIN_RATING)
    assert got[november.first_day].complaints.received == 1  # N1
    assert not MonthlySnapshot.objects.filter(month=november.first_day).exists()


def test_the_job_on_the_first_of_a_month(dataset):
    # On 12-01 02:30 November has just ended: provisional, recomputed each day until settled.
    first = at("2026-12-01 02:30")
    result = refresh_snapshots(now=first)
    assert result.months[-1] == "2026-11" and result.months[0] == "2025-12"
    nov = MonthlySnapshot.objects.get(month=dt.date(2026, 11, 1), filters_key="")
    assert nov.received == 1 and nov.computed_at == first
    assert refresh_snapshots(now=first + dt.timedelta(days=1)).months == ["2026-11"]
    settle = Period.month(2026, 11).end + dt.timedelta(days=SETTLE_DAYS)
    assert refresh_snapshots(now=settle).months == ["2026-11"]
    assert refresh_snapshots(now=settle + dt.timedelta(days=1)).months == []
