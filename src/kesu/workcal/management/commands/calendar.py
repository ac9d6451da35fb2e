"""``calendar status | set-year YEAR FILE.yaml | show YEAR``: the official working-day data.

The YAML file for ``set-year`` holds the State Council's notice for the year::

    notes: 国办发明电〔2026〕X号
    days_off:
      2027-01-01: 元旦
      2027-02-06: 春节
    working_days:
      2027-02-14: 调休上班
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kesu.workcal.calendar import load_official_calendar, shanghai_today
from kesu.workcal.models import DayKind, OfficialDay, OfficialYear
from kesu.workcal.official import package_data, package_exceptions
from kesu.workcal.services import official_year_set

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
FILE_KEYS = {"notes", "days_off", "working_days"}


def _days_from_yaml(value: Any, key: str) -> list[tuple[date, str]]:
    if value is None:
        return []
    if not isinstance(value, dict):
        raise CommandError(f"{key}: expected a mapping of date to name (2027-01-01: 元旦)")
    days = []
    for raw, name in value.items():
        try:
            # Unquoted YAML dates arrive as dates, quoted ones as strings.
            day = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
        except ValueError as exc:
            raise CommandError(f"{key}: {raw!r} is not a date (YYYY-MM-DD)") from exc
        days.append((day, "" if name is None else str(name)))
    return days


class Command(BaseCommand):
    help = "Show or enter the official holiday arrangement that business clocks use."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        status = sub.add_parser("status", help="Where this and next year's working days come from")
        status.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
        set_year = sub.add_parser("set-year", help="Enter a year's arrangement from a YAML file")
        set_year.add_argument("year", type=int)
        set_year.add_argument("file", type=Path)
        show = sub.add_parser("show", help="List a year's holidays and make-up working days")
        show.add_argument("year", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "status":
            self.status(options["today"] or shanghai_today())
        elif action == "set-year":
            self.set_year(options["year"], options["file"])
        else:
            self.show(options["year"])

    def status(self, today: date) -> None:
        official = load_official_calendar()
        covered = package_data().years
        for year in (today.year, today.year + 1):
            source = official.source(year)
            if source == "admin":
                entry = OfficialYear.objects.select_related("entered_by").get(year=year)
                who = f" by {entry.entered_by}" if entry.entered_by else ""
                detail = f"entered in the admin on {entry.entered_at:%Y-%m-%d}{who}"
            elif source == "package":
                detail = f"chinesecalendar package (covers {covered[0]}–{covered[-1]})"
            else:
                detail = (
                    "no data: Monday–Friday fallback; enter the State Council's arrangement "
                    f"in the admin or with `calendar set-year {year} FILE.yaml`"
                )
            self.stdout.write(f"{year}: {source} — {detail}")

    def set_year(self, year: int, file: Path) -> None:
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        if not isinstance(data, dict):
            raise CommandError(f"{file}: expected a mapping with days_off and working_days")
        unknown = set(data) - FILE_KEYS
        if unknown:
            raise CommandError(
                f"{file}: unknown keys {sorted(unknown)} (known: {sorted(FILE_KEYS)})"
            )
        days_off = _days_from_yaml(data.get("days_off"), "days_off")
        working_days = _days_from_yaml(data.get("working_days"), "working_days")
        try:
            official_year_set(
                year=year,
                days_off=days_off,
                working_days=working_days,
                notes=str(data.get("notes") or ""),
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{year}: {len(days_off)} days off and {len(working_days)} working days entered; "
                "this year no longer uses the package's data."
            )
        )

    def show(self, year: int) -> None:
        source = load_official_calendar().source(year)
        if source == "admin":
            rows = [
                (d.date, d.kind == DayKind.WORKING_DAY, d.name)
                for d in OfficialDay.objects.filter(year__year=year)
            ]
            self.stdout.write(f"{year} (entered in the admin):")
        elif source == "package":
            rows = package_exceptions(year)
            self.stdout.write(f"{year} (chinesecalendar package):")
        else:
            self.stdout.write(f"{year}: no data; Monday–Friday are working days.")
            return
        if not rows:
            self.stdout.write("  no holidays or make-up working days: Monday–Friday")
        for day, working, name in rows:
            kind = "working day" if working else "day off"
            self.stdout.write(f"  {day.isoformat()} {WEEKDAYS[day.weekday()]}  {kind:<11}  {name}")
