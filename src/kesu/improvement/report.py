"""The improvement part of the monthly analysis report (SPEC §7: improvement actions and their
status; seed 003 §八: audit results per department).

Stable interface for the report::

    from kesu.improvement.report import sections
    s = sections(period_start, period_end)   # dates (local midnight) or aware datetimes
    s.actions.opened, s.actions.status_counts, s.actions.rows ...
    s.audits.average_score, s.audits.pass_rates, s.audits.departments ...

The period is half-open, [period_start, period_end). Everything is counted in the database
(COUNT / AVG with filters); the query count does not depend on the number of actions or items.
Labels are in the active language (call it under ``translation.override``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from kesu.improvement.models import (
    CHECKLIST,
    ActionStatus,
    Audit,
    AuditItem,
    AuditStatus,
    ImprovementAction,
)
from kesu.improvement.periods import as_moment

ROW_LIMIT = 50


@dataclass(frozen=True)
class ActionRow:
    id: int
    code: str
    title: str
    kind: str
    source: str
    status: str
    status_label: str
    owner: str
    department: str
    root_cause: str
    created_at: datetime
    due_at: datetime
    done_at: datetime | None
    overdue_at_end: bool  # live at the period's end and past its due time then
    before_count: int | None
    after_count: int | None


@dataclass(frozen=True)
class ActionSection:
    opened: int  # created in the period
    done: int  # reported done (with evidence) in the period
    effective: int  # confirmed effective in the period
    not_effective: int  # found not effective in the period
    cancelled: int  # cancelled in the period
    overdue_at_end: int  # live at the period's end and past due then
    # Current status → number, of every action opened before the period's end.
    status_counts: dict[str, int]
    rows: list[ActionRow]  # the period's actions (see _relevant), overdue first, at most 50
    rows_total: int


@dataclass(frozen=True)
class PointRate:
    point: str  # checklist field: timely, process_followed, ...
    label: str
    passed: int
    scored: int
    rate: float | None  # passed / scored; None when nothing was scored


@dataclass(frozen=True)
class DepartmentAudit:
    department: str  # code
    department_name: str
    audits: int
    completed: int
    sampled: int
    scored: int
    average_score: float | None  # 0–100
    pass_rates: list[PointRate] = field(default_factory=list)


@dataclass(frozen=True)
class AuditSection:
    """Audits of the months in the period (``Audit.month``); scores of their scored items."""

    audits: int
    completed: int
    sampled: int
    scored: int
    average_score: float | None
    pass_rates: list[PointRate]
    departments: list[DepartmentAudit]


@dataclass(frozen=True)
class ImprovementSections:
    period_start: datetime
    period_end: datetime
    actions: ActionSection
    audits: AuditSection


def _in(field_name: str, start: datetime, end: datetime) -> Q:
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})


def _live_at(moment: datetime) -> Q:
    """Opened before ``moment`` and neither done nor cancelled by then."""
    return (
        Q(created_at__lt=moment)
        & (Q(done_at__isnull=True) | Q(done_at__gte=moment))
        & (Q(cancelled_at__isnull=True) | Q(cancelled_at__gte=moment))
    )


def _relevant(start: datetime, end: datetime) -> Q:
    """Opened, done, judged or cancelled in the period, or still live at its end."""
    return (
        _in("created_at", start, end)
        | _in("done_at", start, end)
        | _in("verdict_at", start, end)
        | _in("cancelled_at", start, end)
        | _live_at(end)
    )


def action_section(
    start: datetime, end: datetime, *, departments: list[int] | None = None
) -> ActionSection:
    """``departments``: only actions of these departments (ids); None: all."""
    overdue = _live_at(end) & Q(due_at__lt=end)
    qs = ImprovementAction.objects.all()
    if departments is not None:
        qs = qs.filter(department__in=departments)
    totals = qs.aggregate(
        opened=Count("pk", filter=_in("created_at", start, end)),
        done=Count("pk", filter=_in("done_at", start, end)),
        effective=Count(
            "pk", filter=_in("verdict_at", start, end) & Q(status=ActionStatus.EFFECTIVE)
        ),
        not_effective=Count(
            "pk", filter=_in("verdict_at", start, end) & Q(status=ActionStatus.NOT_EFFECTIVE)
        ),
        cancelled=Count("pk", filter=_in("cancelled_at", start, end)),
        overdue_at_end=Count("pk", filter=overdue),
        rows_total=Count("pk", filter=_relevant(start, end)),
    )
    by_status = dict(
        qs.filter(created_at__lt=end)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    status_counts = {s: by_status.get(s, 0) for s in ActionStatus.values}
    overdue_ids = set(qs.filter(overdue).values_list("pk", flat=True)[:ROW_LIMIT])
    rows = [
        _row(a, a.pk in overdue_ids)
        for a in qs.filter(_relevant(start, end))
        .select_related("owner", "department")
        .order_by("due_at", "pk")[: ROW_LIMIT * 2]
    ]
    rows.sort(key=lambda r: (not r.overdue_at_end, r.due_at, r.id))
    return ActionSection(status_counts=status_counts, rows=rows[:ROW_LIMIT], **totals)


def _row(a: ImprovementAction, overdue: bool) -> ActionRow:
    return ActionRow(
        id=a.pk,
        code=a.code,
        title=a.title,
        kind=a.kind,
        source=a.source,
        status=a.status,
        status_label=str(a.get_status_display()),
        owner=str(a.owner),
        department=a.department.name if a.department_id else "",
        root_cause=a.root_cause,
        created_at=a.created_at,
        due_at=a.due_at,
        done_at=a.done_at,
        overdue_at_end=overdue,
        before_count=a.before_count,
        after_count=a.after_count,
    )


def _point_aggregates() -> dict[str, Count]:
    out: dict[str, Count] = {}
    for name, _label in CHECKLIST:
        out[f"{name}__passed"] = Count("pk", filter=Q(**{name: True}))
        out[f"{name}__scored"] = Count("pk", filter=Q(**{f"{name}__isnull": False}))
    return out


def _rates(values: dict[str, int]) -> list[PointRate]:
    rates = []
    for name, label in CHECKLIST:
        passed, scored = values[f"{name}__passed"], values[f"{name}__scored"]
        rates.append(
            PointRate(
                point=name,
                label=str(label),
                passed=passed,
                scored=scored,
                rate=passed / scored if scored else None,
            )
        )
    return rates


def _score(value: float | None) -> float | None:
    return round(float(value), 1) if value is not None else None


def audit_section(
    start: datetime, end: datetime, *, departments: list[int] | None = None
) -> AuditSection:
    """``departments``: only these (department ids); None: all."""
    first = timezone.localdate(start)
    last = timezone.localdate(end)
    # The months whose first day lies in the period.
    audits: QuerySet[Audit] = Audit.objects.filter(month__gte=first, month__lt=last)
    if departments is not None:
        audits = audits.filter(department__in=departments)
    items = AuditItem.objects.filter(audit__in=audits)
    per_point = _point_aggregates()
    overall = items.aggregate(
        sampled=Count("pk"),
        scored=Count("pk", filter=Q(scored_at__isnull=False)),
        average=Avg("score"),
        **per_point,
    )
    audit_counts = {
        row["department"]: row
        for row in audits.values("department").annotate(
            n=Count("pk"), completed=Count("pk", filter=Q(status=AuditStatus.COMPLETED))
        )
    }
    departments = []
    for row in (
        items.values("audit__department", "audit__department__code", "audit__department__name")
        .annotate(
            sampled=Count("pk"),
            scored=Count("pk", filter=Q(scored_at__isnull=False)),
            average=Avg("score"),
            **per_point,
        )
        .order_by("audit__department__code")
    ):
        counts = audit_counts.get(row["audit__department"], {"n": 0, "completed": 0})
        departments.append(
            DepartmentAudit(
                department=row["audit__department__code"],
                department_name=row["audit__department__name"],
                audits=counts["n"],
                completed=counts["completed"],
                sampled=row["sampled"],
                scored=row["scored"],
                average_score=_score(row["average"]),
                pass_rates=_rates(row),
            )
        )
    return AuditSection(
        audits=sum(c["n"] for c in audit_counts.values()),
        completed=sum(c["completed"] for c in audit_counts.values()),
        sampled=overall["sampled"],
        scored=overall["scored"],
        average_score=_score(overall["average"]),
        pass_rates=_rates(overall),
        departments=departments,
    )


def sections(
    period_start: date | datetime,
    period_end: date | datetime,
    *,
    departments: list[int] | None = None,
) -> ImprovementSections:
    """The improvement actions and quality audits of [period_start, period_end).

    Dates are local midnight (Asia/Shanghai): ``sections(date(2026, 10, 1), date(2026, 11,
    1))`` is October 2026. Audits count by the month they audit (``Audit.month`` inside the
    period)."""
    start, end = as_moment(period_start), as_moment(period_end)
    return ImprovementSections(
        period_start=start,
        period_end=end,
        actions=action_section(start, end, departments=departments),
        audits=audit_section(start, end, departments=departments),
    )
