"""The shape every write on a complaint takes (STYLE §3).

``with complaint_change(complaint, actor=..., action=...) as ch:`` opens one transaction, locks
the row, refuses a stale copy ("changed by someone else"), checks the action against the
lifecycle table and the user's rights, and on leaving saves the changed fields with the
version bumped. Events, milestones and outbox rows written through ``ch`` commit with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Min
from django.utils import timezone

from kesu.accounts.models import User
from kesu.complaints.access import Actor, recorded_user, require_action
from kesu.complaints.errors import ConcurrentModification, InvalidTransition
from kesu.complaints.models import (
    Communication,
    Complaint,
    Event,
    EventKind,
    Milestone,
    MilestoneStatus,
)
from kesu.complaints.services.events import record_event
from kesu.complaints.services.portal_links import link_expiry
from kesu.complaints.states import State
from kesu.policy.schema import PolicyDoc


@dataclass
class Change:
    complaint: Complaint
    actor: Actor | None
    now: datetime
    action: str
    dirty: set[str] = field(default_factory=set)

    @property
    def policy(self) -> PolicyDoc:
        return self.complaint.policy.doc

    @property
    def by(self) -> User | None:
        """Who the record names as having acted (a portal-link customer: their login or nobody)."""
        return recorded_user(self.actor)

    def set(self, **fields: Any) -> None:
        for name, value in fields.items():
            if getattr(self.complaint, name) != value:
                setattr(self.complaint, name, value)
                self.dirty.add(name)

    def event(
        self,
        kind: str,
        *,
        data: dict[str, Any] | None = None,
        visible_to_customer: bool = False,
        from_state: str = "",
        to_state: str = "",
        complaint: Complaint | None = None,
    ) -> Event:
        target = complaint or self.complaint
        return record_event(
            complaint=target,
            round_no=target.round_no,
            kind=kind,
            action=self.action,
            from_state=from_state,
            to_state=to_state,
            actor=self.by,
            at=self.now,
            data=_jsonable(data or {}),
            visible_to_customer=visible_to_customer,
        )

    def communication(
        self,
        *,
        channel: str,
        direction: str,
        summary: str,
        template: str = "",
        at: datetime | None = None,
    ) -> Communication:
        """Log a contact with the customer on the current round (SPEC §6)."""
        return Communication.objects.create(
            complaint=self.complaint,
            round_no=self.complaint.round_no,
            channel=channel,
            direction=direction,
            summary=summary,
            template=template,
            by=self.by,
            at=at or self.now,
        )

    def move_to(
        self, state: State, *, data: dict[str, Any] | None = None, visible: bool = True
    ) -> Event:
        before = self.complaint.state
        self.set(state=state)
        # The private link ends some time after the case is finished, and works again when
        # it is reopened (services.portal_links).
        self.set(portal_link_expires_at=link_expiry(self.complaint, self.now))
        return self.event(
            EventKind.TRANSITION,
            data=data,
            visible_to_customer=visible,
            from_state=before,
            to_state=state,
        )

    def notify(
        self,
        event: str,
        *,
        users: Iterable[User] = (),
        customer: bool = False,
        context: dict[str, Any] | None = None,
        dedupe_key: str | None = None,
    ) -> None:
        from kesu.complaints.services.notifications import notify_about

        notify_about(
            self.complaint,
            event,
            users=users,
            customer=customer,
            context=context or {},
            dedupe_key=dedupe_key,
        )


def _jsonable(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def refresh_deadline_summary(complaint: Complaint) -> dict[str, Any]:
    """What queues sort and filter by: next_due_at over running milestones, and whether a
    deadline that is still unmet has passed (overdue). A late milestone that has since been
    met no longer makes the case overdue; ``breach_count`` and the milestone keep the record."""
    running = Milestone.objects.filter(
        complaint=complaint, status__in=[MilestoneStatus.OPEN, MilestoneStatus.PAUSED]
    )
    agg = running.filter(status=MilestoneStatus.OPEN).aggregate(next_due=Min("due_at"))
    overdue = running.filter(breached_at__isnull=False).exists()
    return {"next_due_at": agg["next_due"], "is_overdue": overdue}


@contextmanager
def complaint_change(
    complaint: Complaint,
    *,
    actor: Actor | None,
    action: str,
    now: datetime | None = None,
    check_version: bool = True,
) -> Iterator[Change]:
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Complaint.objects.select_for_update(of=("self",))
            .select_related("customer", "policy")
            .get(pk=complaint.pk)
        )
        stale = check_version and locked.version != complaint.version
        # Rights first: someone who may not act is told so, whatever version they hold. An
        # action the new state no longer allows is the other writer's doing: say so.
        if actor is not None:
            try:
                require_action(actor, action, locked)
            except InvalidTransition:
                if stale:
                    raise ConcurrentModification() from None
                raise
        if stale:
            raise ConcurrentModification()
        ch = Change(complaint=locked, actor=actor, now=now, action=action)
        yield ch
        ch.set(**refresh_deadline_summary(locked))
        fields = {name: getattr(locked, name) for name in ch.dirty}
        fields["updated_at"] = now
        # The row is locked on PostgreSQL; the version condition also protects SQLite and
        # any writer that did not lock.
        updated = Complaint.objects.filter(pk=locked.pk, version=locked.version).update(
            version=F("version") + 1, **fields
        )
        if updated != 1:
            raise ConcurrentModification()
        locked.version += 1
    # Hand the caller the new state of the record.
    for name in [*fields, "version"]:
        setattr(complaint, name, getattr(locked, name))
