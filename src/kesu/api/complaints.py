"""Recording, listing and reading complaints."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Header, Query, Router, Status

from kesu.api import presenters
from kesu.api.auth import user_of
from kesu.api.inputs import ComplaintFilters, ComplaintIn
from kesu.api.lookup import complaint_of
from kesu.api.outputs import ComplaintDetailOut, ComplaintPageOut, ErrorOut, EventOut
from kesu.api.pagination import page
from kesu.complaints.access import complaint_for_user, visible_complaints
from kesu.complaints.models import Complaint
from kesu.complaints.services.intake import NewComplaint, complaint_create

router = Router(tags=["complaints"])

ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@router.post(
    "/complaints",
    response={200: ComplaintDetailOut, 201: ComplaintDetailOut, **ERRORS},
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


def _filtered(qs: QuerySet[Complaint], f: ComplaintFilters) -> QuerySet[Complaint]:
    if f.state:
        qs = qs.filter(state__in=[s.value for s in f.state])
    exact = {
        "level": f.level,
        "category": f.category,
        "channel": f.channel,
        "department__code": f.department,
        "handler_id": f.handler,
        "is_repeat": f.is_repeat,
        "is_overdue": f.is_overdue,
    }
    qs = qs.filter(**{k: v for k, v in exact.items() if v is not None})
    if f.reopened is not None:
        qs = qs.filter(reopen_count__gt=0) if f.reopened else qs.filter(reopen_count=0)
    if f.received_from is not None:
        qs = qs.filter(received_at__gte=f.received_from)
    if f.received_to is not None:
        qs = qs.filter(received_at__lt=f.received_to)
    term = (f.q or "").strip()
    if term:
        qs = qs.filter(
            Q(number__icontains=term)
            | Q(customer__phone__icontains=term)
            | Q(customer__name__icontains=term)
            | Q(customer__company__icontains=term)
            | Q(order_no__icontains=term)
            | Q(waybill_no__icontains=term)
            | Q(title__icontains=term)
            | Q(description__icontains=term)
        )
    return qs


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
    rows, cursor = page(_filtered(qs, filters), after=filters.after, limit=filters.limit)
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
