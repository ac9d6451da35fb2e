"""The dashboard's figures (SPEC §7, the simple part): today's deadlines, this week's breaches
and this month's basic KPIs, each over the complaints a reader may see and computed by the
database (aggregates, bounded lists). The monthly analysis with breakdowns and targets is a
separate, fuller module.

The month's KPIs are about a department member's own department (their figures, and what the
database can find by the department index), and about everything else a reader may see for
the other roles (:func:`kpi_complaints`). Deadlines and breaches cover all a reader may see.

Periods are calendar periods in the site's time zone (Asia/Shanghai): the day, the week from
Monday 00:00, the month from the 1st 00:00. Every function takes ``now``.

Definitions: received, closed and satisfaction are the analysis's own
(:mod:`kesu.analysis.rules`, docs/analysis.md), so the dashboard and the monthly report agree.
The dashboard's deadline figure is its own, and says so: of the deadlines *met* this month,
the share met by their due time (the report's timeliness KPI counts the deadlines *due* in the
month, missed ones included).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from kesu.accounts.models import User
from kesu.analysis import rules
from kesu.analysis.periods import Period
from kesu.complaints.access import DEPARTMENT_ROLES, visible_complaints
from kesu.complaints.models import (
    Callback,
    Complaint,
    Event,
    EventKind,
    Milestone,
    MilestoneStatus,
)

LIST_LIMIT = 20


def _midnight(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def day_bounds(now: datetime) -> tuple[datetime, datetime]:
    today = timezone.localtime(now).date()
    return _midnight(today), _midnight(today + timedelta(days=1))


def week_bounds(now: datetime) -> tuple[datetime, datetime]:
    today = timezone.localtime(now).date()
    monday = today - timedelta(days=today.weekday())
    return _midnight(monday), _midnight(monday + timedelta(days=7))


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    first = timezone.localtime(now).date().replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return _midnight(first), _midnight(following)


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Listing:
    """The first rows of a list and how many there are in all."""

    rows: list
    total: int

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.rows))


def deadlines_today(visible: QuerySet[Complaint], *, now: datetime) -> Listing:
    """Running milestones due today and not (yet) breached, nearest first. Breached ones are
    in the overdue queue and this week's breaches."""
    start, end = day_bounds(now)
    qs = Milestone.objects.filter(
        complaint__in=visible,
        status=MilestoneStatus.OPEN,
        breached_at__isnull=True,
        due_at__gte=start,
        due_at__lt=end,
    )
    rows = list(
        qs.select_related("complaint", "complaint__handler").order_by("due_at", "id")[:LIST_LIMIT]
    )
    total = qs.count()
    return Listing(rows, total)


def breaches_this_week(visible: QuerySet[Complaint], *, now: datetime) -> Listing:
    """Deadline breaches recorded this week (the sweep's escalation events), latest first.
    ``row.data`` holds the milestone kind and its due time."""
    start, end = week_bounds(now)
    qs = Event.objects.filter(
        complaint__in=visible, kind=EventKind.MILESTONE_BREACHED, at__gte=start, at__lt=end
    )
    rows = list(qs.select_related("complaint").order_by("-at", "-id")[:LIST_LIMIT])
    total = qs.count()
    return Listing(rows, total)


def kpi_department_id(user: User) -> int | None:
    """The department whose figures a handler or manager sees; None: all they may see."""
    return user.department_id if user.role in DEPARTMENT_ROLES else None


def kpi_complaints(user: User) -> QuerySet[Complaint]:
    """The complaints the month's KPIs are about: a handler's or manager's department (a
    subset of what they may see), everything visible for the other roles."""
    visible = visible_complaints(user)
    department = kpi_department_id(user)
    return visible.filter(department=department) if department else visible


@dataclass(frozen=True)
class MonthKpis:
    start: datetime
    end: datetime
    received: int
    closed: int
    milestones_met: int
    met_on_time: int
    rated: int
    outcome_satisfied: int
    process_satisfied: int

    @property
    def timeliness(self) -> float | None:
        return rate(self.met_on_time, self.milestones_met)

    @property
    def outcome_satisfaction(self) -> float | None:
        return rate(self.outcome_satisfied, self.rated)

    @property
    def process_satisfaction(self) -> float | None:
        return rate(self.process_satisfied, self.rated)


def month_kpis(
    visible: QuerySet[Complaint], *, now: datetime, satisfied_min_rating: int = 4
) -> MonthKpis:
    """This month's figures in four aggregate queries."""
    start, end = month_bounds(now)
    period = Period(start, end)
    received = visible.filter(rules.received(period)).count()
    closed = visible.filter(rules.closed(period)).count()
    met = Milestone.objects.filter(
        complaint__in=visible, met_at__gte=start, met_at__lt=end
    ).aggregate(total=Count("pk"), on_time=Count("pk", filter=rules.MET_ON_TIME))
    threshold = satisfied_min_rating
    rated = (
        Callback.objects.filter(complaint__in=visible)
        .filter(rules.rated(period))
        .aggregate(
            total=Count("pk"),
            outcome=Count("pk", filter=rules.satisfied("outcome_rating", threshold)),
            process=Count("pk", filter=rules.satisfied("process_rating", threshold)),
        )
    )
    return MonthKpis(
        start=start,
        end=end,
        received=received,
        closed=closed,
        milestones_met=met["total"],
        met_on_time=met["on_time"],
        rated=rated["total"],
        outcome_satisfied=rated["outcome"],
        process_satisfied=rated["process"],
    )
