"""Worked examples for the pure clocks (no database): a Mon–Fri calendar, 09–12 and 13–18."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from kesu.workcal.arithmetic import (
    SHANGHAI,
    BusinessClock,
    ContinuousClock,
    parse_periods,
)

PERIODS = ((time(9), time(12)), (time(13), time(18)))
DAY = 8 * 3600  # one working day: 480 minutes


def weekdays_only(day: date) -> bool:
    return day.weekday() < 5


CLOCK = BusinessClock(periods=PERIODS, is_working_day=weekdays_only)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_friday_afternoon_plus_one_working_day_is_monday_same_time():
    assert CLOCK.add(sh(2026, 11, 20, 17, 30), DAY) == sh(2026, 11, 23, 17, 30)


def test_result_at_the_end_of_a_period_stays_there():
    assert CLOCK.add(sh(2026, 11, 20, 17, 30), 30 * 60) == sh(2026, 11, 20, 18, 0)
    assert CLOCK.add(sh(2026, 11, 20, 11, 0), 3600) == sh(2026, 11, 20, 12, 0)


def test_lunch_break_is_skipped():
    assert CLOCK.add(sh(2026, 11, 20, 11, 30), 3600) == sh(2026, 11, 20, 13, 30)
    assert CLOCK.between(sh(2026, 11, 20, 11, 30), sh(2026, 11, 20, 13, 30)) == 3600


def test_start_outside_working_time_counts_from_next_period():
    saturday = sh(2026, 11, 21, 10, 0)
    assert CLOCK.add(saturday, 60) == sh(2026, 11, 23, 9, 1)
    assert CLOCK.add(sh(2026, 11, 20, 12, 30), 60) == sh(2026, 11, 20, 13, 1)
    assert CLOCK.add(sh(2026, 11, 20, 7, 0), DAY) == sh(2026, 11, 20, 18, 0)
    assert CLOCK.next_working_instant(saturday) == sh(2026, 11, 23, 9, 0)
    assert CLOCK.next_working_instant(sh(2026, 11, 20, 10, 0)) == sh(2026, 11, 20, 10, 0)


def test_zero_seconds_is_immediate_even_outside_working_time():
    saturday = sh(2026, 11, 21, 10, 0)
    assert CLOCK.add(saturday, 0) == saturday
    assert ContinuousClock().add(saturday, 0) == saturday


def test_between_counts_working_seconds_and_is_antisymmetric():
    a, b = sh(2026, 11, 20, 17, 0), sh(2026, 11, 23, 10, 0)
    assert CLOCK.between(a, b) == 2 * 3600
    assert CLOCK.between(b, a) == -2 * 3600
    assert CLOCK.between(a, a) == 0
    # A whole week: five working days.
    assert CLOCK.between(sh(2026, 11, 16), sh(2026, 11, 23)) == 5 * DAY


def test_results_are_in_shanghai_whatever_the_input_zone():
    new_york = datetime(2026, 11, 19, 20, 0, tzinfo=ZoneInfo("America/New_York"))  # 09:00 Fri
    due = CLOCK.add(new_york, 3600)
    assert due.tzinfo == SHANGHAI
    assert due == sh(2026, 11, 20, 10, 0)


def test_near_midnight_given_in_utc():
    # 2026-11-19 16:30 UTC is Friday 00:30 in Shanghai: the day is Friday, not Thursday.
    just_after_midnight = datetime(2026, 11, 19, 16, 30, tzinfo=UTC)
    assert CLOCK.add(just_after_midnight, 3600) == sh(2026, 11, 20, 10, 0)
    assert CLOCK.add(just_after_midnight, 3600) == datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    # Friday 23:59:59 in Shanghai is still Friday 15:59:59 UTC: next working time is Monday.
    friday_night = datetime(2026, 11, 20, 15, 59, 59, tzinfo=UTC)
    assert CLOCK.add(friday_night, 3600) == sh(2026, 11, 23, 10, 0)
    # Sunday 16:00 UTC is already Monday 00:00 in Shanghai.
    assert CLOCK.between(datetime(2026, 11, 22, 16, 0, tzinfo=UTC), sh(2026, 11, 23, 10)) == 3600
    assert CLOCK.between(friday_night, datetime(2026, 11, 22, 16, 0, tzinfo=UTC)) == 0


def test_naive_datetimes_are_refused():
    naive = datetime(2026, 11, 20, 10, 0)
    with pytest.raises(ValueError, match="naive"):
        CLOCK.add(naive, 60)
    with pytest.raises(ValueError, match="naive"):
        CLOCK.between(naive, sh(2026, 11, 20, 11))
    with pytest.raises(ValueError, match="naive"):
        ContinuousClock().add(naive, 60)
    with pytest.raises(ValueError, match="naive"):
        ContinuousClock().between(sh(2026, 11, 20, 11), naive)


def test_negative_seconds_are_refused():
    with pytest.raises(ValueError, match="negative"):
        CLOCK.add(sh(2026, 11, 20, 10), -1)
    with pytest.raises(ValueError, match="negative"):
        ContinuousClock().add(sh(2026, 11, 20, 10), -1)


def test_a_calendar_without_working_days_fails_instead_of_looping():
    never = BusinessClock(periods=PERIODS, is_working_day=lambda day: False)
    with pytest.raises(ValueError, match="no working day"):
        never.add(sh(2026, 11, 20, 10), 60)
    assert never.add(sh(2026, 11, 20, 10), 0) == sh(2026, 11, 20, 10)
    assert never.between(sh(2026, 11, 20), sh(2027, 11, 20)) == 0


def test_long_holiday_is_crossed():
    # Two months off, then back to work.
    def off_until_march(day: date) -> bool:
        return day >= date(2027, 3, 1) and day.weekday() < 5

    clock = BusinessClock(periods=PERIODS, is_working_day=off_until_march)
    assert clock.add(sh(2027, 1, 1, 10), 60) == sh(2027, 3, 1, 9, 1)


def test_continuous_clock_is_elapsed_time():
    clock = ContinuousClock()
    start = sh(2026, 11, 20, 17, 30)
    assert clock.add(start, DAY) == sh(2026, 11, 21, 1, 30)
    assert clock.between(start, sh(2026, 11, 21, 1, 30)) == DAY
    assert clock.between(sh(2026, 11, 21, 1, 30), start) == -DAY
    assert clock.add(datetime(2026, 11, 20, 0, 0, tzinfo=UTC), 1).tzinfo == SHANGHAI


def test_fractions_of_a_second_are_dropped_symmetrically():
    a = sh(2026, 11, 20, 10, 0)
    b = a + timedelta(seconds=10, microseconds=600_000)
    assert CLOCK.between(a, b) == 10
    assert CLOCK.between(b, a) == -10
    assert ContinuousClock().between(b, a) == -10


def test_periods_are_validated():
    assert parse_periods([("09:00", "12:00"), ("13:00", "18:00")]) == PERIODS
    with pytest.raises(ValueError, match="at least one"):
        BusinessClock(periods=(), is_working_day=weekdays_only)
    with pytest.raises(ValueError, match="end after"):
        BusinessClock(periods=((time(12), time(9)),), is_working_day=weekdays_only)
    with pytest.raises(ValueError, match="overlap"):
        BusinessClock(
            periods=((time(9), time(12)), (time(11), time(18))), is_working_day=weekdays_only
        )


def test_is_working_time_includes_start_excludes_end():
    assert CLOCK.is_working_time(sh(2026, 11, 20, 9, 0))
    assert not CLOCK.is_working_time(sh(2026, 11, 20, 12, 0))
    assert not CLOCK.is_working_time(sh(2026, 11, 21, 10, 0))
