"""Who hears about a deadline: customer service for the steps it owns (acknowledge, dispatch,
call back), the handling department for the rest (SPEC §4, seed 001 客户服务部回访)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kesu.complaints.models import Milestone
from kesu.complaints.services import transitions
from kesu.complaints.services.intake import NewComplaint, complaint_create
from kesu.complaints.services.sweep import sweep_deadlines
from kesu.complaints.services.transitions import ActionInput
from kesu.outbox.models import OutboxMessage
from tests.conftest import at, make_people

pytestmark = pytest.mark.django_db


def late_delivery(p, *, channel: str, email: str = ""):
    """钱伟's late-delivery complaint, recorded by the agent on Monday 09:00."""
    c, _ = complaint_create(
        data=NewComplaint(
            customer_name="钱伟",
            customer_phone="13577778888",
            customer_email=email,
            channel=channel,
            category="late_delivery",
            description="交货晚了两天。",
        ),
        actor=p.agent,
        now=at("2026-11-16 09:00"),
    )
    return c


def recipients(event: str, milestone: str) -> set[str]:
    rows = OutboxMessage.objects.filter(event=event, context__milestone=milestone)
    return {m.recipient.username for m in rows if m.recipient_id}


def test_callback_deadline_goes_to_customer_service_in_b2b(preset):
    preset("b2b")  # callback within 1 working day (09–12, 13–18), warning at 80 %
    p = make_people()
    handler = p.handlers["logistics"]
    c = late_delivery(p, channel="hotline")
    transitions.complaint_dispatch(
        complaint=c,
        actor=p.agent,
        department="logistics",
        handler=handler,
        level="C",
        now=at("2026-11-16 09:10"),
    )
    transitions.complaint_accept(complaint=c, actor=handler, now=at("2026-11-16 09:20"))
    transitions.complaint_propose_solution(
        complaint=c,
        actor=handler,
        summary="致歉并说明原因。",
        actions=[ActionInput(kind="apology", description="致歉", amount=Decimal("0"))],
        root_cause="operation_error",
        now=at("2026-11-16 09:40"),
    )
    transitions.complaint_report_resolved(
        complaint=c, actor=handler, summary="已处理。", now=at("2026-11-16 10:00")
    )
    callback = Milestone.objects.get(complaint=c, kind="callback")
    # 8 working hours from Mon 10:00: Tue 10:00; 80 % = 6 h 24 min: Mon 17:24.
    assert callback.due_at == at("2026-11-17 10:00")
    assert callback.warn_at == at("2026-11-16 17:24")

    sweep_deadlines(now=at("2026-11-16 17:25"))
    # The first responder, who will call back, is warned; not the handler, who may not.
    assert recipients("milestone.warning", callback.name) == {"agent"}

    sweep_deadlines(now=at("2026-11-17 10:01"))
    # The breach goes to customer service's manager, not the logistics manager.
    assert recipients("milestone.breached", callback.name) == {"m_customer_service", "agent"}


def test_the_customer_service_manager_can_open_what_they_are_escalated(preset):
    from kesu.complaints.access import complaint_for_user, visible_complaints

    preset("b2b")
    p = make_people()
    c = late_delivery(p, channel="email")
    sweep_deadlines(now=at("2026-11-16 11:01"))  # ack and dispatch breached
    manager = p.managers["customer_service"]
    assert OutboxMessage.objects.filter(event="milestone.breached", recipient=manager).exists()
    assert complaint_for_user(manager, number=c.number) == c
    assert visible_complaints(manager).filter(pk=c.pk).exists()
    # A department manager elsewhere still sees only their own department's cases.
    assert not visible_complaints(p.managers["sales"]).filter(pk=c.pk).exists()


def test_staff_links_open_the_console_and_only_the_customer_gets_the_private_link(preset):
    preset("b2b")
    p = make_people()
    c = late_delivery(p, channel="email", email="qian@example.cn")
    transitions.complaint_dispatch(
        complaint=c, actor=p.agent, department="logistics", handler=p.handlers["logistics"]
    )
    to_customer = OutboxMessage.objects.get(event="complaint.received", channel="email")
    assert to_customer.context["link"].endswith(f"/portal/c/{c.portal_token}/")
    staff_rows = OutboxMessage.objects.filter(event="complaint.assigned")
    assert staff_rows.exists()
    for row in staff_rows:
        assert row.context["link"].endswith(f"/console/c/{c.number}/")
        assert c.portal_token not in str(row.context)
