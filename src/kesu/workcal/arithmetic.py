"""Working-time arithmetic: when is a deadline, how much working time has passed.

Pure: no database, and the current time is never read, so every result follows from the
arguments alone and can be recomputed later with the same answer (SPEC §4).

Both clocks take aware datetimes in any time zone and return them in the clock's zone
(Asia/Shanghai). Internally everything is compared in UTC, because subtracting two aware
datetimes that share a tzinfo object gives wall-clock, not elapsed, time.

Business time is counted interval by interval (one or a few working periods per day), never
second by second, so a ten-working-day deadline costs a couple of dozen steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A calendar without a single working day over three years is a broken calendar, not a long
# holiday: stop instead of looping for ever.
MAX_IDLE_DAYS = 366 * 3

_SECOND = timedelta(seconds=1)
_DAY = timedelta(days=1)


class Clock(Protocol):
    def add(self, start: datetime, seconds: int) -> datetime:
        """The instant when ``seconds`` (>= 0) of this clock's time have elapsed after start."""
        ...

    def between(self, a: datetime, b: datetime) -> int:
        """This clock's seconds in [a, b); negative if b < a (== -between(b, a))."""
        ...


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: give a time zone")
    return moment.astimezone(UTC)


def _check_seconds(seconds: int) -> None:
    if seconds < 0:
        raise ValueError(f"seconds must not be negative (got {seconds})")


def _whole_seconds(delta: timedelta) -> int:
    """Seconds in a non-negative timedelta, fractions dropped."""
    return delta // _SECOND


@dataclass(frozen=True)
class ContinuousClock:
    """The ``24x7`` clock: plain elapsed time."""

    tz: ZoneInfo = SHANGHAI

    def add(self, start: datetime, seconds: int) -> datetime:
        _check_seconds(seconds)
        return (_utc(start) + timedelta(seconds=seconds)).astimezone(self.tz)

    def between(self, a: datetime, b: datetime) -> int:
        ua, ub = _utc(a), _utc(b)
        if ub < ua:
            return -_whole_seconds(ua - ub)
        return _whole_seconds(ub - ua)


def parse_periods(periods: list[tuple[str, str]]) -> tuple[tuple[time, time], ...]:
    """[("09:00", "12:00"), ...] → ((time(9), time(12)), ...)."""
    return tuple((time.fromisoformat(start), time.fromisoformat(end)) for start, end in periods)


@dataclass(frozen=True)
class BusinessClock:
    """Working time: ``periods`` (local times) on the days ``is_working_day`` accepts.

    Conventions:

    * ``add(t, 0)`` is ``t`` itself, even outside working time: a zero duration means
      "immediately", and callers expect the due time to be the start time then.
    * ``add(t, s)`` with ``s > 0`` and ``t`` outside working time counts from the next
      working period's start.
    * A result that falls exactly at the end of a period is that end (Friday 17:30 plus
      30 minutes is Friday 18:00, not Monday 09:00).
    """

    periods: tuple[tuple[time, time], ...]
    is_working_day: Callable[[date], bool]
    tz: ZoneInfo = SHANGHAI

    def __post_init__(self) -> None:
        if not self.periods:
            raise ValueError("a business clock needs at least one working period")
        previous_end: time | None = None
        for start, end in self.periods:
            if not start < end:
                raise ValueError(f"working period {start}-{end} must end after it starts")
            if previous_end is not None and start < previous_end:
                raise ValueError(f"working periods must be ordered and not overlap ({start})")
            previous_end = end

    # --- the clock -----------------------------------------------------------------------

    def add(self, start: datetime, seconds: int) -> datetime:
        _check_seconds(seconds)
        moment = _utc(start)
        if seconds == 0:
            return moment.astimezone(self.tz)
        remaining = timedelta(seconds=seconds)
        for begin, end in self._intervals_from(moment):
            available = end - begin
            if remaining <= available:
                return (begin + remaining).astimezone(self.tz)
            remaining -= available
        raise AssertionError("unreachable: _intervals_from never ends")  # pragma: no cover

    def between(self, a: datetime, b: datetime) -> int:
        ua, ub = _utc(a), _utc(b)
        if ub < ua:
            return -self.between(b, a)
        total = timedelta(0)
        day = ua.astimezone(self.tz).date()
        last = ub.astimezone(self.tz).date()
        while day <= last:
            for begin, end in self._day_intervals(day):
                low, high = max(begin, ua), min(end, ub)
                if high > low:
                    total += high - low
            day += _DAY
        return _whole_seconds(total)

    # --- helpers also useful to callers ----------------------------------------------------

    def is_working_time(self, moment: datetime) -> bool:
        """Whether ``moment`` lies in a working period (start included, end excluded)."""
        utc = _utc(moment)
        day = utc.astimezone(self.tz).date()
        return any(begin <= utc < end for begin, end in self._day_intervals(day))

    def next_working_instant(self, moment: datetime) -> datetime:
        """``moment`` if it is working time, else the start of the next working period."""
        begin, _end = next(self._intervals_from(_utc(moment)))
        return begin.astimezone(self.tz)

    # --- internals ---------------------------------------------------------------------------

    def _day_intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The day's working periods as UTC instants; none on a day off."""
        if not self.is_working_day(day):
            return ()
        return tuple(
            (
                datetime.combine(day, start, tzinfo=self.tz).astimezone(UTC),
                datetime.combine(day, end, tzinfo=self.tz).astimezone(UTC),
            )
            for start, end in self.periods
        )

    def _intervals_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals after ``moment`` (UTC), the first one clipped to start there."""
        day = moment.astimezone(self.tz).date()
        idle_days = 0
        while True:
            intervals = self._day_intervals(day)
            if intervals:
                idle_days = 0
            else:
                idle_days += 1
                if idle_days > MAX_IDLE_DAYS:
                    raise ValueError(
                        f"no working day in the {MAX_IDLE_DAYS} days up to {day}: "
                        "check the working-day calendar"
                    )
            for begin, end in intervals:
                if end > moment:
                    yield max(begin, moment), end
            day += _DAY
