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

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from kesu.accounts.models import Role, User
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
from kesu.outbox.services import insert_messages, plan_messages
from kesu.policy.models import Policy

BATCH = 500
# A person told of more deadlines than this in one batch gets one message listing them
# instead of one per deadline: after an outage or a long holiday a sweep may find thousands
# at once, and a manager needs one note and the overdue queue, not a thousand notes. The
# events on each complaint's timeline are written one by one whatever the count.
DIGEST_AFTER = 5
DIGEST_NUMBERS = 20


@dataclass
class SweepResult:
    warned: int = 0
    breached: int = 0
    executive: int = 0

    def __bool__(self) -> bool:
        return bool(self.warned or self.breached)


def _due_complaint_ids(field: str, marker: str, now: datetime, limit: int) -> list[int]:
    """Complaints with a deadline due for this step, the longest due first.

    Reads milestone rows in deadline order and removes repeats here: with ``DISTINCT`` in the
    query PostgreSQL sorts by (deadline, complaint) and walks the index of *every* deadline
    from the oldest (≈ 0.3 s at 500,000 milestones); without it, it walks the partial index
    of open, unbreached deadlines (ms_open_due / ms_open_warn) and stops after a few rows.
    """
    rows = (
        Milestone.objects.filter(
            status=MilestoneStatus.OPEN,
            breached_at__isnull=True,
            **{f"{field}__lte": now, f"{marker}__isnull": True},
        )
        .order_by(field)
        .values_list("complaint_id", flat=True)[: limit * 4]
    )
    return list(dict.fromkeys(rows))[:limit]


def _lock(ids: list[int]) -> list[Complaint]:
    complaints = list(
        Complaint.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("customer", "handler", "department", "received_by")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    # Policies read once per batch, not joined per row: each row would carry (and decode)
    # the whole policy document. One instance per version also shares its parsed document.
    policies = Policy.objects.in_bulk({c.policy_id for c in complaints})
    for complaint in complaints:
        complaint.policy = policies[complaint.policy_id]
    return complaints


def _by_complaint(milestones: list[Milestone]) -> dict[int, list[Milestone]]:
    grouped: dict[int, list[Milestone]] = defaultdict(list)
    for ms in milestones:
        grouped[ms.complaint_id].append(ms)
    return grouped


def _deadline(ms: Milestone) -> str:
    return timezone.localtime(ms.due_at).strftime("%Y-%m-%d %H:%M")


@dataclass(eq=False)
class _Notice:
    complaint: Complaint
    milestone: Milestone
    users: list[User]
    dedupe_key: str


class _Notices:
    """The messages one batch owes, per event: each person gets them one by one, or one
    digest when there are more than ``DIGEST_AFTER``."""

    def __init__(self) -> None:
        self._by_event: dict[str, list[_Notice]] = defaultdict(list)

    def add(self, event: str, notice: _Notice) -> None:
        self._by_event[event].append(notice)

    def messages(self) -> list[OutboxMessage]:
        rows: list[OutboxMessage] = []
        for event, notices in self._by_event.items():
            per_person: dict[User, list[_Notice]] = defaultdict(list)
            for notice in notices:
                for user in dict.fromkeys(u for u in notice.users if u is not None):
                    per_person[user].append(notice)
            one_by_one: dict[_Notice, list[User]] = defaultdict(list)
            for user, theirs in per_person.items():
                if len(theirs) > DIGEST_AFTER:
                    rows += _digest(event, user, theirs)
                else:
                    for notice in theirs:
                        one_by_one[notice].append(user)
            for notice in notices:
                if notice in one_by_one:
                    ms = notice.milestone
                    rows += messages_about(
                        notice.complaint,
                        event,
                        users=one_by_one[notice],
                        context={"milestone": ms.name, "deadline": _deadline(ms)},
                        dedupe_key=notice.dedupe_key,
                    )
        return rows


def _digest(event: str, user: User, notices: list[_Notice]) -> list[OutboxMessage]:
    numbers = list(dict.fromkeys(n.complaint.number for n in notices))
    shown = numbers[:DIGEST_NUMBERS]
    hidden = len(numbers) - len(shown)
    # Warnings point to the queue of deadlines near their end, breaches to the overdue one.
    slug = "due_soon" if event == "milestone.warning" else "overdue"
    queue = settings.KESU_BASE_URL.rstrip("/") + reverse("console:queue", args=[slug])
    first = min(n.milestone.pk for n in notices)
    rules = notices[0].complaint.policy.doc.notifications
    return plan_messages(
        event=f"{event}_digest",
        complaint_id=None,
        users=[user],
        context={
            "count": len(notices),
            "numbers": "、".join(shown),
            "more": f" 等 {len(numbers)} 个投诉" if hidden else "",
            "link": queue,
            "_en": {
                "numbers": ", ".join(shown),
                "more": f" and {hidden} more complaints" if hidden else "",
            },
        },
        # The batch's milestones are marked in the same transaction: a repeat cannot happen,
        # the key only keeps the row unique like every other sweep message.
        dedupe_key=f"{event}-digest-{first}-{len(notices)}",
        max_attempts=rules.max_attempts,
        staff_email=rules.staff_email,
    )


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
        notices = _Notices()
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
                owners = deadline_owners(complaint, ms.kind, people)
                key = f"warn-{ms.pk}-{ms.due_at.isoformat()}"
                notices.add("milestone.warning", _Notice(complaint, ms, owners, key))
                result.warned += 1
        record_events(events)
        insert_messages(notices.messages())
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
        notices = _Notices()
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
                told = [
                    *deadline_managers(complaint, ms.kind, people),
                    *deadline_owners(complaint, ms.kind, people),
                ]
                notices.add("milestone.breached", _Notice(complaint, ms, told, f"breach-{ms.pk}"))
                if to_executive:
                    executives = users_with_role(Role.EXECUTIVE, people)
                    notices.add(
                        "milestone.breached_executive",
                        _Notice(complaint, ms, executives, f"breach-exec-{ms.pk}"),
                    )
                    result.executive += 1
                handled += 1
        record_events(events)
        insert_messages(notices.messages())
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
