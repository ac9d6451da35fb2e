"""Two people acting on one complaint at once (SPEC §3): exactly one wins, the other is told
the complaint changed, and nothing is half-written. Real threads, real row locks: PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections, transaction

from kesu.complaints.errors import ConcurrentModification
from kesu.complaints.models import Complaint, Event, EventKind
from kesu.complaints.services import records, transitions
from kesu.complaints.services.intake import NewComplaint, complaint_create
from kesu.complaints.states import State
from tests.conftest import make_people

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def received(people) -> Complaint:
    c, _ = complaint_create(
        data=NewComplaint(
            customer_name="赵强",
            customer_phone="13911112222",
            channel="hotline",
            category="late_delivery",
            description="交货延误三天。",
        ),
        actor=people.agent,
    )
    return c


def race(*calls):
    """Run the calls in threads released together; return what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except BaseException as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


def test_dispatch_and_reject_at_once_one_wins(preset):
    preset("b2b")
    people = make_people()
    for attempt in range(10):
        c = received(people)
        # Both people opened the complaint at the same version.
        mine, theirs = Complaint.objects.get(pk=c.pk), Complaint.objects.get(pk=c.pk)
        results = race(
            lambda mine=mine: transitions.complaint_dispatch(
                complaint=mine, actor=people.agent, department="logistics", level="B"
            ),
            lambda theirs=theirs: transitions.complaint_reject(
                complaint=theirs, actor=people.agent2, reason="非本公司业务", recourse="12315"
            ),
        )
        failed = [r for r in results if isinstance(r, BaseException)]
        assert len(failed) == 1, (attempt, results)
        assert isinstance(failed[0], ConcurrentModification), failed[0]
        row = Complaint.objects.get(pk=c.pk)
        winner = State.REJECTED if isinstance(results[0], BaseException) else State.ASSIGNED
        assert row.state == winner and row.version == c.version + 1
        moves = Event.objects.filter(complaint=c, kind=EventKind.TRANSITION).order_by("id")
        # The winner's move and nothing of the loser's.
        assert [e.to_state for e in moves] == [winner]


def test_a_writer_waits_for_the_lock_and_is_then_told(preset):
    """Without the row lock the second writer would read the old row and overwrite it; with
    it, the writer waits for the first transaction, then sees the new version and refuses."""
    preset("b2b")
    people = make_people()
    c = received(people)
    stale = Complaint.objects.get(pk=c.pk)
    order: list[str] = []
    locked = threading.Event()

    def holder():
        try:
            with transaction.atomic():
                row = Complaint.objects.select_for_update().get(pk=c.pk)
                locked.set()
                time.sleep(0.5)  # the other writer arrives while we hold the row
                records.complaint_add_note(complaint=row, actor=people.agent, text="先到的备注")
                order.append("first committed")
        finally:
            connections.close_all()

    def writer():
        try:
            assert locked.wait(timeout=10)
            records.complaint_add_note(complaint=stale, actor=people.agent2, text="后到的备注")
            order.append("second wrote")
        except ConcurrentModification:
            order.append("second refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=holder), threading.Thread(target=writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert order == ["first committed", "second refused"]
    notes = Event.objects.filter(complaint=c, kind=EventKind.NOTE)
    assert [e.data.get("text") for e in notes] == ["先到的备注"]
    assert Complaint.objects.get(pk=c.pk).version == c.version + 1
