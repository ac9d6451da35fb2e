"""A breached deadline escalates exactly once however many sweeps run (issue 4, SPEC §4).

The sweep runs every minute on every worker; here it runs 20 times at each instant (and, on
PostgreSQL, from 4 threads at once). Each milestone must get one warning and one breach event
on the timeline, and one outbox message per recipient and channel for the warning, the breach
and the executive escalation (b2b: A-level cases, or from the second breach on).

Figures: ``sent`` outbox rows queued for the deadlines, ``received`` distinct (event,
milestone, recipient, channel), ``duplicates`` extra rows or extra timeline events, ``lost``
warnings or breaches missing from the timeline.

The events are the sharp check: outbox rows also carry a unique ``dedupe_key``, but timeline
events do not, so a second escalation of the same milestone would show there.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.db import connections

from kesu.complaints.models import Complaint, Event, EventKind, Milestone
from kesu.complaints.services.intake import NewComplaint, complaint_create
from kesu.complaints.services.sweep import SweepResult, sweep_deadlines
from kesu.outbox.models import OutboxMessage
from tests.conftest import at, make_people
from tests.support import figures

SWEEPS = 20
DEADLINE_EVENTS = ("milestone.warning", "milestone.breached", "milestone.breached_executive")
# b2b, received Monday 2026-11-16 09:00 (business clock 09–12, 13–18; warning at 80 %):
# ack due 10:00, warned from 09:48; dispatch due 11:00, warned from 10:36.
RECEIVED = "2026-11-16 09:00"
ACK_WARN, ACK_BREACH = "2026-11-16 09:50", "2026-11-16 10:01"
DISPATCH_WARN, DISPATCH_BREACH = "2026-11-16 10:40", "2026-11-16 11:01"


def received(people, *, level: str = "", n: int = 0) -> Complaint:
    c, _ = complaint_create(
        data=NewComplaint(
            customer_name="孙丽",
            customer_phone=f"136555{n:05d}",
            customer_email=f"sun{n}@example.cn",
            channel="email",
            category="late_delivery",
            description="货还没到。",
            level=level,
        ),
        actor=people.agent,
        now=at(RECEIVED),
    )
    return c


def sweep(when: str, times: int = SWEEPS) -> SweepResult:
    total = SweepResult()
    for _ in range(times):
        r = sweep_deadlines(now=at(when))
        total.warned += r.warned
        total.breached += r.breached
        total.executive += r.executive
    return total


def timeline(c: Complaint) -> Counter:
    kinds = (EventKind.MILESTONE_WARNING, EventKind.MILESTONE_BREACHED)
    return Counter(
        (e.kind, e.data["milestone"], e.data.get("executive"))
        for e in Event.objects.filter(complaint=c, kind__in=kinds)
    )


def messages(c: Complaint) -> Counter:
    """(event, milestone name, recipient, channel) → rows."""
    rows = OutboxMessage.objects.filter(complaint=c, event__in=DEADLINE_EVENTS)
    return Counter(
        (m.event, m.context["milestone"], m.recipient_id or m.address, m.channel) for m in rows
    )


def recipients(c: Complaint, event: str, kind: str) -> set[str]:
    name = Milestone.objects.get(complaint=c, kind=kind).name
    rows = OutboxMessage.objects.filter(complaint=c, event=event, context__milestone=name)
    return {m.recipient.username for m in rows if m.recipient_id}


def check_once(c: Complaint, *, executive: set[str]) -> dict[str, int]:
    """Exactly once per milestone and per recipient/channel; returns the figures."""
    c.refresh_from_db()
    events = timeline(c)
    W, B = EventKind.MILESTONE_WARNING, EventKind.MILESTONE_BREACHED
    got = Counter((kind, ms) for kind, ms, _ in events.elements())
    expected = {(W, "ack"), (W, "dispatch"), (B, "ack"), (B, "dispatch")}
    assert set(got) == expected and all(n == 1 for n in got.values()), events
    # Which breaches reached the executive, as the timeline records it.
    escalated = {ms for kind, ms, to_exec in events if kind == B and to_exec}
    assert escalated == executive, events
    assert c.breach_count == 2 and c.is_overdue

    rows = messages(c)
    assert rows and all(n == 1 for n in rows.values()), rows
    for kind in ("ack", "dispatch"):
        assert "agent" in recipients(c, "milestone.warning", kind)
        assert {"m_customer_service", "agent"} <= recipients(c, "milestone.breached", kind)
        exec_to = recipients(c, "milestone.breached_executive", kind)
        assert exec_to == ({"exec"} if kind in executive else set()), (kind, exec_to)
    return {
        "events": sum(events.values()),
        "messages": sum(rows.values()),
        "distinct": len(rows),
        "duplicates": sum(n - 1 for n in rows.values()) + sum(n - 1 for n in got.values()),
        "lost": len(expected - set(got)),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("level", "executive"),
    [
        ("A", {"ack", "dispatch"}),  # executive_levels: [A] — every breach goes up
        ("C", {"dispatch"}),  # executive_after_breaches: 2 — from the second breach on
    ],
)
def test_each_deadline_warns_and_escalates_once_however_many_sweeps(
    preset, request, level, executive
):
    preset("b2b")
    people = make_people()
    c = received(people, level=level)
    assert c.level == level
    started = time.monotonic()

    first = sweep(ACK_WARN)
    assert (first.warned, first.breached, first.executive) == (1, 0, 0)
    second = sweep(ACK_BREACH)
    assert (second.warned, second.breached) == (0, 1)
    third = sweep(DISPATCH_WARN)
    assert (third.warned, third.breached) == (1, 0)
    fourth = sweep(DISPATCH_BREACH)
    assert (fourth.warned, fourth.breached) == (0, 1)
    assert second.executive + fourth.executive == len(executive)
    # Days later, still unmet: nothing new to say about these two deadlines.
    late = sweep("2026-11-18 09:00")
    assert (late.warned, late.breached, late.executive) == (0, 0, 0)

    counts = check_once(c, executive=executive)
    assert counts["duplicates"] == 0
    figures.record(
        request,
        f"escalation-once-level-{level}",
        sent=counts["messages"],
        received=counts["distinct"],
        duplicates=counts["duplicates"],
        lost=counts["lost"],
        seconds=time.monotonic() - started,
        sweeps=5 * SWEEPS,
        events=counts["events"],
    )


@pytest.mark.django_db
def test_both_deadlines_found_breached_at_once_escalate_once(preset):
    """No sweep ran for two hours (worker down): both milestones breach in the same sweep, the
    second counts as a repeated breach, and neither is warned after the fact."""
    preset("b2b")
    people = make_people()
    c = received(people, level="C")
    result = sweep(DISPATCH_BREACH)
    assert (result.warned, result.breached, result.executive) == (0, 2, 2)
    c.refresh_from_db()
    events = timeline(c)
    B = EventKind.MILESTONE_BREACHED
    assert events == Counter({(B, "ack", True): 1, (B, "dispatch", True): 1})
    assert c.breach_count == 2
    rows = messages(c)
    assert all(n == 1 for n in rows.values()), rows
    assert not any(event == "milestone.warning" for event, *_ in rows)
    assert recipients(c, "milestone.breached_executive", "ack") == {"exec"}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_escalate_each_deadline_once(preset, request):
    """4 threads (4 connections, as 4 workers would be) sweep together, 5 times each, at every
    instant, over 12 complaints: still one warning and one breach per milestone."""
    preset("b2b")
    people = make_people()
    cases = [(received(people, level="A" if i % 3 == 0 else "C", n=i)) for i in range(12)]
    threads_n, rounds = 4, 5
    started = time.monotonic()

    def work(when: str, barrier: threading.Barrier, errors: list[BaseException]) -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(rounds):
                sweep_deadlines(now=at(when), batch=5)  # small batches: more interleaving
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    for when in (ACK_WARN, ACK_BREACH, DISPATCH_WARN, DISPATCH_BREACH):
        barrier = threading.Barrier(threads_n)
        errors: list[BaseException] = []
        threads = [
            threading.Thread(target=work, args=(when, barrier, errors)) for _ in range(threads_n)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
        assert not errors, errors

    totals = Counter()
    for i, c in enumerate(cases):
        executive = {"ack", "dispatch"} if i % 3 == 0 else {"dispatch"}
        totals.update(check_once(c, executive=executive))
    assert totals["duplicates"] == 0
    figures.record(
        request,
        "escalation-once-concurrent",
        sent=totals["messages"],
        received=totals["distinct"],
        duplicates=totals["duplicates"],
        lost=totals["lost"],
        seconds=time.monotonic() - started,
        sweeps=4 * threads_n * rounds,
        complaints=len(cases),
        events=totals["events"],
    )
