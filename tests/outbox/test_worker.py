from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import threading
import time

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections

from kesu.outbox.models import Notification, OutboxMessage, WorkerLease
from kesu.outbox.services import notify
from kesu.outbox.worker import JobRunner, claim_job, run_worker

THIS = "tests.outbox.test_worker"
RUNS: list[tuple[str, dt.datetime]] = []


def record_job(*, now: dt.datetime) -> int:
    RUNS.append(("record", now))
    return len(RUNS)


def notifying_job(*, now: dt.datetime) -> None:
    """A job that queues a message, as the deadline sweep does."""
    RUNS.append(("notify", now))
    notify(event="complaint.closed", complaint_id=None, context={}, customer_email="a@example.com")


def failing_job(*, now: dt.datetime) -> None:
    RUNS.append(("fail", now))
    raise ValueError("boom")


def slow_job(*, now: dt.datetime) -> None:
    RUNS.append(("slow", now))
    time.sleep(0.3)


def sigterm_job(*, now: dt.datetime) -> None:
    RUNS.append(("sigterm", now))
    os.kill(os.getpid(), signal.SIGTERM)


@pytest.fixture(autouse=True)
def _reset(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    RUNS.clear()


@pytest.mark.django_db
def test_once_runs_the_jobs_then_delivers(make_user):
    handler = make_user(email="")
    notify(event="complaint.assigned", complaint_id=None, context={}, users=[handler])
    status = run_worker(worker_id="w1", once=True, jobs=[(f"{THIS}.notifying_job", 60)])
    assert status == 0
    assert [name for name, _ in RUNS] == ["notify"]
    # The job's own message went out in the same loop, with the one queued before.
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
    assert len(mail.outbox) == 1 and Notification.objects.count() == 1
    lease = WorkerLease.objects.get(name=f"{THIS}.notifying_job")
    assert lease.leased_by == "w1" and lease.lease_until is None and lease.last_run_at


@pytest.mark.django_db
def test_management_command_once(settings):
    settings.KESU_WORKER_JOBS = [(f"{THIS}.record_job", 60)]
    notify(event="complaint.closed", complaint_id=None, context={}, customer_email="a@example.com")
    call_command("worker", "--once", "--worker-id", "cmd")
    assert [name for name, _ in RUNS] == ["record"]
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_bad_job_path_is_logged_once_and_others_still_run(caplog):
    runner = JobRunner([("kesu.no_such_module.job", 60), (f"{THIS}.record_job", 1)], "w")
    with caplog.at_level(logging.ERROR, logger="kesu.outbox"):
        t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        assert runner.run_due(t) == [f"{THIS}.record_job"]
        assert runner.run_due(t + dt.timedelta(seconds=2)) == [f"{THIS}.record_job"]
    failures = [r for r in caplog.records if "job_import_failed" in r.getMessage()]
    assert len(failures) == 1
    assert len(RUNS) == 2


@pytest.mark.django_db
def test_default_jobs_come_from_the_setting(settings, caplog):
    settings.KESU_WORKER_JOBS = [("kesu.nowhere.sweep", 60)]
    with caplog.at_level(logging.INFO, logger="kesu.outbox"):
        assert run_worker(worker_id="w", once=True) == 0
    assert any('"kesu.nowhere.sweep"' in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_a_failing_job_does_not_stop_the_worker(caplog):
    jobs = [(f"{THIS}.failing_job", 60), (f"{THIS}.record_job", 60)]
    with caplog.at_level(logging.ERROR):
        assert run_worker(worker_id="w", once=True, jobs=jobs) == 0
    assert [name for name, _ in RUNS] == ["fail", "record"]
    assert WorkerLease.objects.get(name=f"{THIS}.failing_job").lease_until is None
    assert any("worker.job_failed" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_job_runs_once_per_interval_across_workers():
    jobs = [(f"{THIS}.record_job", 60)]
    a, b = JobRunner(jobs, "a"), JobRunner(jobs, "b")
    t0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    assert a.run_due(t0) == [f"{THIS}.record_job"]
    assert b.run_due(t0) == []
    assert b.run_due(t0 + dt.timedelta(seconds=59)) == []
    assert a.run_due(t0 + dt.timedelta(seconds=59)) == []
    assert b.run_due(t0 + dt.timedelta(seconds=60)) == [f"{THIS}.record_job"]
    assert a.run_due(t0 + dt.timedelta(seconds=61)) == []
    assert [when for _, when in RUNS] == [t0, t0 + dt.timedelta(seconds=60)]


@pytest.mark.django_db
def test_running_job_is_not_started_again_even_when_its_interval_passed():
    name = f"{THIS}.record_job"
    WorkerLease.objects.create(name=name)
    t0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    assert claim_job(name=name, worker_id="a", interval=10, now=t0, lease_seconds=300)
    # Still running on "a" (no release) 30 s later: "b" must not start it.
    t1 = t0 + dt.timedelta(seconds=30)
    assert not claim_job(name=name, worker_id="b", interval=10, now=t1, lease_seconds=300)
    # "a" died: after its lease the job is free again.
    t2 = t0 + dt.timedelta(seconds=301)
    assert claim_job(name=name, worker_id="b", interval=10, now=t2, lease_seconds=300)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_run_a_job_once():
    if connection.vendor == "sqlite":
        # Threads share the in-memory test database badly; the single-writer case is covered
        # by test_job_runs_once_per_interval_across_workers.
        pytest.skip("needs a server database for several connections")
    jobs = [(f"{THIS}.slow_job", 60)]
    t0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    workers = 4
    barrier = threading.Barrier(workers)
    ran: list[list[str]] = []
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            runner = JobRunner(jobs, name)
            barrier.wait()
            ran.append(runner.run_due(t0))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert len(RUNS) == 1
    assert sorted(len(r) for r in ran) == [0, 0, 0, 1]


@pytest.mark.django_db
def test_sigterm_finishes_the_loop_and_exits_zero():
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers need the main thread")
    previous = signal.getsignal(signal.SIGTERM)
    notify(event="complaint.closed", complaint_id=None, context={}, customer_email="a@example.com")
    started = time.monotonic()
    status = run_worker(worker_id="w", poll_seconds=30, jobs=[(f"{THIS}.sigterm_job", 60)])
    assert status == 0
    assert time.monotonic() - started < 10  # did not sit out the 30 s poll
    assert [name for name, _ in RUNS] == ["sigterm"]
    # Stop arrived before delivery started: nothing claimed, nothing left leased.
    assert set(OutboxMessage.objects.values_list("status", "leased_by")) == {("pending", "")}
    assert signal.getsignal(signal.SIGTERM) is previous


@pytest.mark.django_db
def test_stop_event_ends_a_running_worker():
    stop = threading.Event()
    stop.set()
    assert run_worker(worker_id="w", poll_seconds=30, jobs=[], stop=stop) == 0
