"""`kesu volume import FILE [--kind orders|waybills] [--department CODE]`: business volume per
month from a CSV or .xlsx file (two columns: month, volume; a header row allowed).
`kesu volume show`: the latest entries."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kesu.analysis.models import VolumeKind
from kesu.analysis.volume import volume_import, volume_rows
from kesu.complaints.errors import DomainError


class Command(BaseCommand):
    help = "Business volume (orders or waybills per month): import from a file, or show."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="command", required=True)
        imp = sub.add_parser("import", help="import months and volumes from .csv or .xlsx")
        imp.add_argument("file")
        imp.add_argument("--kind", choices=VolumeKind.values, default=VolumeKind.ORDERS)
        imp.add_argument("--department", help="department code; default: the whole company")
        show = sub.add_parser("show", help="the latest entries")
        show.add_argument("--kind", choices=VolumeKind.values)

    def handle(self, *args: object, **opts: object) -> None:
        if opts["command"] == "show":
            for row in volume_rows(kind=opts.get("kind") or None):
                dept = row.department.code if row.department else "-"
                self.stdout.write(f"{row.month:%Y-%m}  {row.kind:<8} {dept:<16} {row.volume}")
            return
        path = Path(str(opts["file"]))
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            rows = volume_import(
                path.read_bytes(),
                filename=path.name,
                kind=str(opts["kind"]),
                department=opts.get("department") or None,  # type: ignore[arg-type]
            )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        for row in rows:
            self.stdout.write(f"{row.month:%Y-%m}  {row.kind}  {row.volume}")
        self.stdout.write(self.style.SUCCESS(f"{len(rows)} months imported"))
