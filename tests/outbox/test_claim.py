from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections

from kesu.outbox.models import OutboxMessage
from kesu.outbox.services import claim_batch, notify

Status = OutboxMessage.Status


def _queue(n: int, start: dt.datetime) -> list[OutboxMessage]:
    messages = [
        m
        for i in range(n)
        for m in notify(
            event="complaint.closed", complaint_id=None, context={}, customer_email=f"{i}@x.cn"
        )
    ]
    # Distinct, known ages so "oldest first" is observable.
    for i, m in enumerate(messages):
        OutboxMessage.objects.filter(pk=m.pk).update(available_at=start + dt.timedelta(seconds=i))
    return messages


@pytest.mark.django_db
def test_claims_due_rows_oldest_first_with_a_lease(now):
    messages = _queue(5, now - dt.timedelta(minutes=10))
    later = _queue(1, now + dt.timedelta(minutes=5))  # not yet available

    batch = claim_batch(worker_id="w1", limit=3, lease_seconds=60, now=now)
    assert [m.pk for m in batch] == [m.pk for m in messages[:3]]
    for m in batch:
        assert (m.status, m.leased_by, m.attempts) == (Status.DELIVERING, "w1", 1)
        assert m.lease_until == now + dt.timedelta(seconds=60)

    rest = claim_batch(worker_id="w2", limit=10, now=now)
    assert [m.pk for m in rest] == [m.pk for m in messages[3:]]
    assert claim_batch(worker_id="w3", now=now) == []
    assert later[0].pk not in {m.pk for m in batch + rest}

    # w1 dies: after its lease expires, its rows are due again (w2's too, its lease is the same
    # length), the message that became available meanwhile as well.
    expired = claim_batch(worker_id="w4", limit=10, now=now + dt.timedelta(minutes=6))
    assert len(expired) == 6
    assert {m.leased_by for m in expired} == {"w4"}


@pytest.mark.django_db
def test_sent_and_dead_rows_are_never_claimed(now):
    sent, dead = _queue(2, now - dt.timedelta(minutes=1))
    OutboxMessage.objects.filter(pk=sent.pk).update(status=Status.SENT)
    OutboxMessage.objects.filter(pk=dead.pk).update(status=Status.DEAD)
    assert claim_batch(worker_id="w", now=now) == []


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_claimers_never_get_the_same_row(now):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SKIP LOCKED row locks (SQLite has one writer anyway)")
    total = 120
    _queue(total, now - dt.timedelta(hours=1))  # every row due at `now`
    workers = 4
    barrier = threading.Barrier(workers)
    claimed: dict[str, list] = {f"w{i}": [] for i in range(workers)}
    errors: list[BaseException] = []
    deadline = time.monotonic() + 30  # bounded: a broken claim fails the test, never hangs it

    def work(name: str) -> None:
        try:
            barrier.wait(timeout=10)
            while time.monotonic() < deadline:
                batch = claim_batch(worker_id=name, limit=7, now=now)
                claimed[name].extend(m.pk for m in batch)
                # Empty can also mean "every due row is locked by the others right now";
                # a real worker polls again, so stop only when nothing is pending.
                if not batch and not OutboxMessage.objects.filter(status=Status.PENDING).exists():
                    break
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(name,)) for name in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not any(t.is_alive() for t in threads)
    assert not errors
    every = [pk for pks in claimed.values() for pk in pks]
    assert len(every) == len(set(every)) == total  # each row handed out exactly once
    assert sum(1 for pks in claimed.values() if pks) >= 2, "claimers did not overlap at all"
    owners = dict(OutboxMessage.objects.values_list("pk", "leased_by"))
    for name, pks in claimed.items():
        assert all(owners[pk] == name for pk in pks)
