"""Who is told of what about improvement actions: outbox rows in the caller's transaction,
in each recipient's language, linked to the action's console page (not to a complaint)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from kesu.accounts.models import User
from kesu.improvement.config import notifications

if TYPE_CHECKING:
    from kesu.improvement.models import ImprovementAction


def users_with_role(role: str) -> list[User]:
    return list(User.objects.filter(role=role, is_active=True))


def action_link(action: ImprovementAction) -> str:
    base = settings.KESU_BASE_URL.rstrip("/")
    return base + reverse("console:improvement_action", args=[action.pk])


def context(action: ImprovementAction) -> dict[str, object]:
    dept = action.department
    due = timezone.localtime(action.due_at).strftime("%Y-%m-%d %H:%M")
    check = action.check_due_at
    return {
        "action": action.code,
        "title": action.title,
        "owner": str(action.owner),
        "department": dept.name if dept else "—",
        "deadline": due,
        "check_due": timezone.localtime(check).strftime("%Y-%m-%d %H:%M") if check else "",
        "before": "" if action.before_count is None else action.before_count,
        "after": "" if action.after_count is None else action.after_count,
        "link": action_link(action),
        # Read by the renderer for English recipients (outbox.rendering).
        "_en": {"department": (dept.name_en or dept.name) if dept else "—"},
    }


def tell(event: str, action: ImprovementAction, users: Iterable[User], *, dedupe_key: str) -> None:
    """Queue ``event`` about ``action`` for ``users``; the same ``dedupe_key`` never twice."""
    from kesu.outbox.services import notify

    rules = notifications()
    notify(
        event=event,
        complaint_id=None,
        context=context(action),
        users=list(users),
        dedupe_key=dedupe_key,
        max_attempts=rules.max_attempts,
        staff_email=rules.staff_email,
    )
