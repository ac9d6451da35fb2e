"""Who may see and do what with improvement actions and audits: the one place for these rules.

Actions (SPEC §1: quality owns CAPA):
- create: quality, executives, department managers (the customer-service manager included),
  admins;
- update (start, complete with evidence): the owner, a manager of the owner's or the action's
  department, quality, admins;
- check the effect and give the verdict: quality, admins;
- cancel: quality, admins, and whoever created the action;
- see: everyone who sees every complaint (agents, executives, quality, admins, the
  customer-service managers); other staff the actions of their department and those they own
  or created.

Audits (seed 003 §八 质量管理部门监督检查): quality and admins draw, score and complete them;
executives see them all, department managers those of their department.

An action or audit one may not see is "not found", like a complaint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kesu.accounts.models import STAFF_ROLES, Role, User
from kesu.complaints.errors import InvalidTransition, NotFound, PermissionDenied
from kesu.improvement.models import ActionStatus, Audit, ImprovementAction

CREATE_ROLES = frozenset({Role.QUALITY, Role.EXECUTIVE, Role.MANAGER, Role.ADMIN})
CHECK_ROLES = frozenset({Role.QUALITY, Role.ADMIN})
AUDIT_ROLES = frozenset({Role.QUALITY, Role.ADMIN})

# Who may do a transition: "updater" (owner, their manager, quality, admin), "checker"
# (quality, admin) or "canceller" (checker or the creator).
Who = str


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    targets: tuple[str, ...]
    who: Who


_OPEN = frozenset({ActionStatus.OPEN.value})
_LIVE = frozenset({ActionStatus.OPEN.value, ActionStatus.IN_PROGRESS.value})
_DONE = frozenset({ActionStatus.DONE.value})

# The declared table: services enforce it, pages and the API build their buttons from it.
TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("start", _OPEN, (ActionStatus.IN_PROGRESS,), "updater"),
        Transition("complete", _LIVE, (ActionStatus.DONE,), "updater"),
        # Counts the complaints before and after again; the status stays "done".
        Transition("measure", _DONE, (ActionStatus.DONE,), "checker"),
        # Not effective: this action is closed as such and a follow-up action opens.
        Transition(
            "confirm", _DONE, (ActionStatus.EFFECTIVE, ActionStatus.NOT_EFFECTIVE), "checker"
        ),
        Transition("cancel", _LIVE, (ActionStatus.CANCELLED,), "canceller"),
    )
}


def _active_staff(user: Any) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and getattr(user, "role", None) in STAFF_ROLES
    )


def may_create(user: Any) -> bool:
    return _active_staff(user) and user.role in CREATE_ROLES


def require_create(user: Any) -> None:
    if not may_create(user):
        raise PermissionDenied()


def visible_actions(user: Any) -> QuerySet[ImprovementAction]:
    qs = ImprovementAction.objects.all()
    if not _active_staff(user):
        return qs.none()
    if user.sees_everything:
        return qs
    mine = Q(owner=user) | Q(created_by=user)
    if user.department_id:
        mine |= Q(department=user.department_id) | Q(owner__department=user.department_id)
    return qs.filter(mine)


def action_for_user(user: Any, pk: Any) -> ImprovementAction:
    try:
        action = visible_actions(user).filter(pk=int(pk)).first()
    except (TypeError, ValueError, OverflowError):
        action = None
    if action is None:
        raise NotFound(_not_found_action())
    return action


def _not_found_action() -> str:
    return _("No such improvement action, or you may not see it.")


def _manages(user: User, action: ImprovementAction) -> bool:
    if user.role != Role.MANAGER or not user.department_id:
        return False
    return user.department_id in {action.department_id, action.owner.department_id}


def may(user: Any, who: Who, action: ImprovementAction) -> bool:
    if not _active_staff(user):
        return False
    if user.role in CHECK_ROLES:
        return True
    if who == "updater":
        return action.owner_id == user.pk or _manages(user, action)
    if who == "canceller":
        return action.created_by_id == user.pk
    return False


def require_transition(user: Any, name: str, action: ImprovementAction) -> Transition:
    """Raise unless ``user`` may do ``name`` to ``action`` in its current status."""
    step = TRANSITIONS[name]
    if not visible_actions(user).filter(pk=action.pk).exists():
        raise NotFound(_not_found_action())
    if not may(user, step.who, action):
        raise PermissionDenied()
    if action.status not in step.sources:
        raise InvalidTransition(
            _invalid_status(), action=name, status=action.status, allowed_from=sorted(step.sources)
        )
    return step


def _invalid_status() -> str:
    return _("This is not possible in the improvement action's current status.")


def allowed_transitions(user: Any, action: ImprovementAction) -> list[str]:
    """What this user may do to the action now: the forms a page shows."""
    return [
        name
        for name, step in TRANSITIONS.items()
        if action.status in step.sources and may(user, step.who, action)
    ]


# ---- audits ---------------------------------------------------------------------------------


def may_audit(user: Any) -> bool:
    return _active_staff(user) and user.role in AUDIT_ROLES


def require_audit(user: Any) -> None:
    if not may_audit(user):
        raise PermissionDenied()


def may_see_audits(user: Any) -> bool:
    return _active_staff(user) and (
        user.role in (*AUDIT_ROLES, Role.EXECUTIVE) or user.role == Role.MANAGER
    )


def visible_audits(user: Any) -> QuerySet[Audit]:
    qs = Audit.objects.all()
    if not _active_staff(user):
        return qs.none()
    if user.role in (*AUDIT_ROLES, Role.EXECUTIVE):
        return qs
    if user.role == Role.MANAGER and user.department_id:
        return qs.filter(department=user.department_id)
    return qs.none()


def audit_departments(user: Any) -> list[int] | None:
    """The departments whose audit results ``user`` reads (None: all)."""
    if _active_staff(user) and user.role in (*AUDIT_ROLES, Role.EXECUTIVE):
        return None
    if may_see_audits(user) and user.department_id:
        return [user.department_id]
    return []


def audit_for_user(user: Any, pk: Any) -> Audit:
    try:
        audit = visible_audits(user).filter(pk=int(pk)).first()
    except (TypeError, ValueError, OverflowError):
        audit = None
    if audit is None:
        raise NotFound(_("No such audit, or you may not see it."))
    return audit
