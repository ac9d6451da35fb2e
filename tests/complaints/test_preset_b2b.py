"""Seed 001 (b2b) end to end, with its own numbers: acknowledgment 1 h, dispatch 2 h, contact
A/B/C in 2/4/8 working hours, A-level solutions approved by the executive, callback by someone
other than the handler, closure only after a satisfied callback. Time is moved by the test.

Week of Monday 2026-11-16 (no holiday); working hours 09:00–12:00, 13:00–18:00."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kesu.complaints.errors import PermissionDenied
from kesu.complaints.models import Event, EventKind, Milestone
from kesu.complaints.services import records, transitions
from kesu.complaints.services.intake import NewComplaint, complaint_create
from kesu.complaints.services.sweep import sweep_deadlines
from kesu.complaints.services.transitions import ActionInput
from kesu.complaints.states import State
from kesu.outbox.models import OutboxMessage
from tests.conftest import at, make_people

pytestmark = pytest.mark.django_db


def milestone(c, kind, round_no=None):
    return Milestone.objects.get(complaint=c, kind=kind, round__number=round_no or c.round_no)


def sent(event, user=None):
    qs = OutboxMessage.objects.filter(event=event)
    if user is not None:
        qs = qs.filter(recipient=user)
    return qs.count()


def test_b2b_a_level_procedure(preset):
    preset("b2b")
    people = make_people()
    agent, agent2, executive = people.agent, people.agent2, people.executive
    handler, manager = people.handlers["logistics"], people.managers["logistics"]

    data = NewComplaint(
        customer_name="周静",
        customer_company="南京鼎盛机械制造有限公司",
        customer_phone="13851770006",
        channel="hotline",
        category="late_delivery",
        description="重大项目的设备交货期已经延误一周，客户说再不解决就找律师起诉。",
        demand="本周内发货并赔偿损失",
        received_at=at("2026-11-16 09:00"),
    )
    c, created = complaint_create(data=data, actor=agent, now=at("2026-11-16 09:00"))
    assert created and c.number.startswith("KS-20261116-")
    # Suggested from the words 律师/起诉/重大项目; the agent's choice is kept beside it.
    assert c.suggested_level == "A" and c.level == "A"
    # Taken on the hotline: the agent acknowledged it then (1 h).
    assert milestone(c, "ack").met_at == at("2026-11-16 09:00")
    assert milestone(c, "dispatch").due_at == at("2026-11-16 11:00")
    received_msgs = OutboxMessage.objects.filter(event="complaint.received", complaint_id=c.pk)
    # The customer is told it is accepted, by SMS (no email was given).
    assert list(received_msgs.values_list("channel", flat=True)) == ["sms"]
    transitions.complaint_dispatch(
        complaint=c,
        actor=agent,
        department="logistics",
        handler=handler,
        level="A",
        now=at("2026-11-16 10:30"),
    )
    assert c.state == State.ASSIGNED
    assert milestone(c, "dispatch").met_on_time
    # A: contact within 2 working hours, across lunch.
    assert milestone(c, "contact").due_at == at("2026-11-16 13:30")
    assert milestone(c, "contact").warn_at == at("2026-11-16 13:06")
    assert milestone(c, "solution").due_at == at("2026-11-17 10:30")

    result = sweep_deadlines(now=at("2026-11-16 13:10"))
    assert (result.warned, result.breached) == (1, 0)
    assert sent("milestone.warning", handler) >= 1
    result = sweep_deadlines(now=at("2026-11-16 13:31"))
    assert result.breached == 1
    assert sent("milestone.breached", manager) >= 1
    assert sent("milestone.breached_executive", executive) >= 1  # A-level goes to the top
    # However many sweeps run, the breach escalates once.
    for minute in ("13:32", "13:40", "17:00"):
        assert sweep_deadlines(now=at(f"2026-11-16 {minute}")).breached == 0
    assert Event.objects.filter(complaint=c, kind=EventKind.MILESTONE_BREACHED).count() == 1
    c.refresh_from_db()
    assert c.is_overdue and c.breach_count == 1

    transitions.complaint_accept(complaint=c, actor=handler, now=at("2026-11-16 13:45"))
    records.complaint_log_communication(
        complaint=c,
        actor=handler,
        channel="phone",
        direction="out",
        summary="已致电客户说明原因，承诺明早给出方案。",
        now=at("2026-11-16 14:00"),
    )
    contact = milestone(c, "contact")
    assert contact.met_at == at("2026-11-16 14:00") and contact.met_on_time is False
    assert contact.breached_at == at("2026-11-16 13:30")

    # 3,000 CNY is within a handler's tier, but any A-level solution needs the executive.
    transitions.complaint_propose_solution(
        complaint=c,
        actor=handler,
        summary="紧急补发并赔偿延误损失",
        actions=[
            ActionInput(kind="reshipment", description="加急补发"),
            ActionInput(kind="compensation", amount=Decimal("3000")),
        ],
        root_cause="logistics_supplier_gap",
        root_cause_text="承运商排车失误",
        now=at("2026-11-17 09:00"),
    )
    assert c.state == State.PENDING_APPROVAL
    assert sent("solution.approval_needed", executive) >= 1
    with pytest.raises(PermissionDenied):
        transitions.complaint_approve_solution(
            complaint=c, actor=manager, now=at("2026-11-17 09:10")
        )
    transitions.complaint_approve_solution(
        complaint=c, actor=executive, reason="同意", now=at("2026-11-17 10:00")
    )
    assert c.state == State.RESOLVING
    assert milestone(c, "solution").met_on_time

    transitions.complaint_report_resolved(
        complaint=c, actor=handler, summary="已补发到货", now=at("2026-11-17 15:00")
    )
    assert c.state == State.PENDING_CALLBACK  # b2b has no review step
    assert milestone(c, "callback").due_at == at("2026-11-18 15:00")

    # 非原处理人: the handler may not make the callback (customer service does).
    with pytest.raises(PermissionDenied):
        transitions.complaint_record_callback(
            complaint=c,
            actor=handler,
            reached=True,
            outcome_rating=5,
            process_rating=5,
            accepted=True,
            now=at("2026-11-18 09:30"),
        )
    transitions.complaint_record_callback(
        complaint=c,
        actor=agent2,
        reached=True,
        outcome_rating=5,
        process_rating=4,
        accepted=True,
        notes="客户确认满意",
        now=at("2026-11-18 10:00"),
    )
    assert c.state == State.CLOSED and c.close_reason == "satisfied"
    assert milestone(c, "callback").met_on_time
    states = list(
        Event.objects.filter(complaint=c, kind=EventKind.TRANSITION)
        .order_by("id")
        .values_list("to_state", flat=True)
    )
    assert states == [
        "assigned",
        "investigating",
        "pending_approval",
        "resolving",
        "pending_callback",
        "closed",
    ]


def test_b2b_levels_b_and_c_contact_deadlines(preset):
    preset("b2b")
    people = make_people()
    for level, due in (("B", "2026-11-16 15:30"), ("C", "2026-11-17 10:30")):
        data = NewComplaint(
            customer_name="刘芳",
            customer_phone="13962110002",
            channel="email",
            category="invoicing",
            description="发票开错了税号。",
            received_at=at("2026-11-16 09:00"),
        )
        c, _ = complaint_create(data=data, actor=people.agent, now=at("2026-11-16 09:05"))
        assert not Milestone.objects.get(complaint=c, kind="ack").met_at  # email: not live
        transitions.complaint_dispatch(
            complaint=c,
            actor=people.agent,
            department="finance",
            level=level,
            now=at("2026-11-16 10:30"),
        )
        assert milestone(c, "contact").due_at == at(due)
