"""`kesu backup [DEST]`: one archive with the database, every stored file and a manifest of
counts and checksums (docs/backup.md). DEST is a file name or a folder (default: the current
folder), where ``kesu-backup-YYYYMMDD-HHMMSS.tar`` is written.

`kesu backup --verify ARCHIVE`: check an archive against its own manifest, restoring nothing.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kesu.backup.archive import backup, check_archive
from kesu.backup.databases import BackupError


class Command(BaseCommand):
    help = "Back up the database and the stored files into one archive (docs/backup.md)."
    requires_system_checks: list[str] = []  # the checks read the database: not needed here

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "dest",
            nargs="?",
            help="archive file or folder (default: kesu-backup-YYYYMMDD-HHMMSS.tar here)",
        )
        parser.add_argument(
            "--verify",
            metavar="ARCHIVE",
            help="check ARCHIVE against its manifest instead of writing a backup",
        )

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def handle(self, *args: object, **opts: object) -> None:
        try:
            if opts.get("verify"):
                self._verify(Path(str(opts["verify"])))
                return
            path, manifest, sha = backup(opts.get("dest") or None, self.say)  # type: ignore[arg-type]
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        rows = sum(t["rows"] for t in manifest["tables"].values())
        self.say(
            _(
                "Backup written: %(path)s (%(tables)s tables, %(rows)s rows, %(files)s files,"
                " archive sha256 %(sha)s)."
            )
            % {
                "path": path,
                "tables": len(manifest["tables"]),
                "rows": rows,
                "files": manifest["files"]["count"],
                "sha": sha,
            }
        )

    def _verify(self, archive: Path) -> None:
        if not archive.is_file():
            raise CommandError(_("%(path)s does not exist.") % {"path": archive})
        report = check_archive(archive, self.say)
        self.say(report.render())
        if not report.ok:
            raise CommandError(
                _("%(path)s does not match its manifest: %(count)s differences.")
                % {"path": archive, "count": report.differences}
            )
        self.say(_("%(path)s is complete and matches its manifest.") % {"path": archive})
