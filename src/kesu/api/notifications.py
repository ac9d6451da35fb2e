"""The caller's in-app notifications (what the console's inbox shows): list, newest first in
keyset pages, and mark read. Thin: ``kesu.outbox.inbox`` holds the reads and the marks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from kesu.api.auth import user_of
from kesu.api.fields import Id
from kesu.api.outputs import ErrorOut
from kesu.complaints.models import Complaint
from kesu.outbox.inbox import inbox_page, mark_read, unread_count

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    title: str
    body: str
    complaint: str | None = Field(description="The complaint's number, if any.")
    created_at: datetime
    read_at: datetime | None


class InboxOut(Schema):
    items: list[NotificationOut]
    older: int | None = Field(description="Pass as `before` for the next (older) page.")
    unread: int


class ReadIn(Schema):
    ids: list[Id] | None = Field(
        default=None, max_length=500, description="These notifications; omit for all."
    )


class ReadOut(Schema):
    marked: int
    unread: int


@router.get(
    "/notifications",
    response={200: InboxOut, 401: ErrorOut, 422: ErrorOut},
    operation_id="notification_list",
)
def list_notifications(
    request: HttpRequest, unread: bool = False, before: Id | None = None
) -> dict[str, Any]:
    """The caller's notifications, newest first, 30 per page."""
    user = user_of(request)
    page = inbox_page(user, before=before, unread_only=unread)
    ids = {n.complaint_id for n in page.rows if n.complaint_id}
    numbers = dict(Complaint.objects.filter(pk__in=ids).values_list("pk", "number"))
    items = [
        {
            "id": n.pk,
            "title": n.title,
            "body": n.body,
            "complaint": numbers.get(n.complaint_id),
            "created_at": n.created_at,
            "read_at": n.read_at,
        }
        for n in page.rows
    ]
    return {"items": items, "older": page.older, "unread": unread_count(user)}


@router.post(
    "/notifications/read",
    response={200: ReadOut, 400: ErrorOut, 401: ErrorOut, 422: ErrorOut},
    operation_id="notification_mark_read",
)
def read(request: HttpRequest, body: ReadIn) -> dict[str, int]:
    """Mark the caller's notifications read (others' are never touched)."""
    user = user_of(request)
    marked = mark_read(user, ids=body.ids)
    return {"marked": marked, "unread": unread_count(user)}
