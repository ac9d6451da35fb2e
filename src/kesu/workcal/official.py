"""Which days are official working days in mainland China, and where that answer comes from.

Every year the General Office of the State Council (国务院办公厅) publishes the next year's
arrangement: holidays, and weekend days that become working days (调休上班). Sources, first
match wins for a given year:

1. ``admin``: the arrangement an administrator entered for that year (OfficialYear rows);
   it replaces the package's data for the whole year.
2. ``package``: the ``chinesecalendar`` package, which covers the years it was released for
   (and raises NotImplementedError for others, which is why it is never called per date).
3. ``none``: Monday to Friday, so a year nobody entered never stops a deadline from being
   computed; a system check warns about it instead.

Pure: the admin data comes in as an :class:`OfficialCalendar` snapshot (see
``kesu.workcal.calendar`` for the loader).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Literal

import chinese_calendar

Source = Literal["admin", "package", "none"]


def is_weekday(day: date) -> bool:
    return day.weekday() < 5


@dataclass(frozen=True)
class PackageData:
    years: range
    days: Mapping[date, tuple[bool, str]]  # date → (is working day, Chinese name)


@cache
def package_data() -> PackageData:
    """chinesecalendar's tables, read once. Its own is_workday() scans all keys per call."""
    off: Mapping[date, str] = chinese_calendar.holidays
    on: Mapping[date, str] = chinese_calendar.workdays
    days: dict[date, tuple[bool, str]] = {}
    for day, english in off.items():
        days[day] = (False, _chinese_name(english))
    for day, english in on.items():
        days[day] = (True, _chinese_name(english))
    first = min(off).year
    last = max(off).year
    return PackageData(years=range(first, last + 1), days=days)


def _chinese_name(english: str) -> str:
    try:
        return chinese_calendar.Holiday(english).chinese
    except ValueError:
        return english


def package_covers(year: int) -> bool:
    return year in package_data().years


def package_working_day(day: date) -> bool | None:
    """The package's answer, or None for a year it does not know."""
    data = package_data()
    if day.year not in data.years:
        return None
    listed = data.days.get(day)
    return listed[0] if listed is not None else is_weekday(day)


def package_exceptions(year: int) -> list[tuple[date, bool, str]]:
    """The package's holidays and make-up working days in ``year``: (date, working, name)."""
    return sorted(
        (day, working, name)
        for day, (working, name) in package_data().days.items()
        if day.year == year
    )


@dataclass(frozen=True)
class OfficialCalendar:
    """A snapshot of the admin-entered arrangements, composed with the package and Mon–Fri.

    ``days`` maps a date to True (working day) or False (day off); a date of an entered year
    that is not listed follows Monday–Friday, as in the State Council's notices.
    """

    entered_years: frozenset[int] = frozenset()
    days: Mapping[date, bool] = field(default_factory=dict)

    def source(self, year: int) -> Source:
        if year in self.entered_years:
            return "admin"
        if package_covers(year):
            return "package"
        return "none"

    def is_working_day(self, day: date) -> bool:
        if day.year in self.entered_years:
            listed = self.days.get(day)
            return listed if listed is not None else is_weekday(day)
        package = package_working_day(day)
        return package if package is not None else is_weekday(day)


def with_policy_days(
    official: OfficialCalendar, extra_days_off: Iterable[date], extra_working_days: Iterable[date]
) -> Callable[[date], bool]:
    """The working-day test with a policy's own days on top: they beat every other source."""
    days_off = frozenset(extra_days_off)
    working = frozenset(extra_working_days)
    both = sorted(days_off & working)
    if both:
        listed = ", ".join(d.isoformat() for d in both)
        raise ValueError(f"dates both extra days off and extra working days: {listed}")

    def is_working_day(day: date) -> bool:
        if day in days_off:
            return False
        if day in working:
            return True
        return official.is_working_day(day)

    return is_working_day
