"""Reads shared by the console and the API: filtered action lists, an action's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from kesu.accounts.models import User
from kesu.improvement.access import visible_actions, visible_audits
from kesu.improvement.models import ActionStatus, Audit, ImprovementAction


@dataclass(frozen=True)
class ActionFilters:
    status: str = ""
    owner: int | None = None
    department: int | None = None
    overdue: bool = False
    mine: bool = False


def action_list(
    user: User, filters: ActionFilters, *, now: datetime
) -> QuerySet[ImprovementAction]:
    """The actions ``user`` may see, filtered, the nearest due first (closed ones last)."""
    qs = visible_actions(user).select_related("owner", "department")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.owner:
        qs = qs.filter(owner=filters.owner)
    if filters.department:
        qs = qs.filter(Q(department=filters.department) | Q(owner__department=filters.department))
    if filters.overdue:
        qs = qs.filter(status__in=ActionStatus.live(), due_at__lte=now)
    if filters.mine:
        qs = qs.filter(owner=user)
    return qs.order_by("done_at", "due_at", "pk")


def audit_list(user: User, *, month: str = "", department: int | None = None) -> QuerySet[Audit]:
    qs = visible_audits(user).select_related("department", "created_by")
    if month:
        qs = qs.filter(month=month)
    if department:
        qs = qs.filter(department=department)
    return qs.order_by("-month", "department__code", "-pk")
