"""Periods: half-open intervals [start, end) of aware instants, calendar ones in Asia/Shanghai.

A complaint received at 2026-10-31 23:59 Asia/Shanghai (15:59 UTC) is October's; one received
at 2026-11-01 00:00 (2026-10-31 16:00 UTC) is November's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from kesu.workcal.arithmetic import SHANGHAI

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a period needs aware datetimes")
        if self.end <= self.start:
            raise ValueError("a period must end after it starts")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        first = date(year, month, 1)
        return cls(_midnight(first), _midnight(_add_months(first, 1)))

    @classmethod
    def parse_month(cls, text: str) -> Period:
        """'2026-10' → October 2026; ValueError otherwise."""
        match = _MONTH.match(text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"{text!r} is not a month (YYYY-MM)")
        return cls.month(int(match.group(1)), int(match.group(2)))

    @classmethod
    def days(cls, first: date, last: date) -> Period:
        """From ``first`` 00:00 to the day after ``last`` 00:00, Asia/Shanghai."""
        return cls(_midnight(first), _midnight(date.fromordinal(last.toordinal() + 1)))

    @property
    def first_day(self) -> date:
        return self.start.astimezone(SHANGHAI).date()

    @property
    def label(self) -> str:
        """'2026-10' for a calendar month, else 'YYYY-MM-DD HH:MM – YYYY-MM-DD HH:MM'."""
        months = self.whole_months()
        if months is not None and len(months) == 1:
            return f"{months[0]:%Y-%m}"
        fmt = "%Y-%m-%d %H:%M"
        return f"{self.start.astimezone(SHANGHAI):{fmt}} – {self.end.astimezone(SHANGHAI):{fmt}}"

    def whole_months(self) -> list[date] | None:
        """The first days of the calendar months the period is made of; None unless it starts
        and ends at a month's start (Asia/Shanghai)."""
        start, end = self.start.astimezone(SHANGHAI), self.end.astimezone(SHANGHAI)
        if start != _midnight(start.date().replace(day=1)):
            return None
        if end != _midnight(end.date().replace(day=1)):
            return None
        months, day = [], start.date()
        while day < end.date():
            months.append(day)
            day = _add_months(day, 1)
        return months

    def shifted_months(self, months: int) -> Period:
        """The calendar month ``months`` away from this one (a calendar-month period)."""
        first = _add_months(self.first_day.replace(day=1), months)
        return Period.month(first.year, first.month)

    def previous_months(self, count: int) -> list[Period]:
        """The ``count`` calendar months ending with this one, the oldest first."""
        return [self.shifted_months(-i) for i in range(count - 1, -1, -1)]
