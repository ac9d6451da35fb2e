"""Who is told what about a complaint (SPEC §8). Messages are outbox rows written in the
caller's transaction; the worker delivers them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from kesu.accounts.models import Role, User
from kesu.complaints.models import Complaint
from kesu.policy.schema import Named

if TYPE_CHECKING:
    from kesu.outbox.models import OutboxMessage


class Directory:
    """Staff look-ups for recipients, remembered for the life of one instance: a sweep batch
    over hundreds of complaints asks once per department and role instead of per complaint.
    Without one, every call reads afresh."""

    def __init__(self) -> None:
        self._memo: dict[tuple[str, object], list[User]] = {}

    def _users(self, key: tuple[str, object], **filters: object) -> list[User]:
        if key not in self._memo:
            self._memo[key] = list(User.objects.filter(is_active=True, **filters).order_by("pk"))
        return self._memo[key]

    def managers(self, department_id: int) -> list[User]:
        return self._users(
            ("managers", department_id), role=Role.MANAGER, department_id=department_id
        )

    def with_role(self, role: str) -> list[User]:
        return self._users(("role", role), role=role)

    def customer_service_managers(self) -> list[User]:
        return self._users(
            ("cs-managers", None), role=Role.MANAGER, department__is_customer_service=True
        )


def managers_of(complaint: Complaint, directory: Directory | None = None) -> list[User]:
    if complaint.department_id is None:
        return []
    return (directory or Directory()).managers(complaint.department_id)


def users_with_role(role: str, directory: Directory | None = None) -> list[User]:
    return (directory or Directory()).with_role(role)


def owners_of(complaint: Complaint, directory: Directory | None = None) -> list[User]:
    """The person who must act now: the handler, else the department's managers, else the
    customer-service agent who received it."""
    if complaint.handler_id:
        return [complaint.handler]
    managers = managers_of(complaint, directory)
    if managers:
        return managers
    if complaint.received_by_id:
        return [complaint.received_by]
    return users_with_role(Role.AGENT, directory)


# Deadlines customer service keeps (seed 001: 客户服务部 acknowledges, grades and dispatches,
# and calls back): their warnings go to the first responder, their breaches to the
# customer-service managers, whatever department handles the case.
CUSTOMER_SERVICE_MILESTONES = frozenset({"ack", "dispatch", "callback"})


def customer_service_managers(directory: Directory | None = None) -> list[User]:
    return (directory or Directory()).customer_service_managers()


def deadline_owners(
    complaint: Complaint, kind: str, directory: Directory | None = None
) -> list[User]:
    """Who is warned that milestone ``kind`` is near its end: whoever must act for it."""
    if kind not in CUSTOMER_SERVICE_MILESTONES:
        return owners_of(complaint, directory)
    received = complaint.received_by if complaint.received_by_id else None
    if received is not None and received.is_active and received.role == Role.AGENT:
        owners = [received]
    else:
        owners = list(users_with_role(Role.AGENT, directory))
    # Where the department may make the callback itself (seed 004), its handler is told too.
    if kind == "callback" and complaint.handler_id:
        by_roles = complaint.policy.doc.callback.by_roles
        if complaint.handler.role in by_roles and complaint.handler not in owners:
            owners.append(complaint.handler)
    return owners


def deadline_managers(
    complaint: Complaint, kind: str, directory: Directory | None = None
) -> list[User]:
    """The managers told when milestone ``kind`` is breached (SPEC §4: the owner's manager)."""
    if kind in CUSTOMER_SERVICE_MILESTONES:
        managers = customer_service_managers(directory)
        if managers or complaint.department_id is None:
            return managers
    if complaint.department_id:
        return managers_of(complaint, directory)
    return customer_service_managers(directory)


def portal_link(complaint: Complaint) -> str:
    base = settings.KESU_BASE_URL.rstrip("/")
    return f"{base}/portal/c/{complaint.portal_token}/"


def console_link(complaint: Complaint) -> str:
    from django.urls import reverse

    base = settings.KESU_BASE_URL.rstrip("/")
    return base + reverse("console:complaint", args=[complaint.number])


NO_DEPARTMENT = gettext_lazy("not dispatched yet")
NO_HANDLER = gettext_lazy("not named yet")


def _in_both(text: Promise) -> tuple[str, str]:
    with translation.override("zh-hans"):
        chinese = str(text)
    with translation.override("en"):
        return chinese, str(text)


def _words(named: Named | None, code: str) -> tuple[str, str]:
    if named is None:
        return code, code
    return named.name, named.name_en or named.name


def _names(complaint: Complaint) -> tuple[dict[str, str], dict[str, str]]:
    """Level, category, department and handler as words, in Chinese and in English."""
    policy = complaint.policy.doc
    level = next((lv for lv in policy.levels if lv.code == complaint.level), None)
    pairs = {
        "level": _words(level, complaint.level),
        "category": _words(policy.category(complaint.category), complaint.category),
        # Empty places would read "（一般，，处理人 ）": say what is missing instead.
        "department": _in_both(NO_DEPARTMENT),
        "handler": _in_both(NO_HANDLER),
    }
    if complaint.department_id:
        dept = complaint.department
        pairs["department"] = (dept.name, dept.name_en or dept.name)
    if complaint.handler_id:
        pairs["handler"] = (str(complaint.handler),) * 2
    return {k: zh for k, (zh, _) in pairs.items()}, {k: en for k, (_, en) in pairs.items()}


def base_context(complaint: Complaint) -> dict[str, Any]:
    due = complaint.next_due_at
    ends = complaint.portal_link_expires_at
    zh, en = _names(complaint)
    return {
        "number": complaint.number,
        "customer": complaint.customer.name,
        "title": complaint.title,
        **zh,
        "level_code": complaint.level,
        "category_code": complaint.category,
        "link": portal_link(complaint),
        # The day the private link stops working (services.portal_links), once finished.
        "link_until": timezone.localtime(ends).strftime("%Y-%m-%d") if ends else "",
        "deadline": timezone.localtime(due).strftime("%Y-%m-%d %H:%M") if due else "",
        # Read by the renderer for English recipients (outbox.rendering).
        "_en": en,
    }


def messages_about(
    complaint: Complaint,
    event: str,
    *,
    users: Iterable[User] = (),
    customer: bool = False,
    context: dict[str, Any],
    dedupe_key: str | None = None,
) -> list[OutboxMessage]:
    """The outbox rows ``notify_about`` would queue, not yet written (for bulk callers)."""
    from kesu.outbox.services import plan_messages

    rules = complaint.policy.doc.notifications
    to_customer = customer and event in rules.customer_events
    person = complaint.customer
    merged = {**base_context(complaint), **{k: str(v) for k, v in context.items()}}
    return plan_messages(
        event=event,
        complaint_id=complaint.pk,
        context=merged,
        users=[u for u in users if u is not None],
        staff_context={"link": console_link(complaint)},
        customer_email=person.email if to_customer and "email" in rules.customer_channels else "",
        customer_phone=person.phone if to_customer and "sms" in rules.customer_channels else "",
        language=person.language,
        dedupe_key=dedupe_key,
        max_attempts=rules.max_attempts,
        staff_email=rules.staff_email,
    )


def notify_about(
    complaint: Complaint,
    event: str,
    *,
    users: Iterable[User] = (),
    customer: bool = False,
    context: dict[str, Any],
    dedupe_key: str | None = None,
) -> None:
    """Queue ``event`` for staff ``users`` and, if ``customer``, for the complaint's customer,
    as far as the policy's ``notifications`` section lets it (SPEC §8)."""
    from kesu.outbox.services import insert_messages

    insert_messages(
        messages_about(
            complaint,
            event,
            users=users,
            customer=customer,
            context=context,
            dedupe_key=dedupe_key,
        )
    )


def tell_executive_of_top_level(complaint: Complaint, *, previous_level: str | None) -> None:
    """A complaint graded at one of the policy's executive levels is reported to the executive
    at once (seed 001 A级: 销售部最高领导介入), not only when a deadline is breached."""
    levels = complaint.policy.doc.escalation.executive_levels
    if complaint.level not in levels or previous_level in levels:
        return
    notify_about(
        complaint,
        "complaint.top_level",
        users=users_with_role(Role.EXECUTIVE),
        context={},
        dedupe_key=f"top-level-{complaint.pk}-{complaint.round_no}",
    )
