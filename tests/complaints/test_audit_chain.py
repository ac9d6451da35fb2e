"""The timeline's seal (SPEC §1: the record is evidence): events are chained by hash, the
database refuses to change them, and `kesu audit verify` finds a row changed, removed or
inserted by hand, naming the complaint and the position."""

from __future__ import annotations

import importlib

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from kesu.complaints.audit import GENESIS, digest, verify
from kesu.complaints.models import Event
from kesu.complaints.services import transitions
from kesu.complaints.services.intake import NewComplaint, complaint_create
from kesu.complaints.services.sweep import sweep_deadlines
from tests.conftest import at, make_people

pytestmark = pytest.mark.django_db

seal_migration = importlib.import_module("kesu.complaints.migrations.0011_event_seal")


def complaint(p, i: int = 0):
    c, _ = complaint_create(
        data=NewComplaint(
            customer_name="钱伟",
            customer_phone=f"135777788{i:02d}",
            channel="hotline",
            category="late_delivery",
            description="交货晚了两天。",
        ),
        actor=p.agent,
        now=at("2026-11-16 09:00"),
    )
    transitions.complaint_dispatch(
        complaint=c,
        actor=p.agent,
        department="logistics",
        handler=p.handlers["logistics"],
        level="C",
        now=at("2026-11-16 09:10"),
    )
    transitions.complaint_accept(
        complaint=c, actor=p.handlers["logistics"], now=at("2026-11-16 09:20")
    )
    return c


def by_hand(sql: str, params: list | None = None) -> None:
    """What someone with database access could do, bypassing the application: lift the
    append-only trigger, run ``sql``, put the trigger back."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks: ALTER may run
            cur.execute("ALTER TABLE complaints_event DISABLE TRIGGER complaints_event_append_only")
            cur.execute(sql, params or [])
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("ALTER TABLE complaints_event ENABLE TRIGGER complaints_event_append_only")
        else:
            cur.execute(seal_migration.DROP_SQLITE)
            cur.execute(sql, params or [])
            cur.execute(seal_migration.APPEND_ONLY_SQLITE)


def events_of(c) -> list[Event]:
    return list(Event.objects.filter(complaint=c).order_by("seq"))


def test_each_event_is_chained_to_the_one_before(preset):
    preset("b2b")
    p = make_people()
    c = complaint(p)
    events = events_of(c)
    assert len(events) >= 3
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    previous = GENESIS
    for e in events:
        expected = digest(
            previous,
            complaint_id=c.pk,
            seq=e.seq,
            round_no=e.round_no,
            kind=e.kind,
            action=e.action,
            from_state=e.from_state,
            to_state=e.to_state,
            actor_id=e.actor_id,
            at=e.at,
            visible_to_customer=e.visible_to_customer,
            data=e.data,
        )
        assert e.hash == expected
        previous = e.hash
    report = verify()
    assert report.ok and report.events == len(events) and report.complaints == 1


def test_bulk_events_of_the_sweep_are_chained_too(preset):
    preset("b2b")
    p = make_people()
    made = [complaint(p, i) for i in range(3)]
    assert sweep_deadlines(now=at("2026-12-30 09:00")).breached >= 3
    report = verify()
    assert report.ok, report.breaks
    assert report.complaints == 3
    assert report.events == Event.objects.filter(complaint__in=made).count()


def test_the_database_refuses_to_change_events(preset):
    preset("b2b")
    p = make_people()
    c = complaint(p)
    first = events_of(c)[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.filter(pk=first.pk).update(data={"forged": True})
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE complaints_event SET kind = 'note' WHERE id = %s", [first.pk])
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute("DELETE FROM complaints_event WHERE id = %s", [first.pk])
    with pytest.raises(RuntimeError):
        first.delete()
    assert verify().ok


def test_a_changed_event_is_found_where_it_is(preset, capsys):
    preset("b2b")
    p = make_people()
    c = complaint(p)
    other = complaint(p, 1)
    second = events_of(c)[1]
    by_hand(
        "UPDATE complaints_event SET to_state = 'closed' WHERE id = %s",
        [second.pk],
    )
    report = verify()
    assert [(b.number, b.seq, b.problem) for b in report.breaks] == [(c.number, 2, "altered")]
    assert verify(complaint=other).ok
    with pytest.raises(SystemExit) as exited:
        call_command("audit", "verify")
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert c.number in out and other.number not in out.split("\n")[0]


def test_a_changed_event_with_a_recomputed_hash_breaks_the_next_link(preset):
    preset("b2b")
    p = make_people()
    c = complaint(p)
    events = events_of(c)
    forged = digest(
        events[0].hash,
        complaint_id=c.pk,
        seq=2,
        round_no=events[1].round_no,
        kind=events[1].kind,
        action=events[1].action,
        from_state=events[1].from_state,
        to_state="closed",
        actor_id=events[1].actor_id,
        at=events[1].at,
        visible_to_customer=events[1].visible_to_customer,
        data=events[1].data,
    )
    by_hand(
        "UPDATE complaints_event SET to_state = 'closed', hash = %s WHERE id = %s",
        [forged, events[1].pk],
    )
    assert [(b.seq, b.problem) for b in verify().breaks] == [(3, "altered")]


def test_a_removed_event_is_found(preset):
    preset("b2b")
    p = make_people()
    c = complaint(p)
    events = events_of(c)
    by_hand("DELETE FROM complaints_event WHERE id = %s", [events[1].pk])
    breaks = verify().breaks
    assert (c.number, 3, "missing", 2) in [
        (b.number, b.seq, b.problem, b.expected_seq) for b in breaks
    ]


def test_an_event_inserted_by_hand_is_found(preset, capsys):
    preset("b2b")
    p = make_people()
    c = complaint(p)
    last = events_of(c)[-1]
    by_hand(
        "INSERT INTO complaints_event (complaint_id, round_no, kind, action, from_state,"
        " to_state, at, data, visible_to_customer, seq, hash)"
        " VALUES (%s, 1, 'note', '', '', '', %s, '{}', false, %s, %s)",
        [c.pk, last.at, last.seq + 1, "0" * 64],
    )
    breaks = verify().breaks
    assert [(b.number, b.seq, b.problem) for b in breaks] == [(c.number, last.seq + 1, "altered")]
    with pytest.raises(SystemExit):
        call_command("audit", "verify", "--complaint", c.number)
    out = capsys.readouterr().out  # the command speaks the default language, Chinese
    assert f"{c.number}：第 {last.seq + 1} 条事件" in out and "发现 1 处问题" in out
