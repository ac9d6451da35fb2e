"""Every KPI of SPEC §7 over the fixed data set (tests/analysis/conftest.py), against values
worked out by hand from the cases' comments."""

from __future__ import annotations

import pytest

from kesu.analysis.filters import resolve_filters
from kesu.analysis.kpis import kpi_summary
from kesu.analysis.periods import Period
from kesu.complaints.errors import InvalidInput
from tests.analysis.conftest import NOW, local

OCTOBER = Period.month(2026, 10)


def kinds(summary):
    return {t.kind: (t.on_time, t.due) for t in summary.timeliness_by_kind}


def test_october(dataset):
    s = kpi_summary(OCTOBER, now=NOW)
    # Received: O1 O2 O3 O4 O5 (R1 rejected: not counted; N1 is November's).
    assert s.received == 5
    # Closed in October: O1 (10-14) and O2 (10-19, after one reopen).
    assert s.closed == 2
    # Deadlines due in October: O1 5 of 5, O2 6 of 8, O3 3 of 5, O4 0 of 2 → 14 of 20.
    t = s.timeliness
    assert (t.on_time, t.missed, t.due, t.pending) == (14, 6, 20, 0)
    assert t.rate == pytest.approx(0.7)
    # Extended: O3's solution only, kept; without it 13 of 19.
    assert (t.extended, t.extended_on_time) == (1, 1)
    assert t.rate_unextended == pytest.approx(13 / 19)
    # ack: O1 O2 O3 kept, O4 missed; dispatch: O1 O3 kept, O2 O4 missed; contact: O1, O2 ×2
    # kept, O3 missed; solution: O1, O2 round 2, O3 kept, O2 round 1 missed; callback: O1,
    # O2 ×2 kept, O3 never made.
    assert kinds(s) == {
        "ack": (3, 4),
        "dispatch": (2, 4),
        "contact": (3, 4),
        "solution": (3, 4),
        "callback": (3, 4),
    }
    assert [t.kind for t in s.timeliness_by_kind] == [
        "ack",
        "dispatch",
        "contact",
        "solution",
        "callback",
    ]
    # Ratings in October: O1 (5, 3), O2 (2, 3), O2 again (4, 5); satisfied = 4 or 5.
    assert (s.satisfaction_outcome.part, s.satisfaction_outcome.whole) == (2, 3)
    assert (s.satisfaction_process.part, s.satisfaction_process.whole) == (1, 3)
    # Repeats: O1 (of S1) and O4 (of O1) of 5 received.
    assert (s.repeat_rate.part, s.repeat_rate.whole) == (2, 5)
    # Reopened: O2 of the 2 closed.
    assert (s.reopen_rate.part, s.reopen_rate.whole, s.reopen_rate.value) == (1, 2, 0.5)
    # 5 complaints / 1,000 orders.
    assert s.complaint_rate is not None and s.complaint_rate.value == pytest.approx(0.005)
    assert s.volume_kind == "orders"
    # First responses given in October: O2 0 s, O1 1,200 s, O3 1,800 s (O4's is November's).
    # median: x = (3-1)·0.5 = 1 → 1,200 s = 0.333 h; p90: x = 1.8 → 1,200 + 0.8·600 =
    # 1,680 s = 0.467 h.
    assert s.first_response.count == 3
    assert (s.first_response.median_hours, s.first_response.p90_hours) == (0.333, 0.467)
    # Solutions first communicated in October: O1 10,800 s, O2 46,800 s, O3 50,400 s.
    # median 46,800 s = 13 h; p90: 46,800 + 0.8·3,600 = 49,680 s = 13.8 h.
    assert s.resolution.count == 3
    assert (s.resolution.median_hours, s.resolution.p90_hours) == (13.0, 13.8)


def test_targets(dataset):
    s = kpi_summary(OCTOBER, now=NOW)
    targets = {t.key: (t.value, t.target, t.met) for t in s.targets}
    assert targets["satisfaction_outcome"] == (pytest.approx(2 / 3), 0.9, False)
    assert targets["timeliness"] == (pytest.approx(0.7), 0.95, False)
    assert targets["first_response"] == (0.467, 2.0, True)  # p90 within 2 h
    assert targets["resolution"] == (13.8, 24.0, True)
    assert targets["complaint_rate"] == (pytest.approx(0.005), 0.05, True)
    assert targets["repeat_rate"] == (0.4, None, None)  # the preset sets no target


def test_stored_durations(dataset):
    c = dataset.cases
    assert (c["O1"].first_response_seconds, c["O1"].resolution_seconds) == (1200, 10800)
    assert (c["O2"].first_response_seconds, c["O2"].resolution_seconds) == (0, 46800)
    assert (c["O3"].first_response_seconds, c["O3"].resolution_seconds) == (1800, 50400)
    # O4: Fri 17:00 → Mon 09:30 is 1.5 working hours; no solution yet.
    assert (c["O4"].first_response_seconds, c["O4"].resolution_seconds) == (5400, None)
    assert local(c["O4"].first_response_at) == "2026-11-02 09:30"
    # The reopened round's solution (Fri 10-16 12:00) does not replace the first one.
    assert local(c["O2"].resolution_at) == "2026-10-15 10:00"
    assert c["N1"].first_response_at is None


def test_september(dataset):
    s = kpi_summary(Period.month(2026, 9), now=NOW)
    # S1: 4 of 5 deadlines kept (contact late); one callback 5/5; first response 0.5 h.
    assert (s.received, s.closed) == (1, 1)
    assert (s.timeliness.on_time, s.timeliness.due) == (4, 5)
    assert s.satisfaction_outcome.value == 1.0
    assert s.first_response.median_hours == 0.5
    assert s.resolution.median_hours == 4.0
    # S1 is the first of customer A's complaints: no repeat; no reopen; 1 / 800 orders.
    assert s.repeat_rate.value == 0 and s.reopen_rate.value == 0
    assert s.complaint_rate.value == pytest.approx(1 / 800)


