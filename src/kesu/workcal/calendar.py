"""Clocks for the policy's milestones, built from the official calendar in the database.

The admin-entered arrangements are read in one small query each time a clock is built, so a
year entered in the admin takes effect at once in every process (web and worker) without a
cache to invalidate. Callers that build many clocks at once can load the snapshot once with
:func:`load_official_calendar` and pass it as ``official``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date
from typing import Protocol

from django.utils import timezone
from django.utils.translation import gettext

from kesu.workcal.arithmetic import SHANGHAI, BusinessClock, Clock, ContinuousClock, parse_periods
from kesu.workcal.models import DayKind, OfficialYear
from kesu.workcal.official import OfficialCalendar, Source, package_covers, with_policy_days


class WorkingHoursLike(Protocol):
    """What a clock needs from a policy (``kesu.policy.schema.WorkingHours``)."""

    periods: Sequence[tuple[str, str]]
    extra_days_off: Sequence[str]
    extra_working_days: Sequence[str]


def load_official_calendar() -> OfficialCalendar:
    """All admin-entered years and their days, in one query (a LEFT JOIN)."""
    years: set[int] = set()
    days: dict[date, bool] = {}
    for year, day, kind in OfficialYear.objects.values_list("year", "days__date", "days__kind"):
        years.add(year)
        if day is not None:
            days[day] = kind == DayKind.WORKING_DAY
    return OfficialCalendar(entered_years=frozenset(years), days=days)


_CACHE_SECONDS = 60.0
_cached: tuple[float, OfficialCalendar] | None = None


def cached_official_calendar() -> OfficialCalendar:
    """The admin-entered years, re-read at most once a minute per process: deadlines are
    computed many times per request. ``forget_official_calendar`` drops it at once."""
    global _cached
    now = time.monotonic()
    if _cached is None or now - _cached[0] > _CACHE_SECONDS:
        _cached = (now, load_official_calendar())
    return _cached[1]


def forget_official_calendar() -> None:
    global _cached
    _cached = None


def _iso_dates(values: Sequence[str], label: str) -> list[date]:
    try:
        return [date.fromisoformat(str(value)) for value in values]
    except ValueError as exc:
        raise ValueError(f"{label}: {exc}") from exc


def business_clock(
    periods: Sequence[tuple[str, str]],
    extra_days_off: Sequence[str],
    extra_working_days: Sequence[str],
    *,
    official: OfficialCalendar | None = None,
) -> BusinessClock:
    """A business clock: ``periods`` ("HH:MM" pairs, Asia/Shanghai) on official working days,
    with the policy's extra days (ISO dates) taking precedence over every other source."""
    snapshot = official if official is not None else load_official_calendar()
    is_working_day = with_policy_days(
        snapshot,
        _iso_dates(extra_days_off, "extra days off"),
        _iso_dates(extra_working_days, "extra working days"),
    )
    return BusinessClock(periods=parse_periods(list(periods)), is_working_day=is_working_day)


def clock_for(
    kind: str, working_hours: WorkingHoursLike, *, official: OfficialCalendar | None = None
) -> Clock:
    """The clock a milestone runs on: ``24x7`` (elapsed time) or ``business``."""
    if kind == "24x7":
        return ContinuousClock()
    if kind == "business":
        return business_clock(
            working_hours.periods,
            working_hours.extra_days_off,
            working_hours.extra_working_days,
            official=official,
        )
    raise ValueError(f"unknown clock {kind!r}: use '24x7' or 'business'")


def is_official_working_day(
    day: date,
    *,
    extra_days_off: Sequence[str] = (),
    extra_working_days: Sequence[str] = (),
    official: OfficialCalendar | None = None,
) -> bool:
    """Policy extra days > admin-entered year > chinesecalendar > Monday–Friday."""
    snapshot = official if official is not None else load_official_calendar()
    return with_policy_days(
        snapshot,
        _iso_dates(extra_days_off, "extra days off"),
        _iso_dates(extra_working_days, "extra working days"),
    )(day)


def shanghai_today() -> date:
    return timezone.now().astimezone(SHANGHAI).date()


def year_source(year: int, *, official: OfficialCalendar | None = None) -> Source:
    """Where ``year``'s working days come from: admin, package or none (Monday–Friday)."""
    if official is not None:
        return official.source(year)
    if OfficialYear.objects.filter(year=year).exists():
        return "admin"
    return "package" if package_covers(year) else "none"


def years_without_data(today: date, *, official: OfficialCalendar | None = None) -> list[int]:
    """Of this year and next, those with neither an admin-entered arrangement nor package data."""
    years = [today.year, today.year + 1]
    if official is not None:
        entered = official.entered_years
    else:
        entered = frozenset(
            OfficialYear.objects.filter(year__in=years).values_list("year", flat=True)
        )
    return [y for y in years if y not in entered and not package_covers(y)]


def calendar_warnings(today: date, *, official: OfficialCalendar | None = None) -> list[str]:
    return [
        gettext(
            "No official holiday arrangement for %(year)s: working days fall back to "
            "Monday–Friday. Enter the State Council's arrangement in the admin."
        )
        % {"year": year}
        for year in years_without_data(today, official=official)
    ]
