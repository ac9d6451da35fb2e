"""The SLA sweep (SPEC §4 escalation): warn owners of deadlines near their end, escalate
breaches. Idempotent: a milestone is warned once and escalated once however many sweeps run,
and several workers may sweep at once on PostgreSQL (rows locked with SKIP LOCKED, always the
complaint before its milestones, the same order the transitions use).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kesu.accounts.models import Role
from kesu.complaints.models import Complaint, EventKind, Milestone, MilestoneStatus
from kesu.complaints.services.events import record_event
from kesu.complaints.services.notifications import (
    deadline_managers,
    deadline_owners,
    notify_about,
)

BATCH = 200


@dataclass
class SweepResult:
    warned: int = 0
    breached: int = 0
    executive: int = 0

    def __bool__(self) -> bool:
        return bool(self.warned or self.breached)


def _due_complaint_ids(field: str, marker: str, now: datetime, limit: int) -> list[int]:
    return list(
        Milestone.objects.filter(
            status=MilestoneStatus.OPEN,
            breached_at__isnull=True,
            **{f"{field}__lte": now, f"{marker}__isnull": True},
        )
        .order_by(field)
        .values_list("complaint_id", flat=True)
        .distinct()[:limit]
    )


def _lock(ids: list[int]) -> list[Complaint]:
    return list(
        Complaint.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("customer", "policy", "handler", "department")
        .filter(pk__in=ids)
        .order_by("pk")
    )


def _warn_batch(now: datetime, limit: int, result: SweepResult) -> int:
    """Returns how many complaints it went through (0: nothing left it could lock)."""
    ids = _due_complaint_ids("warn_at", "warned_at", now, limit)
    if not ids:
        return 0
    seen = 0
    with transaction.atomic():
        for complaint in _lock(ids):
            seen += 1
            due = list(
                Milestone.objects.filter(
                    complaint=complaint,
                    status=MilestoneStatus.OPEN,
                    breached_at__isnull=True,
                    warned_at__isnull=True,
                    warn_at__lte=now,
                )
            )
            for ms in due:
                if ms.due_at is not None and ms.due_at <= now:
                    continue  # past due already: the breach step reports it instead
                Milestone.objects.filter(pk=ms.pk).update(warned_at=now)
                record_event(
                    complaint=complaint,
                    round_no=complaint.round_no,
                    kind=EventKind.MILESTONE_WARNING,
                    action="sweep",
                    at=now,
                    data={"milestone": ms.kind, "due_at": ms.due_at.isoformat()},
                )
                notify_about(
                    complaint,
                    "milestone.warning",
                    users=deadline_owners(complaint, ms.kind),
                    context={
                        "milestone": ms.name,
                        "deadline": timezone.localtime(ms.due_at).strftime("%Y-%m-%d %H:%M"),
                    },
                    dedupe_key=f"warn-{ms.pk}-{ms.due_at.isoformat()}",
                )
                result.warned += 1
            # Anything left (already past due) is marked so it is not picked up again.
            Milestone.objects.filter(
                complaint=complaint,
                status=MilestoneStatus.OPEN,
                warned_at__isnull=True,
                warn_at__lte=now,
            ).update(warned_at=now)
    return seen


def _breach_batch(now: datetime, limit: int, result: SweepResult) -> int:
    ids = _due_complaint_ids("due_at", "escalated_at", now, limit)
    if not ids:
        return 0
    from kesu.complaints.services.notifications import users_with_role

    handled = 0
    with transaction.atomic():
        for complaint in _lock(ids):
            policy = complaint.policy.doc
            due = list(
                Milestone.objects.filter(
                    complaint=complaint,
                    status=MilestoneStatus.OPEN,
                    breached_at__isnull=True,
                    due_at__lte=now,
                )
            )
            if not due:
                continue
            for ms in due:
                Milestone.objects.filter(pk=ms.pk).update(breached_at=ms.due_at, escalated_at=now)
            breaches = complaint.breach_count + len(due)
            Complaint.objects.filter(pk=complaint.pk).update(
                is_overdue=True, breach_count=F("breach_count") + len(due)
            )
            to_executive = (
                complaint.level in policy.escalation.executive_levels
                or breaches >= policy.escalation.executive_after_breaches
            )
            for ms in due:
                record_event(
                    complaint=complaint,
                    round_no=complaint.round_no,
                    kind=EventKind.MILESTONE_BREACHED,
                    action="sweep",
                    at=now,
                    data={
                        "milestone": ms.kind,
                        "due_at": ms.due_at.isoformat(),
                        "executive": to_executive,
                    },
                )
                context = {
                    "milestone": ms.name,
                    "deadline": timezone.localtime(ms.due_at).strftime("%Y-%m-%d %H:%M"),
                }
                notify_about(
                    complaint,
                    "milestone.breached",
                    users=[
                        *deadline_managers(complaint, ms.kind),
                        *deadline_owners(complaint, ms.kind),
                    ],
                    context=context,
                    dedupe_key=f"breach-{ms.pk}",
                )
                if to_executive:
                    notify_about(
                        complaint,
                        "milestone.breached_executive",
                        users=users_with_role(Role.EXECUTIVE),
                        context=context,
                        dedupe_key=f"breach-exec-{ms.pk}",
                    )
                    result.executive += 1
                handled += 1
    return handled


def sweep_deadlines(*, now: datetime | None = None, batch: int = BATCH) -> SweepResult:
    """One pass: reads ``now`` once, works in bounded batches until nothing is due."""
    now = now or timezone.now()
    result = SweepResult()
    while True:
        n = _breach_batch(now, batch, result)
        result.breached += n
        if n == 0:
            break
    while _warn_batch(now, batch, result):
        pass
    return result
