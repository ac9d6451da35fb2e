"""The API's world: the b2b preset, one user of every role with an API token, a complaint for
each of two customers, and builders that bring a complaint to any state through the services.

Time stands still at a Monday morning in Shanghai, so deadlines and windows are predictable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from kesu.accounts.models import ApiToken, User
from kesu.complaints.models import Complaint, SolutionAction, SolutionStatus
from kesu.complaints.services import records, transitions
from kesu.complaints.services.intake import NewComplaint, complaint_create
from kesu.complaints.services.transitions import ActionInput
from kesu.complaints.states import State
from tests.conftest import at, make_people

NOW = at("2026-11-16 10:00")  # a Monday, a working day
DEPT = "logistics"  # late_delivery's department in the b2b preset
OTHER_DEPT = "sales"
TASK_DEPT = "finance"

Headers = dict[str, str] | None

CUSTOMERS = {
    "customer_a": {"customer_name": "陈建国", "customer_phone": "13816620001"},
    "customer_b": {"customer_name": "刘芳", "customer_phone": "13962110002"},
}


@dataclass
class World:
    users: dict[str, User]
    tokens: dict[str, str]
    complaints: dict[str, Complaint] = field(default_factory=dict)
    client: Client = field(default_factory=Client)

    # --- HTTP -------------------------------------------------------------------------------

    def headers(self, who: str | None, extra: dict[str, str] | None) -> dict[str, str]:
        headers = dict(extra or {})
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return headers

    def get(self, who: str | None, path: str, params: Any = None, headers: Headers = None):
        return self.client.get(f"/api/v1{path}", params or {}, headers=self.headers(who, headers))

    def post(self, who: str | None, path: str, body: Any = None, headers: Headers = None):
        data = "" if body is None else json.dumps(body, ensure_ascii=False, default=str)
        return self.client.post(
            f"/api/v1{path}",
            data=data,
            content_type="application/json",
            headers=self.headers(who, headers),
        )

    def upload(self, who: str | None, path: str, fields: dict[str, Any], headers: Headers = None):
        return self.client.post(f"/api/v1{path}", fields, headers=self.headers(who, headers))

    # --- building complaints through the services -------------------------------------------

    def new(self, customer: str = "customer_a", **fields: Any) -> Complaint:
        defaults = {
            "channel": "email",
            "category": "late_delivery",
            "description": "交货期延迟了一周,影响我们的生产安排。",
        }
        data = NewComplaint(**{**defaults, **CUSTOMERS[customer], **fields})
        complaint, _ = complaint_create(data=data, actor=self.users["agent"])
        return complaint

    def build(self, state: State, *, customer: str = "customer_a", review: bool = False):
        """A fresh complaint of ``customer`` in ``state``, handled by the logistics handler;
        ``review`` records it under a variant of the policy with the review step on."""
        u = self.users
        if review:
            with review_policy():
                c = self.new(customer)
        else:
            c = self.new(customer)
        steps = [
            lambda: transitions.complaint_dispatch(
                complaint=c, actor=u["agent"], department=DEPT, level="C"
            ),
            lambda: transitions.complaint_accept(complaint=c, actor=u["handler"]),
        ]
        if state == State.AWAITING_CUSTOMER:
            steps.append(
                lambda: transitions.complaint_request_info(
                    complaint=c, actor=u["handler"], message="请提供签收单照片。"
                )
            )
        elif state == State.PENDING_APPROVAL:
            steps.append(lambda: self.propose(c, Decimal("5000")))
        else:
            steps += [
                lambda: self.propose(c, Decimal("0")),
                lambda: transitions.complaint_report_resolved(
                    complaint=c, actor=u["handler"], summary="已补发。"
                ),
            ]
            if review:
                steps.append(
                    lambda: transitions.complaint_pass_review(complaint=c, actor=u["agent"])
                )
            steps.append(
                lambda: transitions.complaint_record_callback(
                    complaint=c,
                    actor=u["agent"],
                    reached=True,
                    outcome_rating=5,
                    process_rating=5,
                    accepted=True,
                )
            )
        for step in steps:
            if c.state == state:
                break
            step()
        c.refresh_from_db()
        assert c.state == state, (c.state, state)
        return c

    def propose(self, c: Complaint, amount: Decimal):
        kind = "compensation" if amount else "apology"
        return transitions.complaint_propose_solution(
            complaint=c,
            actor=self.users["handler"],
            summary="补发货物并致歉。",
            actions=[ActionInput(kind=kind, description="补发", amount=amount)],
            root_cause="operation_error",
        )

    def add_task(self, c: Complaint):
        return records.complaint_add_task(
            complaint=c, actor=self.users["handler"], department=TASK_DEPT, title="核对付款记录"
        )

    def request_extension(self, c: Complaint):
        return records.complaint_request_extension(
            complaint=c, actor=self.users["handler"], milestone="solution", hours=8, reason="等物流"
        )

    def approved_action(self, c: Complaint) -> SolutionAction:
        return SolutionAction.objects.filter(
            solution__complaint=c, solution__status=SolutionStatus.APPROVED
        ).first()


class review_policy:
    """Complaints recorded inside use a variant of b2b with the review step on."""

    def __enter__(self) -> None:
        from kesu.policy.loader import policy_activate, read_policy_file

        doc, _ = read_policy_file("b2b")
        policy_activate(doc=doc.model_copy(update={"review_step": True, "name": "b2b-review"}))

    def __exit__(self, *exc: object) -> None:
        from kesu.policy.loader import policy_load

        policy_load("b2b")


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def fast_passwords(settings):
    # make_people sets a password on two dozen users: PBKDF2 would take seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db, frozen, fast_passwords) -> World:
    from kesu.policy.loader import policy_load

    policy_load("b2b")
    p = make_people()
    users = {
        "customer_a": p.customer,
        "customer_b": p.other_customer,
        "agent": p.agent,
        "agent2": p.agent2,
        "handler": p.handlers[DEPT],
        "handler2": p.second_handlers[DEPT],
        "other_handler": p.handlers[OTHER_DEPT],
        "manager": p.managers[DEPT],
        "other_manager": p.managers[OTHER_DEPT],
        "finance_handler": p.handlers[TASK_DEPT],
        "executive": p.executive,
        "quality": p.quality,
        "admin": p.admin,
    }
    tokens = {key: ApiToken.issue(user=user, name="test")[1] for key, user in users.items()}
    w = World(users=users, tokens=tokens)
    w.complaints["customer_a"] = w.new("customer_a")
    w.complaints["customer_b"] = w.new(
        "customer_b", category="invoicing", description="发票开错了抬头。"
    )
    return w
