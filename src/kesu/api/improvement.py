"""Improvement actions (纠正与预防措施) and quality audits (SPEC §7): list, read, create, the
transitions of ``improvement.access.TRANSITIONS``, the effectiveness check; audits drawn,
scored and completed. Thin: one service call per operation, errors as everywhere in the API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from kesu.accounts.models import Department, User
from kesu.api.auth import user_of
from kesu.api.fields import Code, Day, Id, LongText, Moment, Str200, Whole
from kesu.api.outputs import ErrorOut
from kesu.complaints.access import complaint_for_user, visible_complaints
from kesu.complaints.errors import InvalidInput, NotFound
from kesu.improvement import access, audits, services
from kesu.improvement.models import (
    CHECKLIST_FIELDS,
    ActionEvent,
    Audit,
    AuditItem,
    ImprovementAction,
)
from kesu.improvement.selectors import ActionFilters, action_list, audit_list

router = Router(tags=["improvement"])

ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}
LIST_LIMIT = 200


class ActionEventOut(Schema):
    kind: str
    from_status: str
    to_status: str
    actor: str | None
    at: datetime
    data: dict[str, Any]


class EffectOut(Schema):
    check_after_days: int
    check_due_at: datetime | None
    before_from: datetime | None
    before_to: datetime | None
    before_count: int | None
    after_from: datetime | None
    after_to: datetime | None
    after_count: int | None
    complaints_fell: bool | None
    measured_at: datetime | None
    verdict_by: str | None
    verdict_at: datetime | None
    verdict_note: str


class ActionOut(Schema):
    id: int
    code: str
    title: str
    description: str
    finding: str
    kind: str
    status: str
    status_label: str
    source: str
    complaints: list[str]
    root_cause: str
    category: str
    scope_department: str | None
    report_month: date | None
    audit_item: int | None
    follow_up_of: int | None
    follow_ups: list[int]
    owner_id: int
    owner: str
    department: str | None
    due_at: datetime
    overdue: bool
    evidence: str
    done_at: datetime | None
    cancel_reason: str
    created_by: str
    created_at: datetime
    allowed: list[str]
    effect: EffectOut
    history: list[ActionEventOut]


class ActionIn(Schema):
    title: Str200
    description: LongText
    kind: Literal["corrective", "preventive"]
    source: Literal["complaint", "root_cause", "report", "audit"]
    owner: Id
    due_at: Moment
    complaints: list[Code] = Field(default=[], max_length=100)
    root_cause: Code = ""
    category: Code = ""
    department: Code | None = None
    report_month: Day | None = None
    audit_item: Id | None = None
    finding: LongText = ""
    check_after_days: Whole | None = Field(default=None, ge=1, le=366)


class ActionNoteIn(Schema):
    note: LongText = ""


class CompleteIn(Schema):
    evidence: LongText


class ConfirmIn(Schema):
    effective: bool
    note: LongText
    follow_up_due_at: Moment | None = None


class CancelIn(Schema):
    reason: LongText


ACTION_PARTS = (
    Prefetch("follow_ups", queryset=ImprovementAction.objects.order_by("pk").only("pk")),
    Prefetch("events", queryset=ActionEvent.objects.select_related("actor").order_by("at", "pk")),
)


def _visible_numbers(user: User, actions: list[ImprovementAction]) -> dict[int, list[str]]:
    """Each action's complaint numbers that ``user`` may open, oldest first: one query for
    all the actions of a page."""
    links = (
        ImprovementAction.complaints.through.objects.filter(
            improvementaction_id__in=[a.pk for a in actions],
            complaint__in=visible_complaints(user),
        )
        .order_by("complaint__received_at")
        .values_list("improvementaction_id", "complaint__number")
    )
    numbers: dict[int, list[str]] = {a.pk: [] for a in actions}
    for action_id, number in links:
        numbers[action_id].append(number)
    return numbers


def _actions(user: User, actions: list[ImprovementAction]) -> list[dict[str, Any]]:
    """A page of actions in a fixed number of queries."""
    prefetch_related_objects(actions, *ACTION_PARTS)
    numbers = _visible_numbers(user, actions)
    return [_action(user, a, numbers[a.pk]) for a in actions]


def _action(user: User, a: ImprovementAction, numbers: list[str] | None = None) -> dict[str, Any]:
    if numbers is None:
        numbers = _visible_numbers(user, [a])[a.pk]
    prefetch_related_objects([a], *ACTION_PARTS)  # done already for a list's actions
    return {
        "id": a.pk,
        "code": a.code,
        "title": a.title,
        "description": a.description,
        "finding": a.finding,
        "kind": a.kind,
        "status": a.status,
        "status_label": str(a.get_status_display()),
        "source": a.source,
        "complaints": numbers,
        "root_cause": a.root_cause,
        "category": a.category,
        "scope_department": a.scope_department.code if a.scope_department_id else None,
        "report_month": a.report_month,
        "audit_item": a.audit_item_id,
        "follow_up_of": a.follow_up_of_id,
        "follow_ups": [f.pk for f in a.follow_ups.all()],
        "owner_id": a.owner_id,
        "owner": str(a.owner),
        "department": a.department.code if a.department_id else None,
        "due_at": a.due_at,
        "overdue": a.is_overdue(timezone.now()),
        "evidence": a.evidence,
        "done_at": a.done_at,
        "cancel_reason": a.cancel_reason,
        "created_by": str(a.created_by),
        "created_at": a.created_at,
        "allowed": access.allowed_transitions(user, a),
        "effect": {
            "check_after_days": a.check_after_days,
            "check_due_at": a.check_due_at,
            "before_from": a.before_from,
            "before_to": a.before_to,
            "before_count": a.before_count,
            "after_from": a.after_from,
            "after_to": a.after_to,
            "after_count": a.after_count,
            "complaints_fell": a.complaints_fell,
            "measured_at": a.measured_at,
            "verdict_by": str(a.verdict_by) if a.verdict_by_id else None,
            "verdict_at": a.verdict_at,
            "verdict_note": a.verdict_note,
        },
        "history": [
            {
                "kind": e.kind,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "actor": str(e.actor) if e.actor_id else None,
                "at": e.at,
                "data": e.data,
            }
            for e in a.events.all()
        ],
    }


def _department(code: str | None) -> Department | None:
    if not code:
        return None
    dept = Department.objects.filter(code=code).first()
    if dept is None:
        raise InvalidInput(errors={"department": _("Unknown department.")})
    return dept


@router.get(
    "/improvement/actions",
    response={200: list[ActionOut], 401: ErrorOut, 422: ErrorOut},
    operation_id="improvement_action_list",
)
def list_actions(
    request: HttpRequest,
    status: Code = "",
    owner: Id | None = None,
    department: Code = "",
    overdue: bool = False,
    mine: bool = False,
) -> list[dict[str, Any]]:
    """Actions the caller may see, the nearest due first (at most 200)."""
    user = user_of(request)
    dept = Department.objects.filter(code=department).first() if department else None
    filters = ActionFilters(
        status=status,
        owner=owner,
        # An unknown department code matches nothing (id -1), rather than everything.
        department=dept.pk if dept else (-1 if department else None),
        overdue=overdue,
        mine=mine,
    )
    qs = action_list(user, filters, now=timezone.now()).select_related(
        "created_by", "scope_department", "verdict_by"
    )
    return _actions(user, list(qs[:LIST_LIMIT]))


@router.post(
    "/improvement/actions",
    response={201: ActionOut, **ERRORS},
    operation_id="improvement_action_create",
)
def create_action(request: HttpRequest, body: ActionIn) -> Status:
    """Open an action from a complaint, a root cause, a report finding or an audit finding."""
    user = user_of(request)
    complaints = [complaint_for_user(user, number=n) for n in dict.fromkeys(body.complaints)]
    item = None
    if body.audit_item is not None:
        item = AuditItem.objects.filter(pk=body.audit_item).first()
        if item is None:
            raise NotFound()
        access.audit_for_user(user, item.audit_id)
    action = services.action_create(
        actor=user,
        title=body.title,
        description=body.description,
        finding=body.finding,
        kind=body.kind,
        source=body.source,
        owner=User.objects.filter(pk=body.owner).first(),
        due_at=body.due_at,
        complaints=complaints,
        root_cause=body.root_cause,
        category=body.category,
        department=_department(body.department),
        report_month=body.report_month,
        audit_item=item,
        check_after_days=body.check_after_days,
    )
    return Status(201, _action(user, action))


@router.get(
    "/improvement/actions/{action_id}",
    response={200: ActionOut, **ERRORS},
    operation_id="improvement_action_detail",
)
def get_action(request: HttpRequest, action_id: Id) -> dict[str, Any]:
    user = user_of(request)
    return _action(user, access.action_for_user(user, action_id))


@router.post(
    "/improvement/actions/{action_id}/start",
    response={200: ActionOut, **ERRORS},
    operation_id="improvement_action_start",
)
def start_action(request: HttpRequest, action_id: Id, body: ActionNoteIn) -> dict[str, Any]:
    user = user_of(request)
    action = access.action_for_user(user, action_id)
    services.action_start(action=action, actor=user, note=body.note)
    return _action(user, action)


@router.post(
    "/improvement/actions/{action_id}/complete",
    response={200: ActionOut, **ERRORS},
    operation_id="improvement_action_complete",
)
def complete_action(request: HttpRequest, action_id: Id, body: CompleteIn) -> dict[str, Any]:
    """Report the action done with evidence (text; files are attached in the console)."""
    user = user_of(request)
    action = access.action_for_user(user, action_id)
    services.action_complete(action=action, actor=user, evidence=body.evidence)
    return _action(user, action)


@router.post(
    "/improvement/actions/{action_id}/effect",
    response={200: ActionOut, **ERRORS},
    operation_id="improvement_action_measure",
)
def measure_action(request: HttpRequest, action_id: Id) -> dict[str, Any]:
    """Count the complaints in scope before and after (quality; once the check is due)."""
    user = user_of(request)
    action = access.action_for_user(user, action_id)
    services.action_measure(action=action, actor=user)
    return _action(user, action)


@router.post(
    "/improvement/actions/{action_id}/verdict",
    response={200: ActionOut, **ERRORS},
    operation_id="improvement_action_confirm",
)
def confirm_action(request: HttpRequest, action_id: Id, body: ConfirmIn) -> dict[str, Any]:
    """Effective, or not effective (a follow-up action opens: see ``follow_ups``)."""
    user = user_of(request)
    action = access.action_for_user(user, action_id)
    services.action_confirm(
        action=action,
        actor=user,
        effective=body.effective,
        note=body.note,
        follow_up_due_at=body.follow_up_due_at,
    )
    return _action(user, action)


@router.post(
    "/improvement/actions/{action_id}/cancel",
    response={200: ActionOut, **ERRORS},
    operation_id="improvement_action_cancel",
)
def cancel_action(request: HttpRequest, action_id: Id, body: CancelIn) -> dict[str, Any]:
    user = user_of(request)
    action = access.action_for_user(user, action_id)
    services.action_cancel(action=action, actor=user, reason=body.reason)
    return _action(user, action)


# ---- audits ---------------------------------------------------------------------------------


class AuditItemOut(Schema):
    id: int
    complaint: str
    points: dict[str, bool | None]
    notes: dict[str, str]
    finding: str
    score: int | None
    scored_by: str | None
    scored_at: datetime | None
    actions: list[int]


class AuditOut(Schema):
    id: int
    code: str
    department: str
    month: date
    status: str
    requested_size: int | None
    requested_percent: int | None
    sample_size: int
    seed: int
    candidates: int
    note: str
    created_by: str
    created_at: datetime
    completed_at: datetime | None
    items: list[AuditItemOut]


class DrawIn(Schema):
    department: Code
    month: Day
    size: Whole | None = Field(default=None, ge=1, le=audits.MAX_SAMPLE)
    percent: Whole | None = Field(default=None, ge=1, le=100)
    seed: Whole | None = Field(default=None, ge=0, le=2**62 - 1)
    note: LongText = ""


class ScoreIn(Schema):
    timely: bool
    process_followed: bool
    solution_reasonable: bool
    customer_satisfied: bool
    records_complete: bool
    notes: dict[Code, LongText] = {}
    finding: LongText = ""


class CompleteAuditIn(Schema):
    note: LongText = ""


AUDIT_ITEMS = Prefetch(
    "items",
    queryset=AuditItem.objects.select_related("complaint", "scored_by")
    .prefetch_related("actions")
    .order_by("pk"),
)


def _audit(a: Audit) -> dict[str, Any]:
    prefetch_related_objects([a], AUDIT_ITEMS)  # done already for a list's audits
    return {
        "id": a.pk,
        "code": a.code,
        "department": a.department.code,
        "month": a.month,
        "status": a.status,
        "requested_size": a.requested_size,
        "requested_percent": a.requested_percent,
        "sample_size": a.sample_size,
        "seed": a.seed,
        "candidates": len(a.candidate_ids),
        "note": a.note,
        "created_by": str(a.created_by),
        "created_at": a.created_at,
        "completed_at": a.completed_at,
        "items": [
            {
                "id": i.pk,
                "complaint": i.complaint.number,
                "points": {name: getattr(i, name) for name in CHECKLIST_FIELDS},
                "notes": i.notes,
                "finding": i.finding,
                "score": i.score,
                "scored_by": str(i.scored_by) if i.scored_by_id else None,
                "scored_at": i.scored_at,
                "actions": [x.pk for x in i.actions.all()],
            }
            for i in a.items.all()
        ],
    }


@router.get(
    "/improvement/audits",
    response={200: list[AuditOut], 401: ErrorOut, 422: ErrorOut},
    operation_id="audit_list",
)
def list_audits(
    request: HttpRequest, month: Day | None = None, department: Code = ""
) -> list[dict[str, Any]]:
    """Audits the caller may see (quality, admins and executives all; managers their
    department's), newest month first (at most 200)."""
    user = user_of(request)
    dept = Department.objects.filter(code=department).first() if department else None
    qs = audit_list(
        user,
        month=month.replace(day=1).isoformat() if month else "",
        # An unknown department code matches nothing (id -1), rather than everything.
        department=dept.pk if dept else (-1 if department else None),
    )
    page = list(qs[:LIST_LIMIT])
    prefetch_related_objects(page, AUDIT_ITEMS)
    return [_audit(a) for a in page]


@router.post(
    "/improvement/audits",
    response={201: AuditOut, **ERRORS},
    operation_id="audit_draw",
)
def draw_audit(request: HttpRequest, body: DrawIn) -> Status:
    """Draw a random sample of the department's complaints closed in the month (``size``
    complaints or ``percent`` %), leaving out those audited before; the seed is stored."""
    user = user_of(request)
    audit = audits.audit_draw(
        actor=user,
        department=_department(body.department),
        month=body.month,
        size=body.size,
        percent=body.percent,
        seed=body.seed,
        note=body.note,
    )
    return Status(201, _audit(audit))


@router.get(
    "/improvement/audits/{audit_id}",
    response={200: AuditOut, **ERRORS},
    operation_id="audit_detail",
)
def get_audit(request: HttpRequest, audit_id: Id) -> dict[str, Any]:
    return _audit(access.audit_for_user(user_of(request), audit_id))


@router.post(
    "/improvement/audits/{audit_id}/items/{item_id}/score",
    response={200: AuditOut, **ERRORS},
    operation_id="audit_score_item",
)
def score_item(request: HttpRequest, audit_id: Id, item_id: Id, body: ScoreIn) -> dict[str, Any]:
    user = user_of(request)
    audit = access.audit_for_user(user, audit_id)
    item = audit.items.filter(pk=item_id).first()
    if item is None:
        raise NotFound()
    audits.audit_score_item(
        item=item,
        actor=user,
        points={name: getattr(body, name) for name in CHECKLIST_FIELDS},
        notes=body.notes,
        finding=body.finding,
    )
    return _audit(audit)


@router.post(
    "/improvement/audits/{audit_id}/complete",
    response={200: AuditOut, **ERRORS},
    operation_id="audit_complete",
)
def complete_audit(request: HttpRequest, audit_id: Id, body: CompleteAuditIn) -> dict[str, Any]:
    user = user_of(request)
    audit = access.audit_for_user(user, audit_id)
    audits.audit_complete(audit=audit, actor=user, note=body.note)
    return _audit(audit)
