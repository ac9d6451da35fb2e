"""Who may see and do what: the one place for permission rules (SPEC §1).

Every service calls :func:`require_action`; every read goes through :func:`visible_complaints`
or :func:`complaint_for_user`. A complaint a user may not see is reported as not found, so
numbers and ids cannot be probed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.accounts.models import Role, User
from kesu.complaints.errors import InvalidTransition, LinkExpired, NotFound, PermissionDenied
from kesu.complaints.lifecycle import ACTIONS, CROSS_DEPARTMENT, Action
from kesu.complaints.models import Complaint, Event, Solution, Task

DEPARTMENT_ROLES = frozenset({Role.HANDLER, Role.MANAGER})
PORTAL_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{16,64}$")

# Event data a customer may read (portal, API, their data export); anything else (grading,
# internal notes, staff ids) is not.
CUSTOMER_EVENT_KEYS = frozenset(
    {
        "channel",
        "into",
        "merged_from",
        "message",
        "name",
        "reason",
        "recourse",
        "received_at",
        "reopened",
        "round",
        "size",
        "summary",
        "text",
    }
)


@dataclass(frozen=True, eq=False)
class PortalCustomer:
    """The customer of one complaint, proven by the complaint's private portal link
    (``Complaint.portal_token``), with or without a portal account.

    It acts as a customer on that complaint only: every rule below treats it like the
    complaint's own customer and refuses it everywhere else. What it does is recorded as done
    by the customer's portal login when there is one, else by nobody (like an anonymous
    submission)."""

    complaint_id: int
    user: User | None = None

    role: ClassVar[str] = Role.CUSTOMER
    pk: ClassVar[None] = None
    is_authenticated: ClassVar[bool] = True
    is_active: ClassVar[bool] = True

    def __str__(self) -> str:
        return str(Role.CUSTOMER.label)

    @classmethod
    def of(cls, complaint: Complaint) -> PortalCustomer:
        """The customer of ``complaint`` (``customer`` selected), as the holder of its link."""
        login = complaint.customer.user
        if login is not None and login.role != Role.CUSTOMER:
            login = None
        return cls(complaint_id=complaint.pk, user=login)


# Who may act on a complaint: a signed-in user, or the customer holding its portal link.
Actor = User | PortalCustomer


def complaint_for_token(
    token: str, *, user: Any = None, now: datetime | None = None
) -> tuple[Complaint, PortalCustomer]:
    """The complaint behind a private portal link, and its customer as the actor. A wrong
    token (or one replaced by a new link) is "not found", like a complaint one may not see.

    A link past its end (``portal_link_expires_at``) is ``LinkExpired``, except for the
    complaint's own customer signed in to their portal account (``user``): the session proves
    who they are, so the links of "my complaints" keep working for them."""
    if not isinstance(token, str) or not PORTAL_TOKEN.match(token):
        raise NotFound()
    complaint = (
        Complaint.objects.select_related("customer__user", "policy")
        .filter(portal_token=token)
        .first()
    )
    if complaint is None:
        raise NotFound()
    ends = complaint.portal_link_expires_at
    if (
        ends is not None
        and (now or timezone.now()) > ends
        and not _signed_in_owner(user, complaint)
    ):
        raise LinkExpired(number=complaint.number)
    return complaint, PortalCustomer.of(complaint)


def _signed_in_owner(user: Any, complaint: Complaint) -> bool:
    return (
        isinstance(user, User)
        and user.is_authenticated
        and user.is_active
        and user.role == Role.CUSTOMER
        and complaint.customer.user_id == user.pk
    )


def recorded_user(actor: Any) -> User | None:
    """The user written into the record (events, communications, uploads) for ``actor``."""
    if isinstance(actor, PortalCustomer):
        return actor.user
    return actor


def _touched_filter(user: User) -> Q:
    """Complaints a department member personally touched, whatever their department."""
    acted = Event.objects.filter(complaint=OuterRef("pk"), actor=user)
    q = Q(handler=user) | Q(received_by=user) | Exists(acted)
    if user.department_id:
        dept_tasks = Task.objects.filter(complaint=OuterRef("pk"), department=user.department_id)
        q |= Exists(dept_tasks)
    return q


def visible_complaints(user: Actor | None) -> QuerySet[Complaint]:
    qs = Complaint.objects.all()
    if isinstance(user, PortalCustomer):
        return qs.filter(pk=user.complaint_id)
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.role == Role.CUSTOMER:
        return qs.filter(customer__user=user)
    if user.sees_everything:
        return qs
    if user.role in DEPARTMENT_ROLES:
        if user.department_id is None:
            return qs.filter(_touched_filter(user))
        return qs.filter(Q(department=user.department_id) | _touched_filter(user))
    if user.sees_everything:
        return qs
    return qs.none()


def can_see(user: Actor | None, complaint: Complaint) -> bool:
    if isinstance(user, PortalCustomer):
        return complaint.pk == user.complaint_id
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.role == Role.CUSTOMER:
        return complaint.customer.user_id == user.pk
    if user.sees_everything:
        return True
    if user.role in DEPARTMENT_ROLES:
        if user.department_id and complaint.department_id == user.department_id:
            return True
        return visible_complaints(user).filter(pk=complaint.pk).exists()
    return user.sees_everything


def complaint_for_user(user: Actor | None, *, pk: int | None = None, number: str | None = None):
    if number is not None and "\x00" in number:
        raise NotFound()  # PostgreSQL refuses NUL in text: never a 500
    lookup = {"pk": pk} if pk is not None else {"number": number}
    try:
        return visible_complaints(user).select_related("customer", "policy").get(**lookup)
    except (Complaint.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def _role_may(user: Actor, act: Action, complaint: Complaint) -> bool:
    if not act.allows_role(user.role):
        return False
    if act.name == "record_callback" and user.role not in complaint.policy.doc.callback.by_roles:
        return False
    if user.role in DEPARTMENT_ROLES and act.name not in CROSS_DEPARTMENT:
        return user.department_id is not None and complaint.department_id == user.department_id
    return True


def require_action(user: Actor, name: str, complaint: Complaint) -> Action:
    """Raise unless ``user`` may take action ``name`` on ``complaint`` in its current state."""
    act = ACTIONS[name]
    if not can_see(user, complaint):
        raise NotFound()
    if not _role_may(user, act, complaint):
        raise PermissionDenied()
    if complaint.state not in act.sources:
        raise InvalidTransition(
            action=name, state=complaint.state, allowed_from=sorted(act.sources)
        )
    return act


def may_import(user: Any) -> bool:
    """Importing complaints from a file is customer service's intake in bulk: agents, the
    customer-service managers and admins."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.role in (Role.AGENT, Role.ADMIN):
        return True
    return bool(
        user.role == Role.MANAGER and user.department_id and user.department.is_customer_service
    )


