"""The two measured times of a complaint (SPEC §7), stored when they happen so the analysis
can take medians and percentiles in the database (docs/analysis.md).

- first response: reception → the first time the customer is told the complaint is in hand
  (the moment the ``ack`` milestone is met: acknowledgment, recorded at intake on a live
  channel, the first outbound contact, a request for information or the solution itself);
- resolution: reception → the first time a solution is communicated to the customer (the
  ``solution`` milestone met), matching the policy's targets ``first_reply_hours`` and
  ``solution_hours`` (seed 002: 2 h / 24 h).

Both are business seconds of the policy's calendar, from the real ``received_at``, without the
time spent waiting for the customer (``awaiting_customer``: SPEC §4, pauses stop the
resolution clocks). Reopened rounds do not change them: they measure the first handling.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db.models import Q

from kesu.complaints.models import Complaint, Event, EventKind
from kesu.complaints.states import State
from kesu.policy.schema import PolicyDoc
from kesu.workcal.arithmetic import Clock
from kesu.workcal.calendar import cached_official_calendar, clock_for

# Milestone kind met → (instant field, seconds field).
MEASURES = {
    "ack": ("first_response_at", "first_response_seconds"),
    "solution": ("resolution_at", "resolution_seconds"),
}

Wait = tuple[datetime, datetime | None]


def business_clock(policy: PolicyDoc) -> Clock:
    return clock_for("business", policy.working_hours, official=cached_official_calendar())


def waits_from_transitions(transitions: Iterable[tuple[datetime, str, str]]) -> list[Wait]:
    """Intervals spent in ``awaiting_customer`` from (at, from_state, to_state) in time order;
    an interval still running ends with None."""
    waits: list[Wait] = []
    began: datetime | None = None
    for at, from_state, to_state in transitions:
        if to_state == State.AWAITING_CUSTOMER and began is None:
            began = at
        elif from_state == State.AWAITING_CUSTOMER and began is not None:
            waits.append((began, at))
            began = None
    if began is not None:
        waits.append((began, None))
    return waits


def business_seconds(clock: Clock, start: datetime, end: datetime, waits: Sequence[Wait]) -> int:
    """Business seconds in [start, end) outside the waits; never negative."""
    total = clock.between(start, end)
    for began, ended in waits:
        low, high = max(began, start), min(ended or end, end)
        if high > low:
            total -= clock.between(low, high)
    return max(0, total)


def _waits(complaint: Complaint) -> list[Wait]:
    rows = (
        Event.objects.filter(complaint=complaint, kind=EventKind.TRANSITION)
        .filter(Q(to_state=State.AWAITING_CUSTOMER) | Q(from_state=State.AWAITING_CUSTOMER))
        .order_by("at", "id")
        .values_list("at", "from_state", "to_state")
    )
    return waits_from_transitions(rows)


def record_measures(
    complaint: Complaint, policy: PolicyDoc, kinds: Iterable[str], *, at: datetime
) -> None:
    """Store the first response / resolution time when one of ``kinds`` happens first.

    Called by ``deadlines.meet`` for every kind it is asked to meet (whether or not the policy
    has such a milestone), inside the caller's complaint transaction. The row is written
    directly: the fields are not the change's own, and set only once (``...isnull``)."""
    pending = [
        MEASURES[kind]
        for kind in dict.fromkeys(kinds)
        if kind in MEASURES and getattr(complaint, MEASURES[kind][0]) is None
    ]
    if not pending:
        return
    clock = business_clock(policy)
    waits = _waits(complaint)
    seconds = business_seconds(clock, complaint.received_at, at, waits)
    for at_field, seconds_field in pending:
        Complaint.objects.filter(pk=complaint.pk, **{f"{at_field}__isnull": True}).update(
            **{at_field: at, seconds_field: seconds}
        )
        setattr(complaint, at_field, at)
        setattr(complaint, seconds_field, seconds)
