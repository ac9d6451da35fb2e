"""Entering a year's official arrangement (from the admin command or a script)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from kesu.workcal.calendar import forget_official_calendar
from kesu.workcal.models import DayKind, OfficialDay, OfficialYear


def _validate(year: int, days_off: list[tuple[date, str]], working_days: list[tuple[date, str]]):
    problems: list[str] = []
    for label, days in (("day off", days_off), ("working day", working_days)):
        for day, _name in days:
            if isinstance(day, datetime) or not isinstance(day, date):
                problems.append(f"{label} {day!r} is not a date")
            elif day.year != year:
                problems.append(f"{label} {day.isoformat()} is not in {year}")
    counts = Counter(day for day, _name in [*days_off, *working_days])
    repeated = sorted(day.isoformat() for day, n in counts.items() if n > 1)
    if repeated:
        problems.append(f"dates listed more than once (or both off and working): {repeated}")
    if problems:
        raise ValueError(f"official arrangement for {year}: " + "; ".join(problems))


@transaction.atomic
def official_year_set(
    *,
    year: int,
    days_off: list[tuple[date, str]],
    working_days: list[tuple[date, str]],
    notes: str = "",
    user: Any = None,
) -> OfficialYear:
    """Record ``year``'s arrangement, replacing any earlier entry for that year.

    From then on this year ignores the chinesecalendar package: days listed here are off or
    working, every other day follows Monday–Friday.
    """
    _validate(year, days_off, working_days)
    official, _created = OfficialYear.objects.update_or_create(
        year=year, defaults={"notes": notes, "entered_by": user, "entered_at": timezone.now()}
    )
    official.days.all().delete()
    OfficialDay.objects.bulk_create(
        [
            *(
                OfficialDay(year=official, date=d, kind=DayKind.DAY_OFF, name=n)
                for d, n in days_off
            ),
            *(
                OfficialDay(year=official, date=d, kind=DayKind.WORKING_DAY, name=n)
                for d, n in working_days
            ),
        ]
    )
    # This process sees the new days at once; other processes within a minute.
    forget_official_calendar()
    transaction.on_commit(forget_official_calendar)
    return official
