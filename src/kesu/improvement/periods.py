"""Months and periods on the local clock (TIME_ZONE, Asia/Shanghai): a month of the report
starts at local midnight of its first day, not at UTC midnight."""

from __future__ import annotations

from datetime import date, datetime, time

from django.utils import timezone


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def as_moment(value: date | datetime) -> datetime:
    """A date is its local midnight; an aware datetime stays as it is."""
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            raise ValueError("naive datetime: give the time zone")
        return value
    return local_midnight(value)


def next_month(month: date) -> date:
    first = month.replace(day=1)
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    first = month.replace(day=1)
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[start, end) of the month containing ``month``."""
    first = month.replace(day=1)
    return local_midnight(first), local_midnight(next_month(first))
