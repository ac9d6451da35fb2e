"""When a periodic job of the worker is due: every N seconds, or at a wall-clock time.

A job's schedule is written as a number of seconds (``60``: start to start) or as text in the
business time zone (``TIME_ZONE``, Asia/Shanghai):

- ``"daily 02:30"``
- ``"weekly mon 08:00"`` (``mon`` … ``sun``)
- ``"monthly 1 08:00"`` (day 1–28, so every month has it: the monthly report on the 1st)

A calendar job is due once its latest fire time has passed and it has not started since. A
worker that was down at the fire time runs it when it comes back (once, however many fire
times it missed); a job seen for the first time waits for its next fire time instead of
running at once, so installing on the 15th sends no monthly report for a half month.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PATTERN = re.compile(
    r"^(?P<kind>daily|weekly|monthly)\s+(?:(?P<day>[a-z]{3}|\d{1,2})\s+)?"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})$"
)


class ScheduleError(ValueError):
    pass


@dataclass(frozen=True)
class Every:
    seconds: float

    @property
    def lease_floor(self) -> float:
        return self.seconds

    def last_start_allowed(self, now: dt.datetime) -> dt.datetime:
        """Due if the job last started at or before this instant."""
        return now - dt.timedelta(seconds=self.seconds)

    def waits_for_first_fire(self) -> bool:
        return False


@dataclass(frozen=True)
class At:
    kind: str  # daily | weekly | monthly
    day: int  # weekday 0–6 or day of month 1–28; 0 for daily
    time: dt.time

    @property
    def lease_floor(self) -> float:
        return 0

    def previous_fire(self, now: dt.datetime) -> dt.datetime:
        """The latest fire time at or before ``now``."""
        zone = ZoneInfo(settings.TIME_ZONE)
        local = now.astimezone(zone)
        candidate = dt.datetime.combine(local.date(), self.time, tzinfo=zone)
        if self.kind == "daily":
            if candidate > local:
                candidate -= dt.timedelta(days=1)
        elif self.kind == "weekly":
            candidate -= dt.timedelta(days=(local.weekday() - self.day) % 7)
            if candidate > local:
                candidate -= dt.timedelta(days=7)
        else:
            candidate = candidate.replace(day=self.day)
            if candidate > local:
                first = candidate.replace(day=1) - dt.timedelta(days=1)
                candidate = candidate.replace(year=first.year, month=first.month)
        return candidate

    def last_start_allowed(self, now: dt.datetime) -> dt.datetime:
        # Started before the latest fire time: that fire has not been served yet.
        return self.previous_fire(now) - dt.timedelta(microseconds=1)

    def waits_for_first_fire(self) -> bool:
        return True


Schedule = Every | At


def parse_schedule(spec: float | int | str) -> Schedule:
    """``60`` → every 60 s; ``"monthly 1 08:00"`` → at 08:00 on each 1st. Bad text raises."""
    if isinstance(spec, int | float) and not isinstance(spec, bool):
        if spec <= 0:
            raise ScheduleError(f"an interval must be positive, not {spec!r}")
        return Every(float(spec))
    text = str(spec).strip().lower()
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        return parse_schedule(seconds)
    match = _PATTERN.match(text)
    if match is None:
        raise ScheduleError(
            f"{spec!r}: write seconds, 'daily HH:MM', 'weekly mon HH:MM' or 'monthly D HH:MM'"
        )
    kind, day_text = match["kind"], match["day"]
    hour, minute = int(match["hour"]), int(match["minute"])
    if hour > 23 or minute > 59:
        raise ScheduleError(f"{spec!r}: no such time of day")
    if kind == "daily":
        if day_text:
            raise ScheduleError(f"{spec!r}: a daily job takes no day")
        day = 0
    elif kind == "weekly":
        if day_text not in WEEKDAYS:
            raise ScheduleError(f"{spec!r}: the day is one of {', '.join(WEEKDAYS)}")
        day = WEEKDAYS.index(day_text)
    else:
        if not day_text or not day_text.isdigit() or not 1 <= int(day_text) <= 28:
            raise ScheduleError(f"{spec!r}: the day of the month is 1 to 28")
        day = int(day_text)
    return At(kind, day, dt.time(hour, minute))
