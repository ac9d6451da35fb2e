"""The clocks built from the official calendar: package data, admin entries, policy days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import chinese_calendar
import pytest
import time_machine
from django.db import OperationalError
from django.utils import translation

from kesu.policy.schema import WorkingHours
from kesu.workcal.arithmetic import SHANGHAI, BusinessClock, ContinuousClock
from kesu.workcal.calendar import (
    business_clock,
    calendar_warnings,
    clock_for,
    is_official_working_day,
    load_official_calendar,
    year_source,
    years_without_data,
)
from kesu.workcal.checks import check_official_calendar
from kesu.workcal.official import OfficialCalendar, package_covers
from kesu.workcal.services import official_year_set

PERIODS = [("09:00", "12:00"), ("13:00", "18:00")]
ONE_WORKING_DAY = 480 * 60
HOUR = 3600

pytestmark = pytest.mark.django_db


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def clock(**extra: list[str]) -> BusinessClock:
    return business_clock(
        PERIODS, extra.get("extra_days_off", []), extra.get("extra_working_days", [])
    )


def test_friday_1730_plus_one_working_day_is_monday_1730():
    assert clock().add(sh(2026, 11, 20, 17, 30), ONE_WORKING_DAY) == sh(2026, 11, 23, 17, 30)
    assert clock().add(sh(2026, 11, 20, 17, 30), 30 * 60) == sh(2026, 11, 20, 18, 0)


def test_the_package_knows_national_day_2026():
    # What these tests rely on: Mid-Autumn 9-25..27 and National Day 10-01..07 off,
    # Sunday 9-20 and Saturday 10-10 worked in exchange.
    assert not chinese_calendar.is_workday(date(2026, 9, 25))
    assert all(not chinese_calendar.is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert chinese_calendar.is_workday(date(2026, 9, 20))
    assert chinese_calendar.is_workday(date(2026, 10, 10))
    assert chinese_calendar.get_holiday_detail(date(2026, 10, 10)) == (False, "National Day")
    assert not chinese_calendar.is_workday(date(2026, 10, 11))


def test_deadline_across_national_day_ends_on_the_make_up_saturday():
    # Wed 9-30 10:00: 7 h left that day, Thu 10-08 and Fri 10-09 8 h each, then Saturday
    # 10-10 is a working day: the 24th working hour ends there at 10:00.
    assert clock().add(sh(2026, 9, 30, 10, 0), 3 * ONE_WORKING_DAY) == sh(2026, 10, 10, 10, 0)
    assert clock().between(sh(2026, 9, 30, 9, 0), sh(2026, 10, 12, 9, 0)) == 4 * ONE_WORKING_DAY


def test_make_up_sunday_before_the_holiday_counts():
    # Friday 9-18 17:30 + one working day: Saturday off, Sunday 9-20 worked.
    assert clock().add(sh(2026, 9, 18, 17, 30), ONE_WORKING_DAY) == sh(2026, 9, 20, 17, 30)
    # A request on the first day of the holiday waits for Thursday 10-08.
    assert clock().add(sh(2026, 10, 1, 10, 0), HOUR) == sh(2026, 10, 8, 10, 0)


def test_2027_without_data_falls_back_to_monday_to_friday_then_admin_entry_applies():
    assert not package_covers(2027)
    new_year = sh(2027, 1, 1, 9, 0)  # a Friday
    assert clock().add(new_year, ONE_WORKING_DAY) == sh(2027, 1, 1, 18, 0)
    assert year_source(2027) == "none"
    assert years_without_data(date(2026, 11, 23)) == [2027]
    assert years_without_data(date(2027, 3, 1)) == [2027, 2028]
    with translation.override("zh-hans"):  # the default language, whatever ran before
        [warning] = calendar_warnings(date(2026, 11, 23))
    assert "2027" in warning and "周一至周五" in warning

    official_year_set(
        year=2027,
        days_off=[(date(2027, 1, 1), "元旦")],
        working_days=[(date(2027, 1, 9), "调休上班")],  # a Saturday
        notes="test",
    )
    assert year_source(2027) == "admin"
    assert clock().add(new_year, ONE_WORKING_DAY) == sh(2027, 1, 4, 18, 0)
    assert clock().add(sh(2027, 1, 8, 17, 30), ONE_WORKING_DAY) == sh(2027, 1, 9, 17, 30)
    assert years_without_data(date(2026, 11, 23)) == []
    assert years_without_data(date(2027, 3, 1)) == [2028]
    assert calendar_warnings(date(2026, 11, 23)) == []


def test_an_entered_year_replaces_the_package_for_that_year():
    assert not is_official_working_day(date(2026, 10, 1))
    official_year_set(year=2026, days_off=[], working_days=[])
    # Listed nothing: Thursday 10-01 is an ordinary weekday, Sunday 9-20 an ordinary Sunday.
    assert is_official_working_day(date(2026, 10, 1))
    assert not is_official_working_day(date(2026, 9, 20))
    # Other years keep the package's data.
    assert not is_official_working_day(date(2025, 10, 1))


def test_policy_days_beat_every_other_source():
    official_year_set(year=2027, days_off=[(date(2027, 1, 1), "元旦")], working_days=[])
    assert is_official_working_day(date(2026, 10, 1), extra_working_days=["2026-10-01"])
    assert not is_official_working_day(date(2026, 11, 20), extra_days_off=["2026-11-20"])
    assert is_official_working_day(date(2027, 1, 1), extra_working_days=["2027-01-01"])
    assert not is_official_working_day(date(2027, 1, 4), extra_days_off=["2027-01-04"])
    # A company day off moves a Friday deadline to the next working day.
    closed = clock(extra_days_off=["2026-11-23"])
    assert closed.add(sh(2026, 11, 20, 17, 30), ONE_WORKING_DAY) == sh(2026, 11, 24, 17, 30)


def test_policy_days_must_be_iso_dates_and_not_both():
    with pytest.raises(ValueError, match="extra days off"):
        clock(extra_days_off=["20.11.2026"])
    with pytest.raises(ValueError, match="2026-11-20"):
        clock(extra_days_off=["2026-11-20"], extra_working_days=["2026-11-20"])


def test_a_clock_costs_one_query(django_assert_num_queries):
    official_year_set(year=2027, days_off=[(date(2027, 1, 1), "元旦")], working_days=[])
    official_year_set(year=2028, days_off=[], working_days=[])
    with django_assert_num_queries(1):
        business = clock()
        business.add(sh(2026, 12, 30, 10), 5 * ONE_WORKING_DAY)
    snapshot = load_official_calendar()
    assert snapshot.entered_years == {2027, 2028}
    assert snapshot.days == {date(2027, 1, 1): False}
    with django_assert_num_queries(0):
        business_clock(PERIODS, [], [], official=snapshot)


def test_clock_for_a_policy():
    hours = WorkingHours()
    assert isinstance(clock_for("24x7", hours), ContinuousClock)
    business = clock_for("business", hours)
    assert isinstance(business, BusinessClock)
    assert business.add(sh(2026, 11, 20, 17, 30), hours.minutes_per_day * 60) == sh(
        2026, 11, 23, 17, 30
    )
    saturday_shift = WorkingHours(periods=[("10:00", "16:00")], extra_working_days=["2026-11-21"])
    assert clock_for("business", saturday_shift).add(sh(2026, 11, 20, 15), 2 * HOUR) == sh(
        2026, 11, 21, 11, 0
    )
    with pytest.raises(ValueError, match="unknown clock"):
        clock_for("lunar", hours)


def test_years_without_data_can_use_a_snapshot():
    assert years_without_data(date(2026, 1, 1), official=OfficialCalendar()) == [2027]
    entered = OfficialCalendar(entered_years=frozenset({2027}))
    assert years_without_data(date(2026, 1, 1), official=entered) == []


def test_system_check_warns_about_missing_years():
    with time_machine.travel(datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI), tick=False):
        [warning] = check_official_calendar()
        assert warning.id == "kesu.W001"
        assert "2027" in warning.msg
        official_year_set(year=2027, days_off=[], working_days=[])
        assert check_official_calendar() == []
    # 2026-12-31 16:30 UTC is already 2027-01-01 in Shanghai: 2028 becomes "next year".
    with time_machine.travel(datetime(2026, 12, 31, 16, 30, tzinfo=UTC), tick=False):
        [warning] = check_official_calendar()
        assert "2028" in warning.msg


def test_system_check_survives_a_database_without_tables(monkeypatch):
    def no_table(*args, **kwargs):
        raise OperationalError("no such table: workcal_officialyear")

    monkeypatch.setattr("kesu.workcal.calendar.OfficialYear.objects.filter", no_table)
    with time_machine.travel(datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI), tick=False):
        [warning] = check_official_calendar()
    assert "2027" in warning.msg
