"""Batch alerts (SPEC §5): read them, record emergency measures with owners, mark them done,
close the alert with a conclusion. Thin: one service call per operation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from kesu.accounts.models import User
from kesu.api.auth import user_of
from kesu.api.fields import Code, Id, LongText, Moment
from kesu.api.outputs import ErrorOut
from kesu.complaints.errors import InvalidInput, NotFound
from kesu.complaints.models import BatchAlert, EmergencyMeasure
from kesu.complaints.services import batches

router = Router(tags=["batch alerts"])

ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


class MeasureOut(Schema):
    id: int
    kind: str
    kind_label: str
    description: str
    owner: str
    owner_id: int
    due_at: datetime | None
    done_at: datetime | None


class BatchAlertOut(Schema):
    id: int
    batch_no: str
    product: str
    raised_at: datetime
    status: str
    conclusion: str
    complaints: list[str]
    measures: list[MeasureOut]


class MeasureIn(Schema):
    kind: Code
    owner: Id
    description: LongText = ""
    due_at: Moment | None = None


class CloseIn(Schema):
    conclusion: LongText


def _measure(m: EmergencyMeasure) -> dict[str, Any]:
    return {
        "id": m.pk,
        "kind": m.kind,
        "kind_label": str(m.get_kind_display()),
        "description": m.description,
        "owner": str(m.owner),
        "owner_id": m.owner_id,
        "due_at": m.due_at,
        "done_at": m.done_at,
    }


MEASURES = Prefetch(
    "measures", queryset=EmergencyMeasure.objects.select_related("owner").order_by("id")
)


def _visible_numbers(user: User, alerts: list[BatchAlert]) -> dict[int, list[str]]:
    """Each alert's complaint numbers that ``user`` may open, oldest first: one query for
    all the alerts of a page."""
    from kesu.complaints.access import visible_complaints

    links = (
        BatchAlert.complaints.through.objects.filter(
            batchalert_id__in=[a.pk for a in alerts], complaint__in=visible_complaints(user)
        )
        .order_by("complaint__received_at")
        .values_list("batchalert_id", "complaint__number")
    )
    numbers: dict[int, list[str]] = {a.pk: [] for a in alerts}
    for alert_id, number in links:
        numbers[alert_id].append(number)
    return numbers


def _row(alert: BatchAlert, numbers: list[str], measures: list[EmergencyMeasure]) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "batch_no": alert.batch_no,
        "product": alert.product,
        "raised_at": alert.raised_at,
        "status": alert.status,
        "conclusion": alert.conclusion,
        "complaints": numbers,
        "measures": [_measure(m) for m in measures],
    }


def _alerts(user: User, alerts: list[BatchAlert]) -> list[dict[str, Any]]:
    """A page of alerts in a fixed number of queries (measures prefetched, numbers at once)."""
    prefetch_related_objects(alerts, MEASURES)
    numbers = _visible_numbers(user, alerts)
    return [_row(a, numbers[a.pk], list(a.measures.all())) for a in alerts]


def _alert(user: User, alert: BatchAlert) -> dict[str, Any]:
    measures = list(alert.measures.select_related("owner").order_by("id"))
    return _row(alert, _visible_numbers(user, [alert])[alert.pk], measures)


@router.get(
    "/batch-alerts",
    response={200: list[BatchAlertOut], 401: ErrorOut, 422: ErrorOut},
    operation_id="batch_alert_list",
)
def list_alerts(request: HttpRequest, status: Code | None = None) -> list[dict[str, Any]]:
    """Alerts touching complaints the caller may see, newest first (at most 200)."""
    user = user_of(request)
    qs = batches.visible_batch_alerts(user).order_by("-raised_at", "-id")
    if status:
        qs = qs.filter(status=status)
    return _alerts(user, list(qs[:200]))


@router.get(
    "/batch-alerts/{alert_id}",
    response={200: BatchAlertOut, **ERRORS},
    operation_id="batch_alert_detail",
)
def get_alert(request: HttpRequest, alert_id: Id) -> dict[str, Any]:
    user = user_of(request)
    return _alert(user, batches.batch_alert_for_user(user, alert_id))


@router.post(
    "/batch-alerts/{alert_id}/measures",
    response={201: BatchAlertOut, **ERRORS},
    operation_id="batch_alert_add_measure",
)
def add_measure(request: HttpRequest, alert_id: Id, body: MeasureIn) -> Status:
    """Record an emergency measure (suspend, recall, replace, inspect) with its owner."""
    user = user_of(request)
    alert = batches.batch_alert_for_user(user, alert_id)
    owner = User.objects.filter(pk=body.owner).first()
    if owner is None:
        raise InvalidInput(errors={"owner": _("The owner must be an active staff member.")})
    batches.batch_alert_add_measure(
        alert=alert,
        actor=user,
        kind=body.kind,
        owner=owner,
        description=body.description,
        due_at=body.due_at,
    )
    return Status(201, _alert(user, alert))


@router.post(
    "/batch-alerts/{alert_id}/measures/{measure_id}/done",
    response={200: BatchAlertOut, **ERRORS},
    operation_id="batch_alert_measure_done",
)
def measure_done(request: HttpRequest, alert_id: Id, measure_id: Id) -> dict[str, Any]:
    user = user_of(request)
    alert = batches.batch_alert_for_user(user, alert_id)
    measure = alert.measures.filter(pk=measure_id).first()
    if measure is None:
        raise NotFound()
    batches.batch_measure_complete(measure=measure, actor=user)
    return _alert(user, alert)


@router.post(
    "/batch-alerts/{alert_id}/close",
    response={200: BatchAlertOut, **ERRORS},
    operation_id="batch_alert_close",
)
def close_alert(request: HttpRequest, alert_id: Id, body: CloseIn) -> dict[str, Any]:
    user = user_of(request)
    alert = batches.batch_alert_for_user(user, alert_id)
    batches.batch_alert_close(alert=alert, actor=user, conclusion=body.conclusion)
    alert.refresh_from_db()
    return _alert(user, alert)
