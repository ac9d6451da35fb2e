"""The worker process: delivers the outbox and runs periodic jobs (deadline sweep, ...).

Several workers may run against one PostgreSQL database: messages are claimed with
``SELECT ... FOR UPDATE SKIP LOCKED`` and each periodic job holds a ``WorkerLease`` row, so a job
runs once per interval however many workers there are. On SQLite (one writer at a time) the same
code runs with conditional updates.

Settings read at call time: ``KESU_WORKER_JOBS`` (list of ``(dotted path, schedule)``, see
``schedule.py``), ``KESU_WORKER_JOB_LEASE_SECONDS`` (120), ``KESU_OUTBOX_BATCH`` (50),
``KESU_OUTBOX_LEASE_SECONDS`` (60).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from kesu.outbox.models import WorkerLease
from kesu.outbox.schedule import At, Every, Schedule, parse_schedule
from kesu.outbox.services import deliver_due, log_event
from kesu.web.dbdown import unavailable_reason

# (dotted path, schedule): seconds from start to start, or "daily HH:MM" / "weekly mon HH:MM" /
# "monthly D HH:MM" in TIME_ZONE (kesu.outbox.schedule).
DEFAULT_JOBS: list[tuple[str, float | str]] = [
    ("kesu.complaints.services.sweep.sweep_deadlines", 60),
    # Email intake; returns at once when no mailbox is configured (docs/email-intake.md).
    ("kesu.mailin.poll.poll_mailboxes", 60),
    # Overdue improvement actions and effectiveness checks falling due (docs/improvement.md).
    ("kesu.improvement.sweep.sweep_actions", 300),
    # Last month's report to management (docs/reports.md).
    ("kesu.reports.jobs.monthly_report", "monthly 1 08:00"),
    # The trend's monthly snapshots of the last 12 ended months (docs/analysis.md).
    ("kesu.analysis.snapshots.refresh_snapshots", "daily 02:30"),
]

Job = Callable[..., Any]


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# ---- job leases -----------------------------------------------------------------------------


def _ensure_lease_rows(schedules: dict[str, Schedule], now: dt.datetime) -> None:
    # ignore_conflicts: two workers starting together both try to create the rows. A calendar
    # job seen for the first time counts as run now, so it waits for its next fire time.
    rows = [
        WorkerLease(name=name, last_run_at=now if schedule.waits_for_first_fire() else None)
        for name, schedule in schedules.items()
    ]
    WorkerLease.objects.bulk_create(rows, ignore_conflicts=True)


@dataclasses.dataclass(frozen=True)
class Claim:
    """A job's lease taken; ``previous_run_at`` is put back if a calendar job fails."""

    previous_run_at: dt.datetime | None


def claim_job(
    *,
    name: str,
    worker_id: str,
    interval: float | Schedule,
    now: dt.datetime,
    lease_seconds: float,
) -> Claim | None:
    """Take the job's lease if it is free and due by its schedule (``interval``: seconds from
    start to start, or a calendar schedule from ``kesu.outbox.schedule``); None if not.

    ``last_run_at`` is set at the claim, so the other workers see the job as not due even after
    the lease is released.
    """
    schedule = interval if isinstance(interval, Every | At) else parse_schedule(interval)
    allowed = schedule.last_start_allowed(now)
    lease_until = now + dt.timedelta(seconds=lease_seconds)
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            row = WorkerLease.objects.select_for_update(skip_locked=True).filter(name=name).first()
            if row is None or not row.is_due(now, allowed):
                return None  # locked by a worker claiming it right now, or not due
            claim = Claim(previous_run_at=row.last_run_at)
            row.leased_by, row.lease_until, row.last_run_at = worker_id, lease_until, now
            row.save(update_fields=["leased_by", "lease_until", "last_run_at"])
            return claim
    # One UPDATE whose WHERE re-checks "free and due": only one writer can win it. The value
    # read before is the one the winner replaced (a loser's UPDATE matches no row).
    previous = WorkerLease.objects.filter(name=name).values_list("last_run_at", flat=True).first()
    free = Q(lease_until__isnull=True) | Q(lease_until__lte=now)
    due = Q(last_run_at__isnull=True) | Q(last_run_at__lte=allowed)
    updated = WorkerLease.objects.filter(free, due, name=name).update(
        leased_by=worker_id, lease_until=lease_until, last_run_at=now
    )
    return Claim(previous_run_at=previous) if updated else None