def require_import(user: Any) -> None:
    if not may_import(user):
        raise PermissionDenied()


def may_renew_portal_link(user: Actor | None, complaint: Complaint) -> bool:
    """Replacing a complaint's private link (the old one stops working at once, e.g. after it
    was forwarded to the wrong person) is for customer service, who contact the customer:
    agents, the customer-service managers and admins."""
    if isinstance(user, PortalCustomer) or user is None:
        return False
    if not can_see(user, complaint):
        return False
    if user.role in (Role.AGENT, Role.ADMIN):
        return True
    return bool(
        user.role == Role.MANAGER and user.department_id and user.department.is_customer_service
    )


def require_portal_link_renewal(user: Actor, complaint: Complaint) -> None:
    if not can_see(user, complaint):
        raise NotFound()
    if not may_renew_portal_link(user, complaint):
        raise PermissionDenied()


def sees_contact_details(user: Actor, complaint: Complaint) -> bool:
    """Phone and email in clear for those who contact the customer: the customer, customer
    service, the responsible department, executives (A-level cases involve them), and whoever
    the policy has make callbacks. Others who may read the case (quality auditors, a
    department asked for a task) see them masked."""
    if isinstance(user, PortalCustomer):
        return complaint.pk == user.complaint_id
    if user.role == Role.CUSTOMER:
        return complaint.customer.user_id == user.pk
    if user.role in (Role.AGENT, Role.EXECUTIVE):
        return True
    if user.role == Role.MANAGER and user.sees_everything:
        return True  # the customer-service manager: customer service, for every case
    if user.role in DEPARTMENT_ROLES:
        return user.department_id is not None and user.department_id == complaint.department_id
    return user.role in complaint.policy.doc.callback.by_roles


def handled_this_round(user: User, complaint: Complaint) -> bool:
    """The user is the handler of the current round or proposed one of its solutions: the
    person a callback must not come from where the policy says so (seed 001 非原处理人)."""
    if complaint.handler_id == user.pk:
        return True
    return Solution.objects.filter(
        complaint=complaint, round_no=complaint.round_no, proposed_by=user
    ).exists()


def callback_refused_to(user: Actor, complaint: Complaint) -> bool:
    return (
        user.role != Role.CUSTOMER
        and complaint.policy.doc.callback.by_other_than_handler
        and handled_this_round(user, complaint)
    )


def allowed_actions(user: Actor, complaint: Complaint) -> list[str]:
    """The actions this user may take now: what the UI shows as buttons."""
    if not can_see(user, complaint):
        return []
    names = [
        name
        for name, act in ACTIONS.items()
        if complaint.state in act.sources and _role_may(user, act, complaint)
    ]
    if "record_callback" in names and callback_refused_to(user, complaint):
        names.remove("record_callback")
    return names


def works_with_contacts(user: Any) -> bool:
    """Does this role's work mean reaching customers (customer service, the departments
    handling cases, executives)? Lists and search treat such readers as seeing contact details
    in clear; everyone else (quality, administrators) gets them masked in complaint titles, and
    the search box matches a phone number only whole for them: typing digits and watching which
    complaints match would otherwise reveal a masked number one digit at a time.
    (On a complaint's own page the finer rule is ``access.sees_contact_details``.)"""
    return user.role in (Role.AGENT, Role.EXECUTIVE, Role.HANDLER, Role.MANAGER)


def handles_data_requests(user: Any) -> bool:
    """A customer's request to export or erase their personal data (PIPL arts. 45 and 47) is
    for the administrator and the customer-service managers, who own the relation with the
    customer (SPEC §1)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.MANAGER and bool(user.sees_everything)


def require_data_requests(user: Any) -> None:
    if not handles_data_requests(user):
        raise PermissionDenied(
            _("Only an administrator or a customer-service manager handles data requests.")
        )
