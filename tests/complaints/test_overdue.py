"""'Overdue' is a present fact (a deadline passed and still unmet); the breach stays on record."""

from __future__ import annotations

import pytest

from kesu.complaints.models import Complaint, Milestone
from kesu.complaints.services import records, transitions
from kesu.complaints.services.intake import NewComplaint, complaint_create
from kesu.complaints.services.sweep import sweep_deadlines
from tests.conftest import at, make_people

pytestmark = pytest.mark.django_db


def test_overdue_until_the_late_milestone_is_met(preset):
    preset("b2b")  # dispatch within 2 working hours
    people = make_people()
    c, _ = complaint_create(
        data=NewComplaint(
            customer_name="孙丽",
            customer_phone="13655556666",
            channel="email",
            category="late_delivery",
            description="货还没到。",
        ),
        actor=people.agent,
        now=at("2026-11-16 09:00"),
    )
    assert sweep_deadlines(now=at("2026-11-16 11:01")).breached >= 1
    c.refresh_from_db()
    assert c.is_overdue and c.breach_count >= 1
    breaches = c.breach_count

    # A note does not make the late dispatch any less late.
    records.complaint_add_note(
        complaint=c, actor=people.agent, text="客户来电催促", now=at("2026-11-16 11:05")
    )
    assert Complaint.objects.get(pk=c.pk).is_overdue

    transitions.complaint_dispatch(
        complaint=c,
        actor=people.agent,
        department="logistics",
        level="C",
        now=at("2026-11-16 11:10"),
    )
    c.refresh_from_db()
    dispatch = Milestone.objects.get(complaint=c, kind="dispatch")
    assert dispatch.met_at == at("2026-11-16 11:10") and dispatch.met_on_time is False
    assert dispatch.breached_at == at("2026-11-16 11:00")
    # The acknowledgment (1 h, breached at 10:00) is still unmet: still overdue.
    assert Milestone.objects.get(complaint=c, kind="ack").breached_at == at("2026-11-16 10:00")
    assert c.is_overdue

    records.complaint_acknowledge(
        complaint=c, actor=people.agent, summary="已电话告知受理", now=at("2026-11-16 11:15")
    )
    c.refresh_from_db()
    assert not c.is_overdue
    assert c.breach_count == breaches  # history kept
