"""Every API operation × every role: the status the SPEC allows, and a refused call changes
nothing.

The expected table is built from the lifecycle table (``ACTIONS[...].roles``) and the scope
rules of SPEC §1, not from the code under test: staff of customer service, executives,
quality and admins see every complaint; handlers and managers see their department's; a
customer sees their own. Not visible → 404; visible but not your action → 403; your action
in the wrong state → 409; anonymous → 401.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kesu.accounts.models import Role
from kesu.complaints.lifecycle import ACTIONS
from kesu.complaints.models import Complaint, Event
from kesu.complaints.services import transitions
from kesu.complaints.states import State
from tests.api.conftest import NOW, World
from tests.support.files import PNG

S = State
ROLES = {
    "anonymous": None,
    "customer_a": Role.CUSTOMER,  # the complaints below are customer A's
    "customer_b": Role.CUSTOMER,
    "agent": Role.AGENT,
    "handler": Role.HANDLER,  # of the complaint's department (logistics)
    "other_handler": Role.HANDLER,  # of another department (sales)
    "manager": Role.MANAGER,
    "other_manager": Role.MANAGER,
    "executive": Role.EXECUTIVE,
    "quality": Role.QUALITY,
    "admin": Role.ADMIN,
}
SEE_ALL = {"agent", "executive", "quality", "admin"}


def sees(who: str, complaint: Complaint) -> bool:
    """SPEC §1 scope rules, for the complaints this test builds."""
    if who in SEE_ALL or who == "customer_a":
        return True
    if who in ("handler", "manager"):
        return complaint.department_id is not None  # dispatched to logistics
    return False


Body = Callable[[World, Complaint, dict[str, Any]], Any]


@dataclass
class Op:
    action: str
    path: str
    state: State
    body: Body = lambda w, c, x: {}
    setup: Callable[[World, Complaint], dict[str, Any]] = lambda w, c: {}
    review: bool = False
    upload: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _task(w: World, c: Complaint) -> dict[str, Any]:
    return {"task_id": w.add_task(c).pk}


def _extension(w: World, c: Complaint) -> dict[str, Any]:
    return {"extension_id": w.request_extension(c).pk}


def _action(w: World, c: Complaint) -> dict[str, Any]:
    return {"action_id": w.approved_action(c).pk}


def _merge_target(w: World, c: Complaint) -> dict[str, Any]:
    # As visible as the complaint itself, so the lookup of `into` never decides the answer.
    return {"into": w.build(S.INVESTIGATING).number}


OPS = [
    Op("dispatch", "dispatch", S.RECEIVED, lambda w, c, x: {"department": "logistics"}),
    Op("accept", "accept", S.ASSIGNED),
    Op("request_info", "request-info", S.INVESTIGATING, lambda w, c, x: {"message": "请提供照片"}),
    Op("provide_info", "provide-info", S.AWAITING_CUSTOMER, lambda w, c, x: {"text": "已上传"}),
    Op(
        "propose_solution",
        "solution",
        S.INVESTIGATING,
        lambda w, c, x: {
            "summary": "致歉",
            "actions": [{"kind": "apology"}],
            "root_cause": "operation_error",
        },
    ),
    Op("approve_solution", "solution/approve", S.PENDING_APPROVAL),
    Op("refuse_solution", "solution/refuse", S.PENDING_APPROVAL, lambda w, c, x: {"reason": "高"}),
    Op("report_resolved", "resolve", S.RESOLVING, lambda w, c, x: {"summary": "已补发"}),
    Op("pass_review", "review/pass", S.PENDING_REVIEW, review=True),
    Op(
        "return_for_rework",
        "review/return",
        S.PENDING_REVIEW,
        lambda w, c, x: {"reason": "记录不全"},
        review=True,
    ),
    Op(
        "record_callback",
        "callbacks",
        S.PENDING_CALLBACK,
        lambda w, c, x: {
            "reached": True,
            "outcome_rating": 5,
            "process_rating": 5,
            "accepted": True,
        },
    ),
    Op(
        "rate",
        "rate",
        S.PENDING_CALLBACK,
        lambda w, c, x: {"outcome_rating": 4, "process_rating": 5, "accepted": True},
    ),
    Op("reopen", "reopen", S.CLOSED, lambda w, c, x: {"reason": "问题再次出现"}),
    Op("reject", "reject", S.ASSIGNED, lambda w, c, x: {"reason": "非本公司业务"}),
    Op("merge", "merge", S.INVESTIGATING, lambda w, c, x: {"into": x["into"]}, _merge_target),
    Op("acknowledge", "acknowledge", S.INVESTIGATING, lambda w, c, x: {"summary": "已告知"}),
    Op(
        "reassign",
        "reassign",
        S.INVESTIGATING,
        lambda w, c, x: {"handler": w.users["handler2"].pk},
    ),
    Op("change_level", "level", S.INVESTIGATING, lambda w, c, x: {"level": "A", "reason": "升级"}),
    Op("add_note", "notes", S.INVESTIGATING, lambda w, c, x: {"text": "内部备注"}),
    Op("add_info", "info", S.INVESTIGATING, lambda w, c, x: {"text": "补充说明"}),
    Op(
        "log_communication",
        "communications",
        S.INVESTIGATING,
        lambda w, c, x: {"channel": "phone", "direction": "out", "summary": "已致电"},
    ),
    Op("add_attachment", "attachments", S.INVESTIGATING, upload=True),
    Op(
        "set_root_cause",
        "root-cause",
        S.INVESTIGATING,
        lambda w, c, x: {"root_cause": "process_defect"},
    ),
    Op(
        "add_task",
        "tasks",
        S.INVESTIGATING,
        lambda w, c, x: {"department": "finance", "title": "核对付款"},
    ),
    Op(
        "complete_task",
        "tasks/{task_id}/complete",
        S.INVESTIGATING,
        lambda w, c, x: {"result": "已核对"},
        _task,
    ),
    Op("complete_action", "actions/{action_id}/complete", S.RESOLVING, setup=_action),
    Op(
        "record_meeting",
        "meetings",
        S.INVESTIGATING,
        lambda w, c, x: {
            "held_at": (NOW - timedelta(hours=1)).isoformat(),
            "participants": "物流、销售",
            "decision": "补发",
        },
    ),
    Op(
        "request_extension",
        "extensions",
        S.INVESTIGATING,
        lambda w, c, x: {"milestone": "solution", "hours": 8, "reason": "等物流"},
    ),
    Op(
        "decide_extension",
        "extensions/{extension_id}/decide",
        S.INVESTIGATING,
        lambda w, c, x: {"approve": True},
        _extension,
    ),
]


def test_the_matrix_covers_every_action():
    assert {op.action for op in OPS} == set(ACTIONS)
    for op in OPS:
        assert op.state in ACTIONS[op.action].sources, op.action


def expected_status(op: Op, who: str, complaint: Complaint) -> int | str:
    if ROLES[who] is None:
        return 401
    if not sees(who, complaint):
        return 404
    if ROLES[who] not in ACTIONS[op.action].roles:
        return 403
    # The policy narrows who records callbacks (b2b: customer service only).
    if op.action == "record_callback" and ROLES[who] not in complaint.policy.doc.callback.by_roles:
        return 403
    return "2xx"


def call(w: World, who: str, op: Op, c: Complaint, extra: dict[str, Any]):
    path = f"/complaints/{c.number}/" + op.path.format(**extra)
    caller = None if who == "anonymous" else who
    if op.upload:
        photo = SimpleUploadedFile("照片.png", PNG, content_type="image/png")
        return w.upload(caller, path, {"file": photo})
    return w.post(caller, path, op.body(w, c, extra))


def snapshot(c: Complaint) -> tuple[int, int, str]:
    row = Complaint.objects.get(pk=c.pk)
    return row.version, Event.objects.filter(complaint=c).count(), row.state


def prepared(w: World, op: Op) -> tuple[Complaint, dict[str, Any]]:
    c = w.build(op.state, review=op.review)
    extra = op.setup(w, c)
    c.refresh_from_db()
    return c, extra


@pytest.mark.parametrize("op", OPS, ids=[op.action for op in OPS])
def test_action_permissions(world, op):
    shared, shared_extra = prepared(world, op)
    for who in ROLES:
        expected = expected_status(op, who, shared)
        if expected == "2xx":
            c, extra = prepared(world, op)
            before = snapshot(c)
            r = call(world, who, op, c, extra)
            assert 200 <= r.status_code < 300, (op.action, who, r.status_code, r.json())
            after = snapshot(c)
            assert after[0] == before[0] + 1, (op.action, who)
            assert after[1] > before[1], (op.action, who)
        else:
            before = snapshot(shared)
            r = call(world, who, op, shared, shared_extra)
            assert r.status_code == expected, (op.action, who, r.status_code, r.json())
            assert r.json()["code"]
            assert snapshot(shared) == before, (op.action, who)


# --- reads and intake --------------------------------------------------------------------


@pytest.mark.parametrize("who", list(ROLES))
def test_read_permissions(world, who):
    c = world.build(S.INVESTIGATING)
    caller = None if who == "anonymous" else who
    visible = 200 if sees(who, c) else 404
    expect = {
        "/complaints": 200,
        f"/complaints/{c.number}": visible,
        f"/complaints/{c.number}/timeline": visible,
        "/policy": 200,
        "/me": 200,
    }
    for path, status in expect.items():
        status = 401 if caller is None else status
        r = world.get(caller, path)
        assert r.status_code == status, (who, path, r.json())


INTAKE_ROLES = {Role.AGENT, Role.CUSTOMER, Role.ADMIN}  # SPEC §1 / §8: who records


@pytest.mark.parametrize("who", list(ROLES))
def test_intake_permissions(world, who):
    before = Complaint.objects.count()
    body = {
        "customer_name": "刘芳" if who == "customer_b" else "陈建国",
        "customer_phone": "13962110002" if who == "customer_b" else "13816620001",
        "channel": "email",
        "category": "late_delivery",
        "description": "交货期延迟。",
    }
    r = world.post(None if who == "anonymous" else who, "/complaints", body)
    role = ROLES[who]
    if role is None:
        assert r.status_code == 401
    elif role in INTAKE_ROLES:
        assert r.status_code == 201, r.json()
        assert Complaint.objects.count() == before + 1
        return
    else:
        assert r.status_code == 403
    assert Complaint.objects.count() == before


# --- the right person in the wrong state ----------------------------------------------------


WRONG_STATE_ORDER = ("agent", "handler", "manager", "executive", "customer_a", "quality")


def rejected_case(w: World) -> tuple[Complaint, dict[str, Any]]:
    """Dispatched, with a task and an extension request, then rejected: a state no action
    starts from."""
    c = w.build(S.ASSIGNED)
    extra = {**_task(w, c), **_extension(w, c), "action_id": 1}
    transitions.complaint_reject(complaint=c, actor=w.users["agent"], reason="非本公司业务")
    extra["into"] = w.build(S.INVESTIGATING).number
    c.refresh_from_db()
    assert c.state == S.REJECTED
    return c, extra


def test_wrong_state_is_409_and_changes_nothing(world):
    c, extra = rejected_case(world)
    for op in OPS:
        act = ACTIONS[op.action]
        assert S.REJECTED not in act.sources
        who = next(w for w in WRONG_STATE_ORDER if ROLES[w] in act.roles)
        before = snapshot(c)
        r = call(world, who, op, c, extra)
        assert r.status_code == 409, (op.action, who, r.json())
        assert r.json()["code"] == "invalid_transition"
        assert snapshot(c) == before, op.action
