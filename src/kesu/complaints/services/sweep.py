"""The SLA sweep (SPEC §4 escalation): warn owners of deadlines near their end, escalate
breaches. Idempotent: a milestone is warned once and escalated once however many sweeps run,
and several workers may sweep at once on PostgreSQL (rows locked with SKIP LOCKED, always the
complaint before its milestones, the same order the transitions use).

Work goes in batches of complaints, and each batch is written in a constant number of
statements (its milestones read in one query, one UPDATE per table, one INSERT for the events
and one for the outbox), so the cost grows with the deadlines due, not with the table, and a
backlog of thousands after an outage clears in seconds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kesu.accounts.models import Role
from kesu.complaints.models import Complaint, Event, EventKind, Milestone, MilestoneStatus
from kesu.complaints.services.events import record_events
from kesu.complaints.services.notifications import (
    Directory,
    deadline_managers,
    deadline_owners,
    messages_about,
    users_with_role,
)
from kesu.outbox.models import OutboxMessage
from kesu.outbox.services import insert_messages

BATCH = 500


@dataclass
class SweepResult:
    warned: int = 0
    breached: int = 0
    executive: int = 0

    def __bool__(self) -> bool:
        return bool(self.warned or self.breached)


def _due_complaint_ids(field: str, marker: str, now: datetime, limit: int) -> list[int]:
    """Complaints with a deadline due for this step, the longest due first."""
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
    complaints = list(
        Complaint.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("customer", "policy", "handler", "department", "received_by")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    # One Policy instance per version, so its parsed document is shared by the batch.
    policies: dict[int, object] = {}
    for complaint in complaints:
        complaint.policy = policies.setdefault(complaint.policy_id, complaint.policy)
    return complaints


def _by_complaint(milestones: list[Milestone]) -> dict[int, list[Milestone]]:
    grouped: dict[int, list[Milestone]] = defaultdict(list)
    for ms in milestones:
        grouped[ms.complaint_id].append(ms)
    return grouped


def _deadline(ms: Milestone) -> str:
    return timezone.localtime(ms.due_at).strftime("%Y-%m-%d %H:%M")


def _warn_batch(now: datetime, limit: int, result: SweepResult, people: Directory) -> int:
    """Returns how many complaints it went through (0: nothing left it could lock)."""
    ids = _due_complaint_ids("warn_at", "warned_at", now, limit)
    if not ids:
        return 0
    with transaction.atomic():
        complaints = _lock(ids)
        if not complaints:
            return 0
        pending = Milestone.objects.filter(
            complaint__in=complaints,
            status=MilestoneStatus.OPEN,
            warned_at__isnull=True,
            warn_at__lte=now,
        )
        due = _by_complaint(
            list(pending.filter(breached_at__isnull=True).order_by("complaint_id", "warn_at", "pk"))
        )
        # Every one is marked, also those already past due: the breach step reports those.
        pending.update(warned_at=now)
        events: list[Event] = []
        messages: list[OutboxMessage] = []
        for complaint in complaints:
            for ms in due.get(complaint.pk, ()):
                if ms.due_at is not None and ms.due_at <= now:
                    continue
                events.append(
                    Event(
                        complaint=complaint,
                        round_no=complaint.round_no,
                        kind=EventKind.MILESTONE_WARNING,
                        action="sweep",
                        at=now,
                        data={"milestone": ms.kind, "due_at": ms.due_at.isoformat()},
                    )
                )
                messages += messages_about(
                    complaint,
                    "milestone.warning",
                    users=deadline_owners(complaint, ms.kind, people),
                    context={"milestone": ms.name, "deadline": _deadline(ms)},
                    dedupe_key=f"warn-{ms.pk}-{ms.due_at.isoformat()}",
                )
                result.warned += 1
        record_events(events)
        insert_messages(messages)
    return len(complaints)


def _breach_batch(now: datetime, limit: int, result: SweepResult, people: Directory) -> int:
    """Returns how many milestones it escalated (0: nothing left it could lock)."""
    ids = _due_complaint_ids("due_at", "escalated_at", now, limit)
    if not ids:
        return 0
    with transaction.atomic():
        complaints = _lock(ids)
        due = _by_complaint(
            list(
                Milestone.objects.filter(
                    complaint__in=complaints,
                    status=MilestoneStatus.OPEN,
                    breached_at__isnull=True,
                    due_at__lte=now,
                ).order_by("complaint_id", "due_at", "pk")
            )
        )
        if not due:
            return 0
        Milestone.objects.filter(pk__in=[ms.pk for group in due.values() for ms in group]).update(
            breached_at=F("due_at"), escalated_at=now
        )
        by_count: dict[int, list[int]] = defaultdict(list)
        for complaint_id, group in due.items():
            by_count[len(group)].append(complaint_id)
        for count, complaint_ids in by_count.items():
            Complaint.objects.filter(pk__in=complaint_ids).update(
                is_overdue=True, breach_count=F("breach_count") + count
            )
        events: list[Event] = []
        messages: list[OutboxMessage] = []
        handled = 0
        for complaint in complaints:
            group = due.get(complaint.pk)
            if not group:
                continue
            escalation = complaint.policy.doc.escalation
            to_executive = (
                complaint.level in escalation.executive_levels
                or complaint.breach_count + len(group) >= escalation.executive_after_breaches
            )
            for ms in group:
                events.append(
                    Event(
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
                )
                context = {"milestone": ms.name, "deadline": _deadline(ms)}
                messages += messages_about(
                    complaint,
                    "milestone.breached",
                    users=[
                        *deadline_managers(complaint, ms.kind, people),
                        *deadline_owners(complaint, ms.kind, people),
                    ],
                    context=context,
                    dedupe_key=f"breach-{ms.pk}",
                )
                if to_executive:
                    messages += messages_about(
                        complaint,
                        "milestone.breached_executive",
                        users=users_with_role(Role.EXECUTIVE, people),
                        context=context,
                        dedupe_key=f"breach-exec-{ms.pk}",
                    )
                    result.executive += 1
                handled += 1
        record_events(events)
        insert_messages(messages)
    return handled


def sweep_deadlines(*, now: datetime | None = None, batch: int = BATCH) -> SweepResult:
    """One pass: reads ``now`` once, works in bounded batches until nothing is due."""
    now = now or timezone.now()
    result = SweepResult()
    people = Directory()  # staff do not change during one pass
    while True:
        n = _breach_batch(now, batch, result, people)
        result.breached += n
        if n == 0:
            break
    while _warn_batch(now, batch, result, people):
        pass
    return result
