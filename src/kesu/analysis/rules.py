"""The definitions behind every figure (SPEC §7), as database conditions: one place for each
rule, used by the KPIs, the monthly report and the dashboard (``complaints.kpis_basic``).
Prose: docs/analysis.md.

Conditions on complaints take a ``prefix`` ("complaint__") for queries that start from a
related model.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, Q

from kesu.analysis.periods import Period
from kesu.complaints.models import MilestoneStatus
from kesu.complaints.states import State

# Not complaints in the count: a duplicate folded into another one, and a case found not to be
# a complaint for this company (不予受理). Both are reported apart.
NOT_COUNTED = (State.MERGED, State.REJECTED)


def in_period(name: str, period: Period) -> Q:
    return Q(**{f"{name}__gte": period.start, f"{name}__lt": period.end})


def received(period: Period, prefix: str = "") -> Q:
    """Received in the period: ``received_at`` (the real time the customer complained, which
    staff may give for an earlier complaint) within it, neither merged nor rejected."""
    return in_period(f"{prefix}received_at", period) & ~Q(**{f"{prefix}state__in": NOT_COUNTED})


def closed(period: Period, prefix: str = "") -> Q:
    """Closed in the period: closed now, and last closed within it (a case reopened and closed
    again counts once, in the month of its last closure)."""
    return Q(**{f"{prefix}state": State.CLOSED}) & in_period(f"{prefix}closed_at", period)


def reopened(prefix: str = "") -> Q:
    return Q(**{f"{prefix}reopen_count__gt": 0})


def repeat(prefix: str = "") -> Q:
    return Q(**{f"{prefix}is_repeat": True})


# --- deadlines (Milestone) ---------------------------------------------------------------------


def milestone_due(period: Period) -> Q:
    """Deadlines that fell due in the period: ``due_at`` (the due time in force, an approved
    extension included) within it. A deadline cancelled before it was breached (the case was
    closed, merged, rejected or reopened first) is no longer due; one cancelled after its
    breach stays, as missed."""
    return in_period("due_at", period) & ~Q(
        status=MilestoneStatus.CANCELLED, breached_at__isnull=True
    )


# Met by its due time.
MET_ON_TIME = Q(status=MilestoneStatus.MET, met_at__lte=F("due_at"))


def missed(now: datetime) -> Q:
    """Not met on time: met late, breached (the sweep's mark, kept when cancelled later), or
    still running and past due at ``now`` (the sweep may not have run yet)."""
    return ~MET_ON_TIME & (
        Q(status=MilestoneStatus.MET)
        | Q(breached_at__isnull=False)
        | Q(status=MilestoneStatus.OPEN, due_at__lt=now)
    )


EXTENDED = Q(extension_seconds__gt=0)


def breached_in(period: Period) -> Q:
    """A deadline breached during the period: due in it and not met by then (``breached_at``
    is the due time)."""
    return in_period("breached_at", period)


# --- callbacks (Callback) ----------------------------------------------------------------------


def rated(period: Period) -> Q:
    """Ratings given in the period: callbacks that reached the customer (and the customer's
    own ratings on the portal, stored as callbacks) within it."""
    return Q(reached=True) & in_period("at", period)


def satisfied(field: str, min_rating: int) -> Q:
    """Rated satisfied: ``field`` (outcome_rating / process_rating) at least the policy's
    ``callback.satisfied_min_rating`` (4 of 5 by default)."""
    return Q(**{f"{field}__gte": min_rating})
