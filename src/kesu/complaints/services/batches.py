"""Batch alerts after they are raised (SPEC §5, seed 004 三 7, seed 003 §五(一)): emergency
measures with owners (suspend, recall, replace, inspect), their completion, and the closing
conclusion. Raising an alert happens at intake (``grading.check_batch``).

Quality owns the alert; executives and managers may record measures too. Every change is one
transaction with the alert row locked, and leaves an event on the timeline of each complaint
in the alert, so the people handling those complaints see what was done about the batch."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.accounts.models import STAFF_ROLES, Role, User
from kesu.complaints.access import visible_complaints
from kesu.complaints.errors import GuardFailed, InvalidInput, NotFound, PermissionDenied
from kesu.complaints.models import BatchAlert, EmergencyMeasure, Event, EventKind
from kesu.complaints.services.events import record_events
from kesu.complaints.services.inputs import clean_text
from kesu.complaints.services.notifications import notify_about

# Who may act on an alert: quality owns it (seed 003 §八); the top and department managers
# take emergency decisions with them (seed 004 三 1 超权限的迅速上报分管领导).
MEASURE_ROLES = frozenset({Role.QUALITY, Role.EXECUTIVE, Role.MANAGER})
CLOSE_ROLES = frozenset({Role.QUALITY, Role.EXECUTIVE})


def visible_batch_alerts(user: User) -> QuerySet[BatchAlert]:
    """Alerts with at least one complaint the user may see (staff only)."""
    if not (user.is_authenticated and user.is_active and user.role in STAFF_ROLES):
        return BatchAlert.objects.none()
    if user.sees_everything:
        return BatchAlert.objects.all()
    # The owner of a measure sees the alert it belongs to, whatever the complaints' department.
    return BatchAlert.objects.filter(
        Q(complaints__in=visible_complaints(user)) | Q(measures__owner=user)
    ).distinct()


def batch_alert_for_user(user: User, pk: int) -> BatchAlert:
    alert = visible_batch_alerts(user).filter(pk=pk).first()
    if alert is None:
        raise NotFound()
    return alert


def _locked(user: User, alert: BatchAlert, roles: frozenset[str]) -> BatchAlert:
    batch_alert_for_user(user, alert.pk)  # not visible: not found
    if user.role not in roles:
        raise PermissionDenied()
    return BatchAlert.objects.select_for_update().get(pk=alert.pk)


def _on_timelines(alert: BatchAlert, actor: User, now: datetime, data: dict) -> None:
    record_events(
        [
            Event(
                complaint=c,
                round_no=c.round_no,
                kind=EventKind.BATCH_ALERT,
                action="batch_measure",
                actor=actor,
                at=now,
                data={"batch_no": alert.batch_no, "alert": alert.pk, **data},
            )
            for c in alert.complaints.all()
        ]
    )


def batch_alert_add_measure(
    *,
    alert: BatchAlert,
    actor: User,
    kind: str,
    owner: User,
    description: str = "",
    due_at: datetime | None = None,
    now: datetime | None = None,
) -> EmergencyMeasure:
    """Record an emergency measure on the batch with its owner and due time."""
    now = now or timezone.now()
    errors = {}
    if kind not in EmergencyMeasure.Kind.values:
        errors["kind"] = _("Unknown kind of measure.")
    if owner is None or not owner.is_active or owner.role not in STAFF_ROLES:
        errors["owner"] = _("The owner must be an active staff member.")
    if due_at is not None and due_at < now:
        errors["due_at"] = _("The due time cannot be in the past.")
    if errors:
        raise InvalidInput(errors=errors)
    description = clean_text(description, "description", required=False)
    with transaction.atomic():
        locked = _locked(actor, alert, MEASURE_ROLES)
        if locked.status != BatchAlert.Status.OPEN:
            raise GuardFailed(_("This batch alert is closed."))
        measure = EmergencyMeasure.objects.create(
            alert=locked, kind=kind, owner=owner, description=description, due_at=due_at
        )
        _on_timelines(
            locked,
            actor,
            now,
            {"measure": measure.pk, "kind": kind, "owner": owner.pk, "description": description},
        )
        latest = locked.complaints.order_by("-received_at").first()
        if latest is not None:
            due_text = timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M") if due_at else "—"
            notify_about(
                latest,
                "batch.measure",
                users=[owner],
                context={
                    "batch": locked.batch_no,
                    "task": f"{measure.get_kind_display()} {description}".strip(),
                    "deadline": due_text,
                },
                dedupe_key=f"batch-measure-{measure.pk}",
            )
    return measure


def batch_measure_complete(
    *, measure: EmergencyMeasure, actor: User, now: datetime | None = None
) -> EmergencyMeasure:
    """The owner (or quality) marks a measure done."""
    now = now or timezone.now()
    with transaction.atomic():
        batch_alert_for_user(actor, measure.alert_id)
        row = EmergencyMeasure.objects.select_for_update().get(pk=measure.pk)
        if actor.pk != row.owner_id and actor.role not in CLOSE_ROLES:
            raise PermissionDenied()
        if row.done_at is not None:
            raise GuardFailed(_("This measure is already done."))
        row.done_at = now
        row.save(update_fields=["done_at"])
        _on_timelines(row.alert, actor, now, {"measure": row.pk, "done": True})
    return row


def batch_alert_close(
    *, alert: BatchAlert, actor: User, conclusion: str, now: datetime | None = None
) -> BatchAlert:
    """Quality concludes the alert; every measure must be done first."""
    now = now or timezone.now()
    conclusion = clean_text(conclusion, "conclusion")
    with transaction.atomic():
        locked = _locked(actor, alert, CLOSE_ROLES)
        if locked.status != BatchAlert.Status.OPEN:
            raise GuardFailed(_("This batch alert is closed."))
        if locked.measures.filter(done_at__isnull=True).exists():
            raise GuardFailed(_("Every emergency measure must be done before the alert closes."))
        locked.status = BatchAlert.Status.CLOSED
        locked.conclusion = conclusion
        locked.save(update_fields=["status", "conclusion"])
        _on_timelines(locked, actor, now, {"closed": True, "conclusion": conclusion})
    return locked
