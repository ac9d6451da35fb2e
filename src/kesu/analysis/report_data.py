"""The data of the KPIs and of the monthly analysis report (《月度客户服务分析报告》).

Frozen dataclasses of plain values (ints, floats, strings, aware datetimes in Asia/Shanghai,
lists of rows): no ORM objects, so the HTML, PDF and XLSX renderers and the JSON API read the
same thing, and ``dataclasses.asdict`` gives JSON-ready data (datetimes aside).

Conventions:

- a rate is a :class:`Ratio` (``part`` / ``whole``; ``value`` None when ``whole`` is 0 — "no
  data", never 0 %);
- durations are business hours of the policy's calendar, as floats; None when nothing was
  measured;
- labels are in the language the report was built in (the policy's ``name`` or ``name_en``);
  ``key`` is the stable code (category code, department code, user name …) to drill down with;
- lists that could grow with the data are bounded (``rows``) and carry their ``total``.

Field names are stable: renderers code against them. Definitions: docs/analysis.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

# --- building blocks --------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    """``part`` of ``whole``; ``value`` = part / whole, None when whole is 0."""

    part: int
    whole: int
    value: float | None

    @classmethod
    def of(cls, part: int, whole: int) -> Ratio:
        return cls(part=part, whole=whole, value=part / whole if whole else None)


@dataclass(frozen=True)
class DurationStats:
    """Business hours from reception to an event, over the complaints where it happened in
    the period: how many, the median and the 90th percentile (linear interpolation)."""

    count: int
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class MilestoneTimeliness:
    """One milestone kind's deadlines that fell due in the period (``kind`` "all": every kind).

    ``due`` = ``on_time`` + ``missed``; ``pending`` (running, not yet due, or paused) is not in
    the rate. ``extended`` of the due ones had an approved extension (judged against the
    extended due time); ``extended_on_time`` of those were kept. ``rate_unextended`` is the rate
    over the milestones that were never extended."""

    kind: str
    label: str
    due: int
    on_time: int
    missed: int
    pending: int
    extended: int
    extended_on_time: int
    rate: float | None
    rate_unextended: float | None


@dataclass(frozen=True)
class TargetRow:
    """A KPI against the policy's target (``targets`` in the policy). ``met`` is None when
    there is no target or no value."""

    key: str  # satisfaction_outcome, satisfaction_process, timeliness, first_response, ...
    label: str
    value: float | None
    target: float | None
    unit: Literal["ratio", "hours"]
    better: Literal["higher", "lower"]
    met: bool | None


@dataclass(frozen=True)
class KpiSummary:
    """The KPIs of SPEC §7 for one period and filter (``kesu.analysis.kpis.kpi_summary``)."""

    start: datetime
    end: datetime
    filters: dict[str, str]  # the filters applied, as given (department code, user name ...)
    received: int  # complaints received in the period (not rejected, not merged)
    closed: int  # complaints closed in the period
    timeliness: MilestoneTimeliness  # kind "all"
    timeliness_by_kind: list[MilestoneTimeliness]
    satisfaction_outcome: Ratio  # callbacks rated ≥ satisfied_min_rating / rated callbacks
    satisfaction_process: Ratio
    repeat_rate: Ratio  # repeat complaints / received
    reopen_rate: Ratio  # closed complaints reopened at least once / closed
    complaint_rate: Ratio | None  # received / business volume; None: no volume entered
    volume_kind: str | None  # "orders" or "waybills": the volume the rate is against
    first_response: DurationStats
    resolution: DurationStats  # reception → solution first communicated
    targets: list[TargetRow]


# --- the monthly report ----------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    received: int
    closed: int
    open_at_end: int  # received before the month's end and not closed/rejected/merged by then
    rejected: int  # received in the month and rejected (不予受理), not in ``received``
    merged: int  # received in the month and merged into another, not in ``received``
    previous_received: int  # the month before
    received_change: float | None  # (received - previous) / previous; None if previous is 0


@dataclass(frozen=True)
class TrendPoint:
    month: str  # "2026-10"
    received: int
    closed: int
    timeliness: float | None
    satisfaction: float | None  # outcome satisfaction


@dataclass(frozen=True)
class BreakdownRow:
    key: str
    label: str
    count: int
    share: float  # of the complaints received in the month (0 when there are none)


@dataclass(frozen=True)
class ParetoRow:
    key: str
    label: str
    count: int
    share: float
    cumulative_share: float


@dataclass(frozen=True)
class RepeatRow:
    number: str
    received_at: datetime
    customer: str
    category: str  # label
    department: str  # label, "" when not dispatched
    originals: list[str]  # numbers of the complaints it repeats


@dataclass(frozen=True)
class RepeatSection:
    total: int
    rows: list[RepeatRow]  # the latest first, at most REPORT_LIST_LIMIT


@dataclass(frozen=True)
class OverdueRow:
    number: str
    title: str
    milestone: str  # kind
    milestone_label: str
    due_at: datetime
    met_at: datetime | None  # None: not met (yet)
    department: str
    handler: str
    open_at_end: bool  # still unmet at the month's end


@dataclass(frozen=True)
class OverdueSection:
    open_at_end: int  # complaints with a deadline passed and unmet at the month's end
    breached_in_month: int  # deadlines breached (due time passed unmet) during the month
    rows: list[OverdueRow]  # the earliest due first, at most REPORT_LIST_LIMIT


@dataclass(frozen=True)
class PerformanceRow:
    """A department's or a handler's month, for appraisal. Complaints count for their current
    department and handler."""

    key: str  # department code or user name
    label: str
    received: int  # received in the month
    handled: int  # solution first communicated in the month
    closed: int  # closed in the month
    timeliness: Ratio  # their deadlines due in the month, kept
    satisfaction: Ratio  # their callbacks in the month, outcome rated satisfied
    breaches: int  # their deadlines breached in the month
    median_resolution_hours: float | None


@dataclass(frozen=True)
class ImprovementActionRow:
    """Filled by the improvement app (``kesu.analysis.sections``)."""

    key: str
    title: str
    root_cause: str  # label
    owner: str
    due_at: datetime | None
    status: str  # label
    effective: bool | None  # the effectiveness check, None until done


@dataclass(frozen=True)
class AuditRow:
    department: str  # label
    sampled: int
    audited: int
    average_score: float | None  # 0..1
    findings: int


@dataclass(frozen=True)
class AuditSection:
    """Filled by the improvement app (``kesu.analysis.sections``)."""

    rows: list[AuditRow]
    summary: str = ""


@dataclass(frozen=True)
class MonthlyReport:
    month: str  # "2026-10"
    start: datetime
    end: datetime
    language: str
    generated_at: datetime
    policy_title: str
    filters: dict[str, str]
    totals: Totals
    trend: list[TrendPoint]  # 12 months, the oldest first, ending with this month
    by_category: list[BreakdownRow]
    by_channel: list[BreakdownRow]
    by_department: list[BreakdownRow]
    by_level: list[BreakdownRow]
    by_stage: list[BreakdownRow]
    by_customer: list[BreakdownRow]  # top 20
    root_causes: list[ParetoRow]  # largest first
    root_cause_undetermined: int
    repeats: RepeatSection
    overdue: OverdueSection
    kpis: KpiSummary
    departments: list[PerformanceRow]
    people: list[PerformanceRow]
    findings: list[str]
    improvement_actions: list[ImprovementActionRow] = field(default_factory=list)
    audits: AuditSection | None = None
