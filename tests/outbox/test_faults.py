"""Fault tests of the outbox (issue 4), against a real SMTP server on loopback and real
``kesu worker`` processes: the mail server down then back, a worker killed with SIGKILL in the
middle of a batch, a worker stopped with SIGTERM mid-send, two workers over 1,000 messages.

Each test prints (and appends to the fault report, see ``tests.support.figures``) one line:
``faults: NAME db=… sent=… received=… duplicates=… lost=… seconds=…``. ``sent``: outbox rows
in status sent; ``received``: messages the SMTP server accepted; ``duplicates``: accepted
copies beyond the first of a Message-ID; ``lost``: rows never received.
"""

from __future__ import annotations

import datetime as dt
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from kesu.outbox.models import OutboxMessage
from kesu.outbox.services import deliver_due, notify
from tests.support import figures
from tests.support.processes import (
    WorkerProcess,
    child_env,
    database_url_for_children,
    wait_until,
)
from tests.support.smtp import SmtpServer

Status = OutboxMessage.Status


def queue(n: int, tag: str) -> list[str]:
    """``n`` customer emails queued through ``notify``, committed; returns their ids."""
    ids: list[str] = []
    with transaction.atomic():
        for i in range(n):
            [row] = notify(
                event="complaint.closed",
                complaint_id=None,
                context={"number": f"KS-{tag}-{i:04d}", "customer": "王女士"},
                customer_email=f"{tag}{i:04d}@example.cn",
            )
            ids.append(str(row.pk))
    return ids


def tally(smtp: SmtpServer, ids: list[str]) -> dict[str, int]:
    counts = smtp.by_kesu_id()
    return {
        "sent": OutboxMessage.objects.filter(pk__in=ids, status=Status.SENT).count(),
        "received": sum(counts.values()),
        "duplicates": sum(c - 1 for c in counts.values() if c > 1),
        "lost": sum(1 for i in ids if counts[i] == 0),
    }


def assert_ids_consistent(smtp: SmtpServer) -> None:
    """Every accepted copy carries its outbox row's id as Message-ID and X-Kesu-Message-Id."""
    for mail in smtp.received:
        assert mail.message_id == f"<{mail.kesu_id}@kesu>", mail


@pytest.fixture
def smtp(settings) -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    server.configure(settings, timeout=2.0)
    settings.DEFAULT_FROM_EMAIL = "kesu@example.cn"
    yield server
    server.stop()


# ---- in-process: the server goes away and comes back -----------------------------------------


