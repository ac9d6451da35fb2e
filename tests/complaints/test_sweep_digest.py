"""A sweep that finds many deadlines at once tells each person once, with a list, instead of
once per deadline; every deadline still gets its own timeline event (SPEC §4, §8)."""

from __future__ import annotations

import pytest

from kesu.complaints.models import Event, EventKind, Milestone
from kesu.complaints.services import sweep
from kesu.complaints.services.intake import NewComplaint, complaint_create
from kesu.complaints.services.sweep import sweep_deadlines
from kesu.outbox.models import OutboxMessage
from kesu.outbox.rendering import render
from tests.conftest import at, make_people

pytestmark = pytest.mark.django_db


def received(p, n: int) -> list:
    made = []
    for i in range(n):
        c, _ = complaint_create(
            data=NewComplaint(
                customer_name=f"客户{i}",
                customer_phone=f"1357777{i:04d}",
                channel="hotline",
                category="late_delivery",
                description=f"第 {i} 单交货晚了。",
            ),
            actor=p.agent,
            now=at("2026-11-16 09:00"),
        )
        made.append(c)
    return made


def breach_rows(username: str, event: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(recipient__username=username, event=event))


def test_many_breaches_make_one_digest_per_person(preset):
    preset("b2b")
    p = make_people()
    complaints = received(p, sweep.DIGEST_AFTER + 3)
    result = sweep_deadlines(now=at("2026-11-30 09:00"))
    breached = Milestone.objects.filter(breached_at__isnull=False)
    assert result.breached == breached.count() >= len(complaints)
    # Every deadline is on its complaint's timeline, one event each.
    assert Event.objects.filter(kind=EventKind.MILESTONE_BREACHED).count() == breached.count()

    # The agent who received them all: one digest per channel, no single notes.
    assert breach_rows("agent", "milestone.breached") == []
    digests = breach_rows("agent", "milestone.breached_digest")
    assert sorted(m.channel for m in digests) == ["email", "inapp"]
    context = digests[0].context
    assert context["count"] == result.breached
    for c in complaints:
        assert c.number in context["numbers"]
    assert context["link"].endswith("/console/queue/overdue/")
    subject, body = render("milestone.breached_digest", "inapp", "zh-hans", context)
    assert subject == f"已超时：{result.breached} 个投诉节点"
    assert complaints[0].number in body and "、" in body
    subject, body = render("milestone.breached_digest", "email", "en", context)
    assert subject == f"Overdue: {result.breached} complaint deadlines"
    assert f"{complaints[0].number}, {complaints[1].number}" in body

    # Nothing more on the next sweeps.
    rows = OutboxMessage.objects.count()
    assert not sweep_deadlines(now=at("2026-11-30 09:05"))
    assert OutboxMessage.objects.count() == rows


def test_few_breaches_stay_one_note_each(preset):
    preset("b2b")
    p = make_people()
    complaints = received(p, 1)
    result = sweep_deadlines(now=at("2026-11-30 09:00"))
    assert 1 <= result.breached <= sweep.DIGEST_AFTER
    singles = breach_rows("agent", "milestone.breached")
    assert len([m for m in singles if m.channel == "inapp"]) == result.breached
    assert {m.complaint_id for m in singles} == {complaints[0].pk}
    assert breach_rows("agent", "milestone.breached_digest") == []


def test_digest_lists_twenty_numbers_and_counts_the_rest(preset, monkeypatch):
    preset("b2b")
    p = make_people()
    monkeypatch.setattr(sweep, "DIGEST_NUMBERS", 2)
    complaints = received(p, sweep.DIGEST_AFTER + 1)
    sweep_deadlines(now=at("2026-11-30 09:00"))
    context = breach_rows("agent", "milestone.breached_digest")[0].context
    assert context["numbers"] == "、".join(c.number for c in complaints[:2])
    assert context["more"] == f" 等 {len(complaints)} 个投诉"
    assert context["_en"]["more"] == f" and {len(complaints) - 2} more complaints"


def test_many_warnings_make_one_digest_pointing_to_the_due_soon_queue(preset):
    preset("b2b")
    p = make_people()
    received(p, sweep.DIGEST_AFTER + 2)
    first = Milestone.objects.filter(status="open").order_by("warn_at").first()
    assert first.warn_at < first.due_at
    result = sweep_deadlines(now=first.warn_at)
    assert result.warned >= sweep.DIGEST_AFTER + 2 and not result.breached
    [digest] = OutboxMessage.objects.filter(
        recipient__username="agent", event="milestone.warning_digest", channel="inapp"
    )
    assert digest.context["count"] == result.warned
    assert digest.context["link"].endswith("/console/queue/due_soon/")
    assert breach_rows("agent", "milestone.warning") == []
