"""Milestones (SPEC §4): started, met, paused, resumed, recomputed and extended.

A milestone's due time is always ``clock.add(started_at, duration + extension + paused)``:
business time is additive, so skipping the paused working seconds is the same as extending
the deadline by them. Everything here runs inside the caller's complaint transaction.
"""

from __future__ import annotations

from datetime import datetime

from kesu.complaints.models import Complaint, HandlingRound, Milestone, MilestoneStatus
from kesu.complaints.services import durations
from kesu.policy.schema import PolicyDoc
from kesu.workcal.calendar import cached_official_calendar, clock_for

RUNNING = (MilestoneStatus.OPEN, MilestoneStatus.PAUSED)


def _clock(policy: PolicyDoc, kind: str):
    return clock_for(kind, policy.working_hours, official=cached_official_calendar())


def compute_due(ms: Milestone, policy: PolicyDoc) -> None:
    clock = _clock(policy, ms.clock)
    total = ms.duration_seconds + ms.extension_seconds
    ms.due_at = clock.add(ms.started_at, total + ms.paused_seconds)
    ratio = policy.escalation.warn_ratio
    ms.warn_at = clock.add(ms.started_at, int(total * ratio) + ms.paused_seconds)
    # The due time without any approved extension, kept beside the extended one.
    ms.original_due_at = (
        clock.add(ms.started_at, ms.duration_seconds + ms.paused_seconds)
        if ms.extension_seconds
        else ms.due_at
    )


def current_round(complaint: Complaint) -> HandlingRound:
    return HandlingRound.objects.get(complaint=complaint, number=complaint.round_no)


def start_milestones(
    complaint: Complaint, policy: PolicyDoc, *, start: str, at: datetime
) -> list[Milestone]:
    """Create the milestones that ``start`` starts for the complaint's current round."""
    rnd = current_round(complaint)
    existing = set(Milestone.objects.filter(round=rnd).values_list("kind", flat=True))
    created = []
    for rule in policy.milestones:
        if rule.start != start or rule.kind in existing:
            continue
        minutes = policy.milestone_minutes(rule, complaint.level, urgent=complaint.urgent)
        if minutes is None:
            continue
        ms = Milestone(
            complaint=complaint,
            round=rnd,
            kind=rule.kind,
            name=rule.name,
            clock=rule.clock,
            pausable=rule.pausable,
            started_at=at,
            duration_seconds=minutes * 60,
        )
        compute_due(ms, policy)
        created.append(ms)
    if start == "received":
        for cr in policy.channel_rules:
            if cr.channel == complaint.channel and cr.kind not in existing:
                ms = Milestone(
                    complaint=complaint,
                    round=rnd,
                    kind=cr.kind,
                    name=cr.name,
                    clock=cr.clock,
                    pausable=False,
                    started_at=at,
                    duration_seconds=policy.channel_rule_minutes(cr) * 60,
                )
                compute_due(ms, policy)
                created.append(ms)
    Milestone.objects.bulk_create(created)
    return created


def running(complaint: Complaint, kinds: list[str] | None = None):
    qs = Milestone.objects.filter(complaint=complaint, status__in=RUNNING)
    if kinds is not None:
        qs = qs.filter(kind__in=kinds)
    return qs


def meet(complaint: Complaint, policy: PolicyDoc, kinds: list[str], *, at: datetime) -> list[str]:
    """Mark running milestones of these kinds met at ``at``; a late one keeps its breach.
    The first response and resolution times are recorded here too (``durations``)."""
    durations.record_measures(complaint, policy, kinds, at=at)
    met = []
    for ms in running(complaint, kinds):
        if ms.status == MilestoneStatus.PAUSED:
            _resume_one(ms, policy, at)
        ms.status = MilestoneStatus.MET
        ms.met_at = at
        if ms.due_at is not None and at > ms.due_at and ms.breached_at is None:
            ms.breached_at = ms.due_at
        ms.save()
        met.append(ms.kind)
    return met


def cancel_running(complaint: Complaint, kinds: list[str] | None = None) -> None:
    running(complaint, kinds).update(status=MilestoneStatus.CANCELLED, paused_at=None)


def pause(complaint: Complaint, *, at: datetime) -> int:
    count = 0
    for ms in running(complaint).filter(status=MilestoneStatus.OPEN, pausable=True):
        ms.status = MilestoneStatus.PAUSED
        ms.paused_at = at
        ms.save(update_fields=["status", "paused_at"])
        count += 1
    return count


def _resume_one(ms: Milestone, policy: PolicyDoc, at: datetime) -> None:
    clock = _clock(policy, ms.clock)
    assert ms.paused_at is not None
    ms.paused_seconds += max(0, clock.between(ms.paused_at, at))
    ms.paused_at = None
    ms.status = MilestoneStatus.OPEN
    compute_due(ms, policy)


def resume(complaint: Complaint, policy: PolicyDoc, *, at: datetime) -> int:
    count = 0
    for ms in running(complaint).filter(status=MilestoneStatus.PAUSED):
        _resume_one(ms, policy, at)
        ms.save()
        count += 1
    return count


def recompute_for_level(complaint: Complaint, policy: PolicyDoc) -> list[dict]:
    """After a level or urgency change: running milestones take the new durations.
    A milestone already breached keeps its record; one the new level lacks is cancelled."""
    rules = {r.kind: r for r in policy.milestones}
    changes = []
    for ms in running(complaint):
        rule = rules.get(ms.kind)
        if rule is None or ms.breached_at is not None:
            continue  # channel rules do not depend on the level
        minutes = policy.milestone_minutes(rule, complaint.level, urgent=complaint.urgent)
        if minutes is None:
            ms.status = MilestoneStatus.CANCELLED
            ms.save(update_fields=["status"])
            changes.append({"kind": ms.kind, "cancelled": True})
            continue
        before = ms.due_at
        ms.duration_seconds = minutes * 60
        compute_due(ms, policy)
        ms.warned_at = None if ms.warn_at and before and ms.warn_at > before else ms.warned_at
        ms.save()
        changes.append({"kind": ms.kind, "from": before, "to": ms.due_at})
    return changes


def extend(ms: Milestone, policy: PolicyDoc, *, seconds: int) -> None:
    """An approved extension: the original due stays recorded, the due moves."""
    ms.extension_seconds += seconds
    compute_due(ms, policy)
    ms.warned_at = None
    ms.save()


def preview_extended_due(ms: Milestone, policy: PolicyDoc, seconds: int) -> datetime:
    """The due time the milestone would have with ``seconds`` more (nothing saved)."""
    clock = _clock(policy, ms.clock)
    total = ms.duration_seconds + ms.extension_seconds + seconds + ms.paused_seconds
    return clock.add(ms.started_at, total)
