"""`kesu report --month 2026-10 --format pdf|xlsx|html [--output FILE] [--department CODE]`:
render the monthly analysis report, keep it as a report run and write a copy to FILE (default:
the file's own name in the current directory)."""

from __future__ import annotations

import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kesu.accounts.models import Department
from kesu.reports.models import ReportFormat, ReportSource
from kesu.reports.services import parse_month, report_generate


class Command(BaseCommand):
    help = "Render the monthly analysis report (PDF, Excel or HTML) and write it to a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", required=True, help="the month, YYYY-MM")
        parser.add_argument("--format", choices=ReportFormat.values, default=ReportFormat.PDF)
        parser.add_argument("--output", help="where to write the file (default: its own name)")
        parser.add_argument("--department", help="one department's report (its code)")
        parser.add_argument("--language", default="zh-hans", help="zh-hans (default) or en")

    def handle(self, *args: object, **opts: object) -> None:
        try:
            month = parse_month(str(opts["month"]))
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        department = None
        if opts.get("department"):
            department = Department.objects.filter(code=opts["department"]).first()
            if department is None:
                raise CommandError(f"no department with the code {opts['department']!r}")
        run = report_generate(
            month=month,
            fmt=str(opts["format"]),
            source=ReportSource.COMMAND,
            department=department,
            language=str(opts["language"]),
        )
        target = Path(str(opts.get("output") or run.filename))
        with run.file.open("rb") as source, target.open("wb") as out:
            shutil.copyfileobj(source, out)
        self.stdout.write(f"{target}\t{run.size} bytes\tsha256 {run.sha256}")
