"""`kesu restore ARCHIVE [--force]`: put a backup's database and files back, then compare
every table's rows and checksum and every file's sha256 with the archive's manifest
(docs/backup.md). Refuses a database or uploads folder that already holds data unless
``--force``.

`kesu restore --check ARCHIVE`: check the archive only (as ``kesu backup --verify``).
`kesu restore --compare ARCHIVE`: compare the database and files as they are now with the
archive's manifest, restoring nothing.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kesu.backup.archive import (
    ArchiveDamaged,
    Report,
    check_archive,
    compare_live,
    pending_migrations,
    restore,
    scan,
)
from kesu.backup.databases import BackupError


class Command(BaseCommand):
    help = "Restore a backup made by `kesu backup` and verify it (docs/backup.md)."
    requires_system_checks: list[str] = []  # the database may not exist yet

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="the archive written by `kesu backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database and uploads folder that already hold data",
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--check", action="store_true", help="check the archive only, restore nothing"
        )
        mode.add_argument(
            "--compare",
            action="store_true",
            help="compare the database and files now with the archive, restore nothing",
        )

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def handle(self, *args: object, **opts: object) -> None:
        archive = Path(str(opts["archive"])).expanduser().resolve()
        if not archive.is_file():
            raise CommandError(_("%(path)s does not exist.") % {"path": archive})
        try:
            if opts.get("check"):
                report = check_archive(archive, self.say)
                self._finish(
                    report,
                    _("%(path)s is complete and matches its manifest.") % {"path": archive},
                    _("%(path)s does not match its manifest: %(count)s differences.")
                    % {"path": archive, "count": report.differences},
                )
                return
            if opts.get("compare"):
                manifest = scan(archive).manifest
                assert manifest is not None
                report = compare_live(manifest, self.say)
                self._finish(
                    report,
                    _("The database and files match %(path)s.") % {"path": archive},
                    _("The database and files differ from %(path)s: %(count)s differences.")
                    % {"path": archive, "count": report.differences},
                )
                return
            try:
                _manifest, report = restore(archive, force=bool(opts.get("force")), say=self.say)
            except ArchiveDamaged as exc:
                self.say(exc.report.render())
                raise CommandError(str(exc)) from None
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self._finish(
            report,
            _("Restored and verified: the database and files match %(path)s.") % {"path": archive},
            _("The restored database and files differ from %(path)s: %(count)s differences.")
            % {"path": archive, "count": report.differences},
        )
        pending, unknown = pending_migrations()
        if pending:
            self.say(
                _(
                    "This kesu has %(count)s migrations the restored database lacks: run"
                    " `kesu migrate`."
                )
                % {"count": len(pending)}
            )
        if unknown:
            self.say(
                _(
                    "The restored database has migrations this kesu does not know"
                    " (%(names)s): the backup comes from a newer kesu."
                )
                % {"names": ", ".join(unknown)}
            )

    def _finish(self, report: Report, good: str, bad: str) -> None:
        self.say(report.render())
        if not report.ok:
            raise CommandError(bad)
        self.say(good)
