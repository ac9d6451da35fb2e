"""The improvement sweep (worker job, every 5 minutes): overdue actions escalate like
complaints, and effectiveness checks that fall due are measured and handed to quality.

- warning: a live action past ``warn_at`` (the policy's ``escalation.warn_ratio`` of the time
  from creation to due) tells its owner once;
- overdue: a live action past ``due_at`` tells the managers of the owner's department, quality
  and the owner once;
- check due: a done action past ``check_due_at`` gets its before/after figures and quality is
  asked for the verdict once.

Idempotent: each step stamps its marker (``warned_at``, ``escalated_at``,
``check_notified_at``) in the transaction that writes the history row and the outbox rows, and
the outbox ``dedupe_key`` refuses a second message anyway. Rows are locked with SKIP LOCKED in
bounded batches, so several workers may sweep at once on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from kesu.improvement.models import ActionEvent, ActionStatus, ImprovementAction
from kesu.improvement.notices import tell
from kesu.improvement.services import owners_managers, quality_users, store_figures

BATCH = 200
LIVE = [ActionStatus.OPEN, ActionStatus.IN_PROGRESS]


@dataclass
class ActionSweepResult:
    warned: int = 0
    overdue: int = 0
    checks_due: int = 0

    def __bool__(self) -> bool:
        return bool(self.warned or self.overdue or self.checks_due)


def _lock(qs: QuerySet[ImprovementAction], order: str, limit: int) -> list[ImprovementAction]:
    return list(
        qs.select_for_update(skip_locked=True, of=("self",))
        .select_related("owner", "department")
        .order_by(order, "pk")[:limit]
    )


def _history(action: ImprovementAction, kind: str, now: datetime, **data: object) -> None:
    ActionEvent.objects.create(action=action, kind=kind, to_status=action.status, at=now, data=data)


def _warn(now: datetime, limit: int) -> tuple[int, int]:
    """Returns (rows gone through, warnings sent); the other steps likewise."""
    warned = 0
    with transaction.atomic():
        rows = _lock(
            ImprovementAction.objects.filter(
                status__in=LIVE, warned_at__isnull=True, warn_at__lte=now
            ),
            "warn_at",
            limit,
        )
        for action in rows:
            ImprovementAction.objects.filter(pk=action.pk).update(warned_at=now)
            if action.due_at <= now:
                continue  # past due already: the overdue step tells people instead
            _history(action, "warned", now, due_at=action.due_at.isoformat())
            tell(
                "improvement.warning",
                action,
                [action.owner],
                dedupe_key=f"capa-warn-{action.pk}-{action.due_at.isoformat()}",
            )
            warned += 1
    return len(rows), warned


def _overdue(now: datetime, limit: int) -> tuple[int, int]:
    with transaction.atomic():
        rows = _lock(
            ImprovementAction.objects.filter(
                status__in=LIVE, escalated_at__isnull=True, due_at__lte=now
            ),
            "due_at",
            limit,
        )
        for action in rows:
            ImprovementAction.objects.filter(pk=action.pk).update(escalated_at=now)
            _history(action, "overdue", now, due_at=action.due_at.isoformat())
            tell(
                "improvement.overdue",
                action,
                [*owners_managers(action), *quality_users(), action.owner],
                dedupe_key=f"capa-overdue-{action.pk}",
            )
    return len(rows), len(rows)


def _checks(now: datetime, limit: int) -> tuple[int, int]:
    with transaction.atomic():
        rows = _lock(
            ImprovementAction.objects.filter(
                status=ActionStatus.DONE, check_notified_at__isnull=True, check_due_at__lte=now
            ),
            "check_due_at",
            limit,
        )
        for action in rows:
            figures = store_figures(action, now)
            ImprovementAction.objects.filter(pk=action.pk).update(check_notified_at=now)
            _history(action, "check_due", now, **figures)
            tell(
                "improvement.check_due",
                action,
                quality_users(),
                dedupe_key=f"capa-check-{action.pk}",
            )
    return len(rows), len(rows)


def sweep_actions(*, now: datetime | None = None, batch: int = BATCH) -> ActionSweepResult:
    """One pass: reads ``now`` once, works in bounded batches until nothing is due."""
    now = now or timezone.now()
    result = ActionSweepResult()
    for step, field in ((_overdue, "overdue"), (_warn, "warned"), (_checks, "checks_due")):
        while True:
            seen, counted = step(now, batch)
            setattr(result, field, getattr(result, field) + counted)
            if seen < batch:  # a short batch: nothing more is due (or the rest is locked)
                break
    return result