def test_november_no_volume_no_callbacks(dataset):
    s = kpi_summary(Period.month(2026, 11), now=NOW)
    assert s.received == 1  # N1 only: O5 (10-31 23:59) is October's
    assert s.complaint_rate is None and s.volume_kind is None  # no volume entered
    assert s.satisfaction_outcome.value is None and s.satisfaction_outcome.whole == 0
    assert s.reopen_rate.value is None  # nothing closed
    # O4's first response (5,400 s) was given in November.
    assert (s.first_response.count, s.first_response.median_hours) == (1, 1.5)
    # Due in November: O5 ack + dispatch (open, past due), N1 ack + dispatch (same);
    # O4 (dispatched 11-02 09:00, major): contact due 11:00 and solution due 11-03 09:00,
    # both open past due → 0 of 6, nothing pending at NOW.
    assert (s.timeliness.on_time, s.timeliness.due, s.timeliness.pending) == (0, 6, 0)
    assert next(t for t in s.targets if t.key == "complaint_rate").met is None


def test_pending_deadlines_are_not_counted(dataset):
    # Read as at 11-02 08:00: O5's and N1's ack and dispatch (due 11-01) are missed; O4's
    # contact (due 11-02 11:00) and solution (due 11-03 09:00) are not due yet: pending.
    from tests.conftest import at

    s = kpi_summary(Period.month(2026, 11), now=at("2026-11-02 08:00"))
    assert (s.timeliness.due, s.timeliness.pending) == (4, 2)


def test_empty_period(dataset):
    s = kpi_summary(Period.month(2026, 8), now=NOW)
    assert (s.received, s.closed) == (0, 0)
    assert s.timeliness.rate is None and s.timeliness.due == 0
    assert s.timeliness_by_kind == []
    assert s.satisfaction_outcome.value is None and s.repeat_rate.value is None
    assert s.reopen_rate.value is None and s.complaint_rate is None
    assert s.first_response.median_hours is None and s.first_response.count == 0
    assert all(t.met is None for t in s.targets)


def test_midnight_in_shanghai(dataset):
    o5, n1 = dataset.cases["O5"], dataset.cases["N1"]
    assert o5.received_at.isoformat().startswith("2026-10-31T15:59")  # UTC
    october, november = Period.month(2026, 10), Period.month(2026, 11)
    assert october.start <= o5.received_at < october.end
    assert november.start <= n1.received_at < november.end
    assert october.end == november.start
    assert Period.parse_month("2026-12").end.isoformat() == "2027-01-01T00:00:00+08:00"


def test_filters(dataset):
    p = dataset.people
    warehouse = resolve_filters(department="warehouse")
    s = kpi_summary(OCTOBER, warehouse, now=NOW)
    # O2 (6 of 8) and O3 (3 of 5); ratings of O2 only.
    assert (s.received, s.timeliness.on_time, s.timeliness.due) == (2, 9, 13)
    assert (s.satisfaction_outcome.part, s.satisfaction_outcome.whole) == (1, 2)
    assert s.filters == {"department": "warehouse"}
    by_handler = kpi_summary(OCTOBER, resolve_filters(handler=p.handlers["transport"].username))
    assert by_handler.received == 2  # O1, O4
    assert kpi_summary(OCTOBER, resolve_filters(channel="hotline"), now=NOW).received == 1
    assert kpi_summary(OCTOBER, resolve_filters(level="major"), now=NOW).received == 1
    assert kpi_summary(OCTOBER, resolve_filters(category="transit_time"), now=NOW).received == 2
    customer_a = dataset.cases["O1"].customer_id
    s = kpi_summary(OCTOBER, resolve_filters(customer=str(customer_a)), now=NOW)
    assert (s.received, s.repeat_rate.part) == (2, 2)  # O1 and O4, both repeats
    with pytest.raises(InvalidInput) as err:
        resolve_filters(department="nowhere", handler="nobody", channel="pigeon")
    assert set(err.value.details["errors"]) == {"department", "handler", "channel"}


def test_period_helpers():
    p = Period.month(2026, 10)
    assert p.whole_months()[0].isoformat() == "2026-10-01" and p.label == "2026-10"
    assert [m.label for m in p.previous_months(3)] == ["2026-08", "2026-09", "2026-10"]
    assert Period.month(2026, 1).shifted_months(-1).label == "2025-12"
    from datetime import date

    assert Period.days(date(2026, 10, 5), date(2026, 10, 11)).whole_months() is None
    with pytest.raises(ValueError):
        Period.parse_month("2026-13")


def test_migration_fills_the_same_durations(dataset):
    """Migration 0006 recomputes the stored times of older rows from the record alone."""
    from importlib import import_module

    from django.apps import apps

    from kesu.complaints.models import Complaint

    before = {
        row[0]: row[1:]
        for row in Complaint.objects.values_list(
            "pk",
            "first_response_at",
            "first_response_seconds",
            "resolution_at",
            "resolution_seconds",
        )
    }
    assert any(times[1] is not None for times in before.values())
    Complaint.objects.update(
        first_response_at=None,
        first_response_seconds=None,
        resolution_at=None,
        resolution_seconds=None,
    )
    import_module("kesu.complaints.migrations.0006_fill_analysis_measures").fill(apps, None)
    after = {
        row[0]: row[1:]
        for row in Complaint.objects.values_list(
            "pk",
            "first_response_at",
            "first_response_seconds",
            "resolution_at",
            "resolution_seconds",
        )
    }
    assert after == before