def release_job(
    *, name: str, worker_id: str, retry: tuple[dt.datetime | None, dt.datetime] | None = None
) -> None:
    """Give the lease back. ``retry`` = (previous run, not before): a failed calendar job gets
    its fire time back and is tried again after a pause, instead of waiting for the next fire
    (a monthly report that failed on the 1st would otherwise wait a month)."""
    fields: dict[str, Any] = {"lease_until": None}
    if retry is not None:
        fields = {"last_run_at": retry[0], "lease_until": retry[1]}
    WorkerLease.objects.filter(name=name, leased_by=worker_id).update(**fields)


def _loggable(result: Any) -> Any:
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return dataclasses.asdict(result)  # e.g. the sweep's counts
    return result if isinstance(result, int | str | dict | list) else None


class JobRunner:
    """Resolves and runs the configured periodic jobs; import errors are logged once."""

    def __init__(self, jobs: Sequence[tuple[str, float | str]], worker_id: str) -> None:
        # A bad schedule fails the worker's start, loudly, rather than never running the job.
        self.jobs = [(str(path), parse_schedule(spec)) for path, spec in jobs]
        self.worker_id = worker_id
        self._resolved: dict[str, Job | None] = {}
        self._rows_ready = False

    def _resolve(self, path: str) -> Job | None:
        if path not in self._resolved:
            try:
                self._resolved[path] = import_string(path)
            except ImportError as exc:
                self._resolved[path] = None
                log_event(logging.ERROR, "worker.job_import_failed", job=path, error=str(exc))
        return self._resolved[path]

    def run_due(self, now: dt.datetime, stop: threading.Event | None = None) -> list[str]:
        """Run every job that is due and not leased elsewhere; returns the names run."""
        if not self.jobs:
            return []
        if not self._rows_ready:
            _ensure_lease_rows(dict(self.jobs), now)
            self._rows_ready = True
        base_lease = float(getattr(settings, "KESU_WORKER_JOB_LEASE_SECONDS", 120))
        ran: list[str] = []
        for path, schedule in self.jobs:
            if stop is not None and stop.is_set():
                break
            func = self._resolve(path)
            if func is None:
                continue
            # The lease outlives a normal run (at least one interval) so a slow job is not
            # started again elsewhere; it only matters after a crash, when it delays the rerun.
            claim = claim_job(
                name=path,
                worker_id=self.worker_id,
                interval=schedule,
                now=now,
                lease_seconds=max(base_lease, schedule.lease_floor),
            )
            if claim is None:
                continue
            started = timezone.now()
            retry = None
            try:
                result = func(now=now)
            except Exception as exc:
                logging.getLogger("kesu.worker").exception("job %s failed", path)
                log_event(logging.ERROR, "worker.job_failed", job=path, error=repr(exc))
                if isinstance(schedule, At):
                    pause = float(getattr(settings, "KESU_WORKER_JOB_RETRY_SECONDS", 300))
                    retry = (claim.previous_run_at, now + dt.timedelta(seconds=pause))
            else:
                log_event(
                    logging.INFO,
                    "worker.job_done",
                    job=path,
                    worker=self.worker_id,
                    seconds=round((timezone.now() - started).total_seconds(), 3),
                    result=_loggable(result),
                )
            finally:
                release_job(name=path, worker_id=self.worker_id, retry=retry)
            ran.append(path)
        return ran


# ---- the loop -------------------------------------------------------------------------------


