from __future__ import annotations

import datetime as dt

import pytest

from kesu.outbox.models import OutboxMessage
from kesu.outbox.services import claim_batch, notify

Status = OutboxMessage.Status


def _queue(n: int, start: dt.datetime) -> list[OutboxMessage]:
    messages = [
        m
        for i in range(n)
        for m in notify(
            event="complaint.closed", complaint_id=i, context={}, customer_email=f"{i}@x.cn"
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
