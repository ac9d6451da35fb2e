"""Recording, listing and reading complaints."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Header, Query, Router, Status

from kesu.api import presenters
from kesu.api.auth import user_of
from kesu.api.inputs import ComplaintFilters, ComplaintIn
from kesu.api.lookup import complaint_of
from kesu.api.outputs import ComplaintDetailOut, ComplaintPageOut, ErrorOut, EventOut
from kesu.api.pagination import page
from kesu.complaints.access import complaint_for_user, visible_complaints, works_with_contacts
from kesu.complaints.queues import ListFilters, apply_filters
from kesu.complaints.services.intake import NewComplaint, complaint_create

router = Router(tags=["complaints"])

ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@router.post(
    "/complaints",
    response={
        200: ComplaintDetailOut,
        201: ComplaintDetailOut,
        400: ErrorOut,
        409: ErrorOut,
        **ERRORS,
    },
    operation_id="complaint_create",
    summary="Record a complaint",
    description="A retried request with the same Idempotency-Key and body returns the first "
    "complaint (200, header Idempotent-Replayed: true); the same key with another body is "
    "refused (422 idempotency_key_reused).",
)
def create_complaint(
    request: HttpRequest,
    response: HttpResponse,
    body: ComplaintIn,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", min_length=1, max_length=200
    ),
) -> Status:
    user = user_of(request)
    complaint, created = complaint_create(
        data=NewComplaint(**body.model_dump()),
        actor=user,
        idempotency_key=idempotency_key,
    )
    if not created:
        response["Idempotent-Replayed"] = "true"
    shown = complaint_for_user(user, pk=complaint.pk)
    return Status(201 if created else 200, presenters.detail(shown, user))


def _filters(f: ComplaintFilters, user: Any) -> ListFilters:
    return ListFilters(
        states=tuple(s.value for s in f.state),
        level=f.level,
        category=f.category,
        channel=f.channel,
        department=f.department,
        handler=f.handler,
        is_repeat=f.is_repeat,
        is_overdue=f.is_overdue,
        reopened=f.reopened,
        received_from=f.received_from,
        received_to=f.received_to,
        q=f.q,
        phone_digits=works_with_contacts(user),
    )


@router.get(
    "/complaints",
    response={200: ComplaintPageOut, **ERRORS},
    operation_id="complaint_list",
    summary="List complaints (queue order, keyset pages)",
    description="Sorted by next deadline (none last), then time received. Pass the `next` "
    "cursor of a page as `after` to get the following page.",
)
def list_complaints(request: HttpRequest, filters: Query[ComplaintFilters]) -> dict[str, Any]:
    user = user_of(request)
    qs = visible_complaints(user).select_related("customer", "department", "handler")
    rows, cursor = page(
        apply_filters(qs, _filters(filters, user)), after=filters.after, limit=filters.limit
    )
    return {"items": [presenters.summary(c, user) for c in rows], "next": cursor}


@router.get(
    "/complaints/{number}",
    response={200: ComplaintDetailOut, **ERRORS},
    operation_id="complaint_detail",
    summary="A complaint with its milestones, rounds, solutions and allowed actions",
)
def get_complaint(request: HttpRequest, number: str) -> dict[str, Any]:
    return presenters.detail(complaint_of(request, number), user_of(request))


@router.get(
    "/complaints/{number}/timeline",
    response={200: list[EventOut], **ERRORS},
    operation_id="complaint_timeline",
    summary="The complaint's timeline (customers see the events meant for them)",
)
def get_timeline(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    return presenters.timeline(complaint_of(request, number), user_of(request))
