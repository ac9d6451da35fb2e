"""Who is told what about a complaint (SPEC §8). Messages are outbox rows written in the
caller's transaction; the worker delivers them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils import timezone

from kesu.accounts.models import Role, User
from kesu.complaints.models import Complaint


def managers_of(complaint: Complaint) -> list[User]:
    if complaint.department_id is None:
        return []
    return list(
        User.objects.filter(
            role=Role.MANAGER, department_id=complaint.department_id, is_active=True
        )
    )


def users_with_role(role: str) -> list[User]:
    return list(User.objects.filter(role=role, is_active=True))


def owners_of(complaint: Complaint) -> list[User]:
    """The person who must act now: the handler, else the department's managers, else the
    customer-service agent who received it."""
    if complaint.handler_id:
        return [complaint.handler]
    managers = managers_of(complaint)
    if managers:
        return managers
    return [complaint.received_by] if complaint.received_by_id else users_with_role(Role.AGENT)


def portal_link(complaint: Complaint) -> str:
    base = settings.KESU_BASE_URL.rstrip("/")
    return f"{base}/portal/c/{complaint.portal_token}"


def base_context(complaint: Complaint) -> dict[str, Any]:
    due = complaint.next_due_at
    return {
        "number": complaint.number,
        "customer": complaint.customer.name,
        "title": complaint.title,
        "level": complaint.level,
        "category": complaint.category,
        "link": portal_link(complaint),
        "deadline": timezone.localtime(due).strftime("%Y-%m-%d %H:%M") if due else "",
        "department": complaint.department.name if complaint.department_id else "",
        "handler": str(complaint.handler) if complaint.handler_id else "",
    }


def notify_about(
    complaint: Complaint,
    event: str,
    *,
    users: Iterable[User] = (),
    customer: bool = False,
    context: dict[str, Any],
    dedupe_key: str | None = None,
) -> None:
    from kesu.outbox.services import notify

    merged = {**base_context(complaint), **{k: str(v) for k, v in context.items()}}
    notify(
        event=event,
        complaint_id=complaint.pk,
        context=merged,
        users=[u for u in users if u is not None],
        customer_email=complaint.customer.email if customer else "",
        customer_phone=complaint.customer.phone if customer else "",
        dedupe_key=dedupe_key,
    )