class _Signals:
    """SIGTERM/SIGINT set the stop flag; a second signal interrupts at once."""

    def __init__(self, stop: threading.Event, worker_id: str) -> None:
        self.stop = stop
        self.worker_id = worker_id
        self.previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.stop.is_set():
            raise KeyboardInterrupt
        self.stop.set()
        log_event(
            logging.INFO,
            "worker.stopping",
            worker=self.worker_id,
            signal=signal.Signals(signum).name,
        )

    def __enter__(self) -> _Signals:
        # Signal handlers can only be installed from the main thread (tests run workers in
        # threads and stop them through the event instead).
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self.previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


# The longest pause between loops while they keep failing (the database restarting, ...).
MAX_BACKOFF_SECONDS = 30.0


def backoff_seconds(poll_seconds: float, failures: int) -> float:
    """The pause after ``failures`` failed loops in a row: the poll interval, doubled each time,
    up to ``MAX_BACKOFF_SECONDS``: an outage costs a few log lines, not one per poll."""
    return min(poll_seconds * 2 ** max(failures - 1, 0), max(poll_seconds, MAX_BACKOFF_SECONDS))


def _recycle_connection() -> None:
    # Never inside a transaction (a caller's, or a test's): Django would see autocommit off
    # and close the connection under it.
    if not connection.in_atomic_block:
        close_old_connections()


def run_worker(
    *,
    worker_id: str | None = None,
    once: bool = False,
    poll_seconds: float = 2.0,
    jobs: list[tuple[str, float | str]] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Deliver the outbox and run periodic jobs until stopped; returns the exit status.

    Each loop runs the due jobs first (they may queue messages), then delivers due messages.
    ``once``: one loop, exit status 1 if it failed. SIGTERM/SIGINT (or ``stop``): finish the
    current message or job, release what is claimed, exit 0.
    """
    worker_id = worker_id or default_worker_id()
    if jobs is None:
        jobs = list(getattr(settings, "KESU_WORKER_JOBS", DEFAULT_JOBS))
    stop = stop or threading.Event()
    runner = JobRunner(jobs, worker_id)
    batch = int(getattr(settings, "KESU_OUTBOX_BATCH", 50))
    lease = int(getattr(settings, "KESU_OUTBOX_LEASE_SECONDS", 60))
    log_event(
        logging.INFO,
        "worker.start",
        worker=worker_id,
        once=once,
        poll=poll_seconds,
        jobs=[p for p, _ in runner.jobs],
        db=connection.vendor,
    )
    status = 0
    failures = 0  # loops failed in a row
    with _Signals(stop, worker_id):
        while not stop.is_set():
            claimed = 0
            try:
                _recycle_connection()  # honour CONN_MAX_AGE / health checks between loops
                runner.run_due(timezone.now(), stop)
                # Read the clock again: messages the jobs just queued are due now.
                claimed = deliver_due(
                    worker_id=worker_id,
                    now=timezone.now(),
                    limit=batch,
                    lease_seconds=lease,
                    stop=stop,
                )
            except Exception as exc:
                # Keep the process alive and try again after a pause that grows while it fails.
                failures += 1
                reason = unavailable_reason(exc)
                if reason is not None:
                    # The database restarting: one line; its traceback tells nobody anything.
                    log_event(
                        logging.WARNING,
                        "worker.database_unavailable",
                        worker=worker_id,
                        reason=reason,
                        failures=failures,
                        error=str(exc).strip().split("\n")[0],
                    )
                else:
                    logging.getLogger("kesu.worker").exception("worker loop failed")
                    log_event(
                        logging.ERROR, "worker.loop_failed", worker=worker_id, error=repr(exc)
                    )
                _recycle_connection()
                if once:
                    status = 1
            else:
                if failures:
                    log_event(logging.INFO, "worker.recovered", worker=worker_id, failures=failures)
                failures = 0
            if once:
                break
            if failures:
                stop.wait(backoff_seconds(poll_seconds, failures))
            elif claimed < batch:  # a full batch means more is waiting: go on without pausing
                stop.wait(poll_seconds)
    log_event(logging.INFO, "worker.stop", worker=worker_id, status=status)
    return status
