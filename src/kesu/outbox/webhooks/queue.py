"""Queue webhook messages inside the caller's transaction: one outbox row per endpoint.

The event path asks for the active endpoints once per transaction: the list is cached until
that transaction ends (commit or rollback), so a sweep or intake that writes many events pays
one query, and nothing more when no endpoint exists.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone

from kesu.outbox.models import Channel, OutboxMessage, WebhookEndpoint

PING = "ping"

_local = threading.local()


class _TransactionMarker:
    """A no-op on-commit callback. Django drops pending callbacks when the transaction (or the
    savepoint that registered them) rolls back and runs them on commit, so "still pending"
    means "still the same transaction"."""

    def __call__(self) -> None:
        forget_endpoints()


def forget_endpoints() -> None:
    _local.__dict__.pop("cached", None)


def _still_pending(marker: _TransactionMarker) -> bool:
    connection = transaction.get_connection(DEFAULT_DB_ALIAS)
    # run_on_commit holds (savepoint ids, callback, robust) tuples.
    return any(entry[1] is marker for entry in getattr(connection, "run_on_commit", ()))


def active_endpoints() -> list[WebhookEndpoint]:
    """Active endpoints, read at most once per transaction (outside one: every call)."""
    cached = getattr(_local, "cached", None)
    if cached is not None and _still_pending(cached[0]):
        return cached[1]
    endpoints = list(WebhookEndpoint.objects.filter(is_active=True).order_by("pk"))
    if transaction.get_connection(DEFAULT_DB_ALIAS).in_atomic_block:
        marker = _TransactionMarker()
        transaction.on_commit(marker)
        _local.cached = (marker, endpoints)
    return endpoints


def _queue(
    endpoints: list[WebhookEndpoint],
    payload: dict[str, Any],
    *,
    complaint_id: int | None,
    max_attempts: int | None = None,
) -> list[OutboxMessage]:
    budget = {"max_attempts": max_attempts} if max_attempts else {}
    now = timezone.now()
    rows = []
    for endpoint in endpoints:
        # The message id is also the payload's "id" and the X-Kesu-Delivery header: one id for
        # every retry of this event to this endpoint, which receivers use to drop repeats.
        message_id = uuid.uuid4()
        rows.append(
            OutboxMessage(
                id=message_id,
                event=payload["type"],
                channel=Channel.WEBHOOK,
                webhook_endpoint=endpoint,
                address=endpoint.url[:254],
                context={"id": str(message_id), **payload},
                complaint_id=complaint_id,
                available_at=now,
                created_at=now,
                **budget,
            )
        )
    OutboxMessage.objects.bulk_create(rows)
    return rows


def queue_event_webhooks(
    *,
    kind: str,
    complaint_id: int,
    payload: Callable[[], dict[str, Any]],
    max_attempts: Callable[[], int] | None = None,
) -> list[OutboxMessage]:
    """Queue ``payload()`` (built only if some endpoint wants ``kind``) to every active
    endpoint subscribed to ``kind``, each with ``max_attempts()`` delivery attempts (the
    complaint's policy). Runs in the caller's transaction and never commits."""
    endpoints = [e for e in active_endpoints() if e.wants(kind)]
    if not endpoints:
        return []
    budget = max_attempts() if max_attempts else None
    return _queue(endpoints, payload(), complaint_id=complaint_id, max_attempts=budget)


def queue_ping(endpoint: WebhookEndpoint) -> OutboxMessage:
    """A ``ping`` to one endpoint (admin "send a test ping"), active or not yet."""
    payload = {
        "type": PING,
        "occurred_at": timezone.localtime().isoformat(timespec="seconds"),
        "endpoint": endpoint.name,
    }
    [message] = _queue([endpoint], payload, complaint_id=None)
    return message
