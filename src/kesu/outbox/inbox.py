"""A staff member's in-app notifications: what the worker delivered on the ``inapp`` channel.

Reads and marks are plain functions over ``Notification`` so the console and the API share
them. Pages are keyset pages on the primary key (newest first), never OFFSET.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from kesu.accounts.models import User
from kesu.outbox.models import Notification

PAGE_SIZE = 30


@dataclass(frozen=True)
class InboxPage:
    rows: list[Notification]
    older: int | None  # the ``before`` of the next (older) page, None on the last page


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def inbox_page(
    user: User, *, before: int | None = None, unread_only: bool = False, size: int = PAGE_SIZE
) -> InboxPage:
    qs: QuerySet[Notification] = Notification.objects.filter(user=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if before is not None:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.order_by("-pk")[: size + 1])
    older = rows[size - 1].pk if len(rows) > size else None
    return InboxPage(rows=rows[:size], older=older)


def mark_read(user: User, *, ids: list[int] | None = None, complaint_id: int | None = None) -> int:
    """Mark the user's unread notifications read: the given ids, those about one complaint,
    or (neither given) all of them. Returns how many changed; others' rows are never touched."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    if complaint_id is not None:
        qs = qs.filter(complaint_id=complaint_id)
    return qs.update(read_at=timezone.now())


@dataclass(frozen=True)
class DeliveryHealth:
    """What an administrator watches: messages waiting, retrying after a failure, and dead."""

    waiting: int
    retrying: int
    dead: int


def delivery_health() -> DeliveryHealth:
    from django.db.models import Count, Q

    from kesu.outbox.models import OutboxMessage

    status = OutboxMessage.Status
    counts = OutboxMessage.objects.aggregate(
        waiting=Count("pk", filter=Q(status__in=[status.PENDING, status.DELIVERING])),
        retrying=Count("pk", filter=Q(status=status.PENDING, attempts__gt=0)),
        dead=Count("pk", filter=Q(status=status.DEAD)),
    )
    return DeliveryHealth(**counts)
