"""`kesu import FILE [--mode all|valid] [--as USERNAME]`: import complaints from an .xlsx or
CSV file through ``services.importing`` and print the row-by-row report. The way for large
files (up to ``importing.MAX_ROWS`` rows). Exits with status 1 when nothing could be imported
because of bad rows (all-or-nothing) or the file itself."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kesu.accounts.models import Role, User
from kesu.complaints.errors import DomainError
from kesu.complaints.services import importing
from kesu.policy.loader import NoActivePolicy

MODES = {"all": importing.ALL_OR_NOTHING, "valid": importing.VALID_ONLY}


class Command(BaseCommand):
    help = "Import complaints from an Excel (.xlsx) or CSV file (layout: docs/import.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=".xlsx or .csv file; row 1 holds the column names")
        parser.add_argument(
            "--mode",
            choices=sorted(MODES),
            default="all",
            help="all: nothing is stored if any row is bad (default); valid: the good rows are",
        )
        parser.add_argument(
            "--as",
            dest="username",
            help="the importing user (agent, customer-service manager or admin); "
            "default: the only active admin",
        )

    def handle(self, *args: object, **opts: object) -> None:
        path = Path(str(opts["file"]))
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        actor = _actor(opts.get("username"))
        try:
            with path.open("rb") as file:
                report = importing.import_complaints(
                    file=file, file_name=path.name, actor=actor, mode=MODES[str(opts["mode"])]
                )
        except NoActivePolicy as exc:
            raise CommandError(str(exc)) from None
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        self._print(report)
        if report.refused:
            raise CommandError(report.summary(), returncode=1)

    def _print(self, report: importing.ImportReport) -> None:
        for e in report.errors:
            where = f"{e.column} ({e.field})" if e.field else "-"
            self.stdout.write(f"row {e.row}\t{where}\t{e.message}")
        if report.ignored_columns:
            self.stdout.write("ignored columns: " + ", ".join(report.ignored_columns))
        for row, number in report.created:
            self.stdout.write(f"row {row}\t{number}", style_func=None)
        counts = (
            f"rows {report.rows}, valid {report.valid}, with errors {report.invalid}, "
            f"imported {report.stored} (closed history {report.closed_history}, "
            f"overdue {report.overdue})"
        )
        self.stdout.write(counts)
        if not report.refused:
            self.stdout.write(self.style.SUCCESS(report.summary()))


def _actor(username: object) -> User:
    if username:
        user = User.objects.filter(username=str(username), is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        return user
    admins = list(User.objects.filter(role=Role.ADMIN, is_active=True)[:2])
    if len(admins) != 1:
        raise CommandError("say who imports: --as USERNAME")
    return admins[0]
