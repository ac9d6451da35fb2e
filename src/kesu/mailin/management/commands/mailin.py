"""``kesu mailin poll``: poll the configured mailboxes once and print what became of the mail."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kesu.mailin.config import configured_mailboxes
from kesu.mailin.poll import poll_mailboxes


class Command(BaseCommand):
    help = "Email intake: poll the configured IMAP mailboxes once (the worker does it every 60 s)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("poll", help="fetch and handle new mail now")

    def handle(self, *args: Any, verb: str, **options: Any) -> None:
        if not configured_mailboxes():
            raise CommandError("no mailbox configured (KESU_MAILBOXES or KESU_IMAP_HOST)")
        result = poll_mailboxes()
        self.stdout.write(f"mailboxes polled: {result.mailboxes}, mails handled: {result.handled}")
        for outcome, count in sorted(result.outcomes.items()):
            self.stdout.write(f"  {outcome}: {count}")
        for name, error in result.errors.items():
            self.stderr.write(f"  {name}: {error}")
        if result.errors:
            raise CommandError(f"{len(result.errors)} mailbox(es) could not be polled")