@pytest.mark.django_db
def test_smtp_down_then_back(smtp, request):
    """Down: every message stays pending with its error and a backoff; nothing dead. Back, after
    the backoff: each arrives exactly once."""
    n = 50
    smtp.stop()
    ids = queue(n, "down")
    started = time.monotonic()
    now = timezone.now() + dt.timedelta(seconds=1)

    assert deliver_due(worker_id="w", now=now, limit=2 * n) == n
    rows = list(OutboxMessage.objects.filter(pk__in=ids))
    assert {r.status for r in rows} == {Status.PENDING}
    assert {r.attempts for r in rows} == {1}
    assert all("Connection refused" in r.last_error for r in rows), rows[0].last_error
    assert all(r.lease_until is None for r in rows)
    earliest = min(r.available_at for r in rows)
    assert earliest >= now + dt.timedelta(seconds=30)  # backoff 30 s × 2^0
    assert smtp.count() == 0

    smtp.start()  # the same port, back up
    # Up again, but nothing is due before its backoff has passed.
    assert deliver_due(worker_id="w", now=earliest - dt.timedelta(seconds=1), limit=2 * n) == 0
    assert smtp.count() == 0

    later = max(r.available_at for r in rows) + dt.timedelta(seconds=1)
    assert deliver_due(worker_id="w", now=later, limit=2 * n) == n
    assert deliver_due(worker_id="w", now=later + dt.timedelta(hours=1), limit=2 * n) == 0

    figures_now = tally(smtp, ids)
    assert OutboxMessage.objects.filter(pk__in=ids, status=Status.DEAD).count() == 0
    assert set(OutboxMessage.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {2}
    assert set(smtp.by_kesu_id()) == set(ids)
    assert_ids_consistent(smtp)
    assert figures_now == {"sent": n, "received": n, "duplicates": 0, "lost": 0}
    figures.record(request, "smtp-down-then-up", **figures_now, seconds=time.monotonic() - started)


@pytest.mark.django_db
def test_smtp_server_that_never_answers_times_out_and_retries(smtp, settings, request):
    """A server that accepts the connection but never speaks: EMAIL_TIMEOUT ends the send, the
    message waits for its backoff, and goes out once a real server listens there."""
    n = 3
    smtp.stop()
    settings.EMAIL_TIMEOUT = 0.5
    silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    silent.bind((smtp.host, smtp.port))
    silent.listen(16)  # the kernel completes the handshakes; nobody ever reads or writes
    ids = queue(n, "mute")
    started = time.monotonic()
    now = timezone.now() + dt.timedelta(seconds=1)
    try:
        assert deliver_due(worker_id="w", now=now, limit=n) == n
    finally:
        silent.close()
    took = time.monotonic() - started
    assert took < n * 0.5 + 3  # each send gave up after the timeout, none hung
    rows = list(OutboxMessage.objects.filter(pk__in=ids))
    assert {(r.status, r.attempts) for r in rows} == {(Status.PENDING, 1)}
    assert all("timed out" in r.last_error for r in rows), rows[0].last_error

    smtp.start()
    later = max(r.available_at for r in rows) + dt.timedelta(seconds=1)
    assert deliver_due(worker_id="w", now=later, limit=n) == n
    counts = tally(smtp, ids)
    assert counts == {"sent": n, "received": n, "duplicates": 0, "lost": 0}
    figures.record(request, "smtp-silent-then-up", **counts, seconds=time.monotonic() - started)


# ---- real worker processes -------------------------------------------------------------------


class Workers:
    """Start ``kesu worker`` children against the test database and the SMTP server."""

    def __init__(self, database_url: str, smtp: SmtpServer, tmp: Path, **env: str) -> None:
        self.tmp = tmp
        self.env = child_env(
            database_url,
            tmp / "data",
            KESU_FROM_EMAIL="kesu@example.cn",
            **smtp.env(timeout=5.0),
            **env,
        )
        self.started: list[WorkerProcess] = []

    def start(self, name: str) -> WorkerProcess:
        worker = WorkerProcess(name, self.env, self.tmp).start()
        self.started.append(worker)
        return worker

    def cleanup(self) -> None:
        for worker in self.started:
            worker.cleanup()

    def logs(self) -> str:
        return "\n".join(f"--- {w.name}\n{w.log_tail()}" for w in self.started)


@pytest.fixture
def workers_for(transactional_db, tmp_path) -> Iterator:
    """``workers_for(smtp, **env)``: a ``Workers`` whose children are killed at teardown."""
    made: list[Workers] = []
    with database_url_for_children(tmp_path) as url:

        def make(smtp: SmtpServer, **env: str) -> Workers:
            workers = Workers(url, smtp, tmp_path, **env)
            made.append(workers)
            return workers

        try:
            yield make
        finally:
            for workers in made:
                workers.cleanup()


def _states(ids: list[str]) -> dict[str, int]:
    rows = OutboxMessage.objects.filter(pk__in=ids).values_list("status", flat=True)
    counts: dict[str, int] = {}
    for status in rows:
        counts[status] = counts.get(status, 0) + 1
    return counts


def _all_sent(ids: list[str]) -> bool:
    return OutboxMessage.objects.filter(pk__in=ids, status=Status.SENT).count() == len(ids)


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_batch_loses_nothing(workers_for, request):
    """SIGKILL while the SMTP server holds the reply to the QUIT of the 10th message: that
    mail was accepted but its row still says delivering. After the lease expires a new worker
    sends every message; the only duplicate is that one, with the same Message-ID."""
    total, batch, lease, hold_at = 200, 50, 3, 10
    smtp = SmtpServer(delay=0.005).start()
    request.addfinalizer(smtp.stop)
    smtp.hold_quit(after=hold_at)
    workers = workers_for(smtp, KESU_OUTBOX_BATCH=str(batch), KESU_OUTBOX_LEASE_SECONDS=str(lease))
    ids = queue(total, "kill")
    started = time.monotonic()

    first = workers.start("first")
    assert smtp.held.wait(timeout=30), workers.logs()
    killed_at = timezone.now()
    assert first.kill() == -9
    smtp.release()

    # The dead worker's batch: the first 9 recorded as sent, the held one and the rest of the
    # batch still claimed under its lease (nothing released them), the others never claimed.
    held = smtp.received[hold_at - 1].kesu_id
    assert _states(ids) == {
        Status.SENT: hold_at - 1,
        Status.DELIVERING: batch - (hold_at - 1),
        Status.PENDING: total - batch,
    }
    stranded = OutboxMessage.objects.filter(pk__in=ids, status=Status.DELIVERING)
    assert {m.leased_by for m in stranded} == {"first"}
    assert all(m.lease_until > killed_at for m in stranded)
    assert stranded.filter(pk=held).exists()  # accepted by the server, not recorded as sent

    second = workers.start("second")
    assert wait_until(lambda: _all_sent(ids), timeout=60), (_states(ids), workers.logs())
    assert second.terminate() == 0, workers.logs()
    seconds = time.monotonic() - started

    counts = tally(smtp, ids)
    by_id = smtp.by_kesu_id()
    assert set(by_id) == set(ids)  # every message arrived; nothing foreign did
    assert_ids_consistent(smtp)
    # At least once, and the repeat is recognisable: only the accepted-but-unrecorded one.
    assert [i for i, c in by_id.items() if c > 1] == [held]
    assert counts == {"sent": total, "received": total + 1, "duplicates": 1, "lost": 0}
    redone = OutboxMessage.objects.get(pk=held)
    assert redone.attempts == 2 and redone.leased_by == "second"
    figures.record(
        request,
        "sigkill-mid-batch",
        **counts,
        seconds=seconds,
        stranded=batch - (hold_at - 1),
        lease=lease,
    )


@pytest.mark.django_db(transaction=True)
def test_worker_stopped_with_sigterm_mid_send_releases_its_batch(workers_for, request):
    """SIGTERM during a send: the worker finishes that message, gives back the rest of its
    batch at once (no lease to wait out, the attempt not counted) and exits 0."""
    total, batch, hold_at = 60, 40, 5
    smtp = SmtpServer().start()
    request.addfinalizer(smtp.stop)
    smtp.hold_quit(after=hold_at)
    workers = workers_for(smtp, KESU_OUTBOX_BATCH=str(batch), KESU_OUTBOX_LEASE_SECONDS="60")
    ids = queue(total, "term")
    started = time.monotonic()
    worker = workers.start("term")
    assert smtp.held.wait(timeout=30), workers.logs()
    worker.sigterm()  # while the 5th send waits for the reply to its QUIT
    time.sleep(0.3)  # the handler has run; the send is still waiting
    smtp.release()
    assert worker.process.wait(timeout=20) == 0, workers.logs()

    assert _states(ids) == {Status.SENT: hold_at, Status.PENDING: total - hold_at}
    pending = OutboxMessage.objects.filter(pk__in=ids, status=Status.PENDING)
    assert {(m.attempts, m.leased_by, m.lease_until) for m in pending} == {(0, "", None)}
    counts = tally(smtp, ids)
    assert counts["received"] == hold_at and counts["duplicates"] == 0
    released = [e for e in worker.log_events() if e.get("event") == "outbox.released"]
    assert [e["count"] for e in released] == [batch - hold_at]

    # Nothing waits for a lease: a new worker sends the rest straight away.
    again = workers.start("again")
    assert wait_until(lambda: _all_sent(ids), timeout=30), workers.logs()
    assert again.terminate() == 0
    counts = tally(smtp, ids)
    assert counts == {"sent": total, "received": total, "duplicates": 0, "lost": 0}
    figures.record(
        request,
        "sigterm-mid-send",
        **counts,
        seconds=time.monotonic() - started,
        released=batch - hold_at,
    )


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_deliver_each_of_1000_messages_once(workers_for, request):
    """Two worker processes on PostgreSQL over 1,000 due messages: SKIP LOCKED hands each row
    to one of them; with no crash there is no duplicate at all, and both take part."""
    total, batch = 1000, 10
    smtp = SmtpServer(delay=0.002).start()
    request.addfinalizer(smtp.stop)
    workers = workers_for(smtp, KESU_OUTBOX_BATCH=str(batch), KESU_OUTBOX_LEASE_SECONDS="60")
    ids = queue(total, "pair")

    started = time.monotonic()
    pair = [workers.start("a"), workers.start("b")]
    assert wait_until(lambda: _all_sent(ids), timeout=120), (_states(ids), workers.logs())
    seconds = time.monotonic() - started
    assert [w.terminate() for w in pair] == [0, 0], workers.logs()

    counts = tally(smtp, ids)
    assert set(smtp.by_kesu_id()) == set(ids)
    assert_ids_consistent(smtp)
    assert counts == {"sent": total, "received": total, "duplicates": 0, "lost": 0}
    per_worker = dict.fromkeys(("a", "b"), 0)
    for name in OutboxMessage.objects.filter(pk__in=ids).values_list("leased_by", flat=True):
        per_worker[name] += 1
    assert sum(per_worker.values()) == total
    assert all(n > 0 for n in per_worker.values()), per_worker  # both took part
    assert set(OutboxMessage.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}
    figures.record(
        request,
        "two-workers-1000",
        **counts,
        seconds=seconds,
        worker_a=per_worker["a"],
        worker_b=per_worker["b"],
    )
