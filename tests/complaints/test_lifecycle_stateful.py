"""Random sequences of actions by random people; the invariants hold after every step.

- a closed complaint had, in its last round, a satisfied callback or the policy's number of
  unreachable attempts, by someone other than the round's handler (or the customer's rating);
- every change of state has exactly one transition event, and the events chain;
- milestones are consistent with the state;
- a refused action changes nothing.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from kesu.complaints.errors import DomainError
from kesu.complaints.models import (
    Callback,
    Complaint,
    DeadlineExtension,
    Event,
    EventKind,
    Milestone,
    MilestoneStatus,
    Task,
)
from kesu.complaints.services import records, transitions
from kesu.complaints.services.intake import NewComplaint, complaint_create
from kesu.complaints.services.transitions import ActionInput
from kesu.complaints.states import State
from tests.conftest import at, make_people

ACTIONS = [
    "dispatch",
    "accept",
    "request_info",
    "provide_info",
    "propose_small",
    "propose_large",
    "approve",
    "refuse",
    "resolve",
    "pass_review",
    "return",
    "callback_yes",
    "callback_no",
    "callback_unreached",
    "rate_yes",
    "rate_no",
    "reopen",
    "reject",
    "acknowledge",
    "contact",
    "change_level",
    "add_task",
    "complete_task",
    "extend",
    "decide_extension",
    "reassign",
]
ACTORS = [
    "agent",
    "agent2",
    "handler",
    "handler2",
    "manager",
    "other_handler",
    "other_manager",
    "executive",
    "quality",
    "admin",
    "customer",
    "other_customer",
]


class ComplaintMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.now = at("2026-11-16 09:30")
        self.policy = self.people.policy_doc
        cat = self.policy.categories[0]
        self.dept = cat.department
        self.other_dept = next(d.code for d in self.policy.departments if d.code != self.dept)
        data = NewComplaint(
            customer_name="陈建国",
            customer_phone="13816620001",
            channel="hotline",
            category=cat.code,
            description="货物破损，要求赔偿。",
            received_at=self.now,
        )
        self.complaint, _ = complaint_create(data=data, actor=self.people.agent, now=self.now)
        self.changes = 0

    def actor(self, key: str):
        p = self.people
        return {
            "agent": p.agent,
            "agent2": p.agent2,
            "handler": p.handlers[self.dept],
            "handler2": p.second_handlers[self.dept],
            "manager": p.managers[self.dept],
            "other_handler": p.handlers[self.other_dept],
            "other_manager": p.managers[self.other_dept],
            "executive": p.executive,
            "quality": p.quality,
            "admin": p.admin,
            "customer": p.customer,
            "other_customer": p.other_customer,
        }[key]

    def perform(self, name: str, user) -> None:
        c, now, p = self.complaint, self.now, self.people
        kw = {"complaint": c, "actor": user, "now": now}
        small = [ActionInput(kind="apology", description="致歉")]
        large = [ActionInput(kind="compensation", amount=Decimal("1000000"))]
        rc = self.policy.root_causes[0].code
        match name:
            case "dispatch":
                transitions.complaint_dispatch(
                    **kw, department=self.dept, handler=p.handlers[self.dept]
                )
            case "accept":
                transitions.complaint_accept(**kw)
            case "request_info":
                transitions.complaint_request_info(**kw, message="请补充照片")
            case "provide_info":
                transitions.complaint_provide_info(**kw, text="照片已上传")
            case "propose_small":
                transitions.complaint_propose_solution(
                    **kw, summary="致歉", actions=small, root_cause=rc
                )
            case "propose_large":
                transitions.complaint_propose_solution(
                    **kw, summary="赔偿", actions=large, root_cause=rc
                )
            case "approve":
                transitions.complaint_approve_solution(**kw)
            case "refuse":
                transitions.complaint_refuse_solution(**kw, reason="金额过高")
            case "resolve":
                transitions.complaint_report_resolved(**kw)
            case "pass_review":
                transitions.complaint_pass_review(**kw)
            case "return":
                transitions.complaint_return_for_rework(**kw, reason="记录不全")
            case "callback_yes" | "callback_no":
                transitions.complaint_record_callback(
                    **kw,
                    reached=True,
                    outcome_rating=5 if name == "callback_yes" else 2,
                    process_rating=4,
                    accepted=name == "callback_yes",
                )
            case "callback_unreached":
                transitions.complaint_record_callback(**kw, reached=False)
            case "rate_yes" | "rate_no":
                transitions.complaint_rate(
                    **kw,
                    outcome_rating=5 if name == "rate_yes" else 1,
                    process_rating=3,
                    accepted=name == "rate_yes",
                )
            case "reopen":
                transitions.complaint_reopen(**kw, reason="问题又出现了")
            case "reject":
                transitions.complaint_reject(**kw, reason="非本公司业务")
            case "acknowledge":
                records.complaint_acknowledge(**kw)
            case "contact":
                records.complaint_log_communication(
                    **kw, channel="phone", direction="out", summary="已联系客户"
                )
            case "change_level":
                levels = [lv.code for lv in self.policy.levels]
                other = next((lv for lv in levels if lv != c.level), c.level)
                records.complaint_change_level(**kw, level=other, reason="重新评估")
            case "add_task":
                records.complaint_add_task(**kw, department=self.other_dept, title="核查记录")
            case "complete_task":
                task = Task.objects.filter(complaint=c, status="open").first()
                if task is None:
                    return
                records.complaint_complete_task(**kw, task=task, result="已核查")
            case "extend":
                records.complaint_request_extension(
                    **kw, milestone="solution", hours=8, reason="需要供应商配合"
                )
            case "decide_extension":
                ext = DeadlineExtension.objects.filter(
                    milestone__complaint=c, status="requested"
                ).first()
                if ext is None:
                    return
                records.complaint_decide_extension(**kw, extension=ext, approve=True)
            case "reassign":
                records.complaint_reassign(**kw, handler=p.second_handlers[self.dept])

    @rule(
        name=st.sampled_from(ACTIONS),
        who=st.sampled_from(ACTORS),
        hours=st.integers(min_value=0, max_value=30),
    )
    def act(self, name, who, hours):
        self._do(name, who, hours)

    # Random picks rarely get far, so this rule takes one of the moves the procedure expects
    # in the current state, by the right person: sequences reach every state.
    PLAUSIBLE = {
        State.RECEIVED: [("dispatch", "agent"), ("acknowledge", "agent"), ("reject", "agent")],
        State.ASSIGNED: [("accept", "handler"), ("contact", "handler"), ("reassign", "manager")],
        State.INVESTIGATING: [
            ("propose_small", "handler"),
            ("propose_large", "handler"),
            ("request_info", "handler"),
            ("add_task", "handler"),
            ("extend", "handler"),
            ("change_level", "agent"),
        ],
        State.AWAITING_CUSTOMER: [("provide_info", "customer"), ("provide_info", "agent")],
        State.PENDING_APPROVAL: [
            ("approve", "executive"),
            ("refuse", "executive"),
            ("approve", "manager"),
        ],
        State.RESOLVING: [
            ("resolve", "handler"),
            ("complete_task", "other_handler"),
            ("decide_extension", "manager"),
        ],
        State.PENDING_REVIEW: [("pass_review", "agent"), ("return", "agent")],
        State.PENDING_CALLBACK: [
            ("callback_yes", "agent"),
            ("callback_no", "agent2"),
            ("callback_unreached", "agent2"),
            ("rate_yes", "customer"),
            ("rate_no", "customer"),
            ("callback_yes", "handler"),
        ],
        State.CLOSED: [("reopen", "customer"), ("reopen", "agent")],
    }

    @rule(pick=st.integers(min_value=0, max_value=99), hours=st.integers(0, 10))
    def advance(self, pick, hours):
        options = self.PLAUSIBLE.get(self.complaint.state)
        if not options:
            return
        name, who = options[pick % len(options)]
        self._do(name, who, hours)

    def _do(self, name, who, hours):
        self.now += timedelta(hours=hours, minutes=7)
        c = self.complaint
        before = (c.state, c.version, Event.objects.filter(complaint=c).count())
        try:
            self.perform(name, self.actor(who))
        except DomainError:
            fresh = Complaint.objects.get(pk=c.pk)
            after = (fresh.state, fresh.version, Event.objects.filter(complaint=c).count())
            assert after == before, f"refused {name} by {who} changed {before} → {after}"
            return
        if self.complaint.state != before[0]:
            self.changes += 1

    @invariant()
    def events_chain(self):
        c = Complaint.objects.get(pk=self.complaint.pk)
        transitions_ = list(
            Event.objects.filter(complaint=c, kind__in=[EventKind.TRANSITION, EventKind.CREATED])
            .order_by("id")
            .values_list("from_state", "to_state")
        )
        assert transitions_[0] == ("", State.RECEIVED)
        for (_, prev_to), (frm, _to) in itertools.pairwise(transitions_):
            assert frm == prev_to
        assert transitions_[-1][1] == c.state
        # Exactly one transition event per change of state we observed.
        assert len(transitions_) - 1 == self.changes

    @invariant()
    def closed_means_confirmed(self):
        c = Complaint.objects.get(pk=self.complaint.pk)
        if c.state != State.CLOSED:
            return
        rnd = c.rounds.get(number=c.round_no)
        callbacks = Callback.objects.filter(round=rnd)
        rule = self.policy.callback
        # Where the policy lets the handler call back (seed 004), nobody is excluded.
        handler_ids = {c.handler_id} if rule.by_other_than_handler else set()
        allowed_roles = {*rule.by_roles, "customer"}
        if c.close_reason == "satisfied":
            last = callbacks.filter(reached=True).latest("id")
            assert last.accepted is True
            assert last.by_id not in handler_ids or last.by.role == "customer"
            assert last.by.role in allowed_roles
        else:
            assert c.close_reason == "unreachable"
            failed = callbacks.filter(reached=False)
            assert failed.count() >= rule.max_attempts
            assert not failed.filter(by_id__in=handler_ids).exists()
            assert {cb.by.role for cb in failed} <= allowed_roles

    @invariant()
    def milestones_consistent(self):
        c = Complaint.objects.get(pk=self.complaint.pk)
        for ms in Milestone.objects.filter(complaint=c):
            if ms.status == MilestoneStatus.MET:
                assert ms.met_at is not None
            if ms.status == MilestoneStatus.OPEN:
                assert ms.due_at is not None and ms.paused_at is None
            if ms.status == MilestoneStatus.PAUSED:
                assert ms.paused_at is not None
                assert c.state == State.AWAITING_CUSTOMER
            if ms.original_due_at and ms.due_at and ms.extension_seconds:
                assert ms.due_at > ms.original_due_at
        running = Milestone.objects.filter(
            complaint=c, status__in=[MilestoneStatus.OPEN, MilestoneStatus.PAUSED]
        )
        if c.state in State.terminal():
            assert not running.exists()
        if c.state == State.AWAITING_CUSTOMER:
            assert not running.filter(status=MilestoneStatus.OPEN, pausable=True).exists()
        assert not running.exclude(round__number=c.round_no).exists()
        open_due = running.filter(status=MilestoneStatus.OPEN).order_by("due_at").first()
        assert c.next_due_at == (open_due.due_at if open_due else None)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["b2b", "recycling", "food-distribution"])
def test_random_action_sequences_keep_invariants(name, preset):
    doc = preset(name)
    people = make_people()
    people.policy_doc = doc
    ComplaintMachine.people = people
    run_state_machine_as_test(
        ComplaintMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
