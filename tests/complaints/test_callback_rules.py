"""Who may record a callback: the policy's ``callback.by_roles``, and never the person who
handled the round where ``callback.by_other_than_handler`` is set (seed 001 非原处理人)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kesu.complaints.access import allowed_actions
from kesu.complaints.errors import GuardFailed, PermissionDenied
from kesu.complaints.models import Callback
from kesu.complaints.services import transitions
from kesu.complaints.services.intake import NewComplaint, complaint_create
from kesu.complaints.services.transitions import ActionInput
from kesu.complaints.states import State
from tests.conftest import make_people

pytestmark = pytest.mark.django_db


def resolved(people, *, dept: str, category: str, by, phone: str = "13700001111"):
    """A complaint of ``dept`` handled by ``by`` up to the callback."""
    c, _ = complaint_create(
        data=NewComplaint(
            customer_name="王磊",
            customer_phone=phone,
            channel="hotline",
            category=category,
            description="送来的蔬菜有一半不新鲜。",
        ),
        actor=people.agent,
    )
    transitions.complaint_dispatch(complaint=c, actor=people.agent, department=dept, handler=by)
    transitions.complaint_accept(complaint=c, actor=by)
    transitions.complaint_propose_solution(
        complaint=c,
        actor=by,
        summary="当天补送。",
        actions=[ActionInput(kind="reshipment", description="补送", amount=Decimal("0"))],
        root_cause="operation_error",
    )
    transitions.complaint_report_resolved(complaint=c, actor=by, summary="已补送。")
    c.refresh_from_db()
    if c.state == State.PENDING_REVIEW:
        transitions.complaint_pass_review(complaint=c, actor=people.agent)
    assert c.state == State.PENDING_CALLBACK
    return c


def satisfied(c, actor):
    return transitions.complaint_record_callback(
        complaint=c, actor=actor, reached=True, outcome_rating=5, process_rating=4, accepted=True
    )


def test_b2b_callbacks_come_from_customer_service_only(preset):
    preset("b2b")
    people = make_people()
    handler, manager = people.handlers["logistics"], people.managers["logistics"]
    c = resolved(people, dept="logistics", category="late_delivery", by=handler)
    for user in (handler, manager, people.quality):
        assert "record_callback" not in allowed_actions(user, c)
        with pytest.raises(PermissionDenied):
            satisfied(c, user)
    assert not Callback.objects.filter(complaint=c).exists()
    assert "record_callback" in allowed_actions(people.agent, c)
    satisfied(c, people.agent)
    assert c.state == State.CLOSED


def test_food_distribution_lets_the_handler_call_back(preset):
    # Seed 004 四 3 4): the person who took the complaint follows it up and reports back.
    doc = preset("food-distribution")
    people = make_people()
    dept = doc.category(doc.categories[0].code).department
    handler = people.handlers[dept]
    c = resolved(people, dept=dept, category=doc.categories[0].code, by=handler)
    assert "record_callback" in allowed_actions(handler, c)
    satisfied(c, handler)
    assert c.state == State.CLOSED


def test_the_handler_of_the_round_may_not_call_back_where_the_policy_says_so(preset):
    from kesu.policy.loader import policy_activate

    doc = preset("b2b")
    # A company whose department managers also make callbacks, but never on their own cases.
    policy_activate(
        doc=doc.model_copy(
            update={
                "name": "b2b-managers-call-back",
                "callback": doc.callback.model_copy(update={"by_roles": ["agent", "manager"]}),
            }
        )
    )
    people = make_people()
    manager = people.managers["logistics"]
    own = resolved(people, dept="logistics", category="late_delivery", by=manager)
    assert "record_callback" not in allowed_actions(manager, own)
    with pytest.raises(GuardFailed) as refused:
        satisfied(own, manager)
    assert refused.value.code == "rule_not_met" and "处理人以外" in str(refused.value.message)
    own.refresh_from_db()
    assert own.state == State.PENDING_CALLBACK
    assert not Callback.objects.filter(complaint=own).exists()

    # The same manager may call back a case their handler resolved (another customer: a
    # repeat would be raised to A and wait for the executive's approval).
    theirs = resolved(
        people,
        dept="logistics",
        category="late_delivery",
        by=people.handlers["logistics"],
        phone="13700002222",
    )
    assert "record_callback" in allowed_actions(manager, theirs)
    satisfied(theirs, manager)
    assert theirs.state == State.CLOSED


def test_an_unsatisfied_callback_ends_the_round_and_opens_the_next(preset):
    preset("b2b")
    people = make_people()
    c = resolved(
        people, dept="logistics", category="late_delivery", by=people.handlers["logistics"]
    )
    transitions.complaint_record_callback(
        complaint=c,
        actor=people.agent,
        reached=True,
        outcome_rating=2,
        process_rating=3,
        accepted=False,
        notes="客户对补送时间不满意",
    )
    assert c.state == State.INVESTIGATING and c.round_no == 2
    first, second = c.rounds.order_by("number")
    assert first.closed_at is not None and first.satisfied is False
    assert (first.outcome_rating, first.process_rating) == (2, 3)
    assert second.closed_at is None and second.started_at == first.closed_at
