"""The one way a timeline event is written: the row, and the webhooks it causes.

Every ``Event`` goes through ``record_event`` (or ``record_events`` for a bulk insert), so each
one is sealed into its complaint's hash chain (``kesu.complaints.audit``) and offered to the
subscribed webhook endpoints in the same transaction: an event that rolls back is never
announced, and a committed one always is (docs/webhooks.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from kesu.accounts.models import User
from kesu.complaints.audit import seal
from kesu.complaints.models import Complaint, Event
from kesu.complaints.services.notifications import console_link


def record_event(
    *,
    complaint: Complaint,
    kind: str,
    at: datetime,
    round_no: int | None = None,
    action: str = "",
    from_state: str = "",
    to_state: str = "",
    actor: User | None = None,
    data: dict[str, Any] | None = None,
    visible_to_customer: bool = False,
) -> Event:
    """Append an event to ``complaint``'s timeline (``round_no``: its current round unless
    given) and queue its webhooks. Call inside the transaction that makes the change."""
    event = Event(
        complaint=complaint,
        round_no=complaint.round_no if round_no is None else round_no,
        kind=kind,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        at=at,
        data=data if data is not None else {},
        visible_to_customer=visible_to_customer,
    )
    seal([event])
    event.save(force_insert=True)
    _announce(event, complaint)
    return event


def record_events(events: list[Event]) -> list[Event]:
    """Bulk version for many complaints at once (batch alerts): one INSERT for the events."""
    seal(events)
    created = Event.objects.bulk_create(events)
    for event in created:
        _announce(event, event.complaint)
    return created


def _announce(event: Event, complaint: Complaint) -> None:
    from kesu.outbox.webhooks.queue import queue_event_webhooks

    queue_event_webhooks(
        kind=event.kind,
        complaint_id=complaint.pk,
        payload=lambda: webhook_payload(event, complaint),
        max_attempts=lambda: complaint.policy.doc.notifications.max_attempts,
    )


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value is not None else None


def webhook_payload(event: Event, complaint: Complaint) -> dict[str, Any]:
    """What a webhook receiver gets about an event (the outbox adds ``id``). No customer
    contact details: receivers follow ``url`` with their own access to see those."""
    department = complaint.department.code if complaint.department_id else None
    return {
        "type": f"complaint.{event.kind}",
        "occurred_at": _iso(event.at),
        "complaint": {
            "number": complaint.number,
            "state": complaint.state,
            "level": complaint.level,
            "category": complaint.category,
            "department": department,
            "channel": complaint.channel,
            "received_at": _iso(complaint.received_at),
            "url": console_link(complaint),
        },
        "event": {
            "kind": event.kind,
            "action": event.action,
            "from_state": event.from_state,
            "to_state": event.to_state,
            "round": event.round_no,
        },
    }
