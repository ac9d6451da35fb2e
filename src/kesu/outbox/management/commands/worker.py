"""``kesu worker`` / ``manage.py worker``: deliver notifications and run periodic jobs."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kesu.outbox.worker import run_worker


class Command(BaseCommand):
    help = "Deliver outbox messages and run periodic jobs (deadline sweep). Stop with SIGTERM."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run one loop, then exit.")
        parser.add_argument(
            "--poll", type=float, default=2.0, help="Seconds to wait when idle (default 2)."
        )
        parser.add_argument("--worker-id", default=None, help="Default: hostname:pid.")

    def handle(self, *args: Any, **options: Any) -> None:
        status = run_worker(
            worker_id=options["worker_id"], once=options["once"], poll_seconds=options["poll"]
        )
        if status:
            sys.exit(status)
