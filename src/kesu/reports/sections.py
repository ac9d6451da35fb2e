"""The monthly report's sections, from the analysis data (:mod:`kesu.analysis.report_data`) to
the document every output draws (:mod:`kesu.reports.document`).

This is the only module that knows both shapes. The section keys are stable (anchors, sheet
order, tests); titles and column headings are translated. ``links`` (console pages only)
turns a breakdown row into a link to the complaint list filtered by it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.analysis.report_data import (
    BreakdownRow,
    MonthlyReport,
    PerformanceRow,
    Ratio,
    TargetRow,
)
from kesu.reports import charts
from kesu.reports.document import Chart, Column, Document, Kind, Section, Table


@dataclass(frozen=True)
class Links:
    """Where the console's drill-downs go. ``complaints(**filters)`` is the complaint list
    filtered (list filter names: category, channel, department, level, received_from …);
    ``complaint(number)`` one complaint's page."""

    complaints: Callable[..., str]
    complaint: Callable[[str], str]


def month_label(month: str) -> str:
    year, mon = month.split("-")
    return _("%(year)s-%(month)s") % {"year": year, "month": mon}


def _ratio(r: Ratio | None) -> float | None:
    return None if r is None else r.value


def _local(value: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(value) if value else None


# --- sections ---------------------------------------------------------------------------------


def _overview(report: MonthlyReport) -> Section:
    t = report.totals
    totals = Table(
        title=_("Totals"),
        columns=(Column(_("Figure")), Column(_("Count"), Kind.INT)),
        rows=(
            (_("Received"), t.received),
            (_("Received the month before"), t.previous_received),
            (_("Closed"), t.closed),
            (_("Open at the end of the month"), t.open_at_end),
            (_("Not accepted"), t.rejected),
            (_("Merged"), t.merged),
        ),
    )
    # A percentage among counts: its own table keeps each column of one kind.
    change = Table(
        title="",
        columns=(
            Column(_("Compared with the month before")),
            Column(_("Change against the month before"), Kind.PERCENT),
        ),
        rows=((_("Received"), t.received_change),),
    )
    svg = charts.trend(
        "trend",
        title=_("Complaints by month"),
        desc=_("Complaints received per month, with timeliness and satisfaction rates."),
        labels=[p.month[2:] for p in report.trend],  # "26-10": twelve labels fit
        bars=charts.Series(_("Received"), [p.received for p in report.trend]),
        lines=(
            charts.Series(_("Timeliness"), [p.timeliness for p in report.trend]),
            charts.Series(_("Satisfaction"), [p.satisfaction for p in report.trend]),
        ),
    )
    trend_table = Table(
        title=_("Trend over the last months"),
        columns=(
            Column(_("Month")),
            Column(_("Received"), Kind.INT),
            Column(_("Closed"), Kind.INT),
            Column(_("Timeliness"), Kind.PERCENT),
            Column(_("Satisfaction"), Kind.PERCENT),
        ),
        rows=tuple(
            (p.month, p.received, p.closed, p.timeliness, p.satisfaction) for p in report.trend
        ),
    )
    return Section(
        key="overview",
        title=_("Totals and trend"),
        tables_first=True,
        tables=(totals, change),
        charts=(Chart(svg, trend_table),),
    )


def _breakdown(
    report: MonthlyReport,
    key: str,
    title: str,
    heading: str,
    rows: Sequence[BreakdownRow],
    *,
    links: Links | None,
    filter_name: str | None,
) -> Section:
    def href(row: BreakdownRow) -> str | None:
        if links is None or filter_name is None or not row.key:
            return None
        return links.complaints(**{filter_name: row.key})

    hrefs = tuple(href(r) for r in rows)
    svg = charts.hbars(
        key,
        title=title,
        desc=_("Complaints received in %(month)s by %(what)s.")
        % {"month": report.month, "what": heading},
        data=[charts.Datum(r.label or r.key, r.count, h) for r, h in zip(rows, hrefs, strict=True)],
    )
    table = Table(
        title=title,
        columns=(
            Column(heading),
            Column(_("Complaints"), Kind.INT),
            Column(_("Share"), Kind.PERCENT),
        ),
        rows=tuple((r.label or r.key, r.count, r.share) for r in rows),
        links=hrefs,
    )
    return Section(key=key, title=title, charts=(Chart(svg, table),))


def _pareto(report: MonthlyReport, links: Links | None) -> Section:
    rows = report.root_causes
    svg = charts.pareto(
        "pareto",
        title=_("Root causes (Pareto)"),
        desc=_(
            "Root causes of the complaints, largest first, with the cumulative share; "
            "the causes before the 80 percent line account for most complaints."
        ),
        data=[charts.Datum(r.label or r.key, r.count) for r in rows],
    )
    table = Table(
        title=_("Root causes"),
        columns=(
            Column(_("Root cause")),
            Column(_("Complaints"), Kind.INT),
            Column(_("Share"), Kind.PERCENT),
            Column(_("Cumulative share"), Kind.PERCENT),
        ),
        rows=tuple((r.label or r.key, r.count, r.share, r.cumulative_share) for r in rows),
    )
    note = _("Complaints without a determined root cause: %(n)s.") % {
        "n": report.root_cause_undetermined
    }
    return Section(
        key="root_causes",
        title=_("Root causes (Pareto)"),
        paragraphs=(note,),
        charts=(Chart(svg, table),),
    )


def _repeats(report: MonthlyReport, links: Links | None) -> Section:
    rows = report.repeats.rows
    table = Table(
        title=_("Repeat complaints"),
        columns=(
            Column(_("Number")),
            Column(_("Received at"), Kind.DATE),
            Column(_("Customer")),
            Column(_("Category")),
            Column(_("Department")),
            Column(_("Repeats")),
        ),
        rows=tuple(
            (
                r.number,
                _local(r.received_at),
                r.customer,
                r.category,
                r.department,
                "、".join(r.originals),
            )
            for r in rows
        ),
        links=tuple(links.complaint(r.number) if links else None for r in rows),
    )
    note = _("Repeat complaints received: %(total)s (%(shown)s listed).") % {
        "total": report.repeats.total,
        "shown": len(rows),
    }
    return Section(key="repeats", title=_("Repeat complaints"), paragraphs=(note,), tables=(table,))


def _overdue(report: MonthlyReport, links: Links | None) -> Section:
    o = report.overdue
    table = Table(
        title=_("Overdue deadlines"),
        columns=(
            Column(_("Number")),
            Column(_("Title")),
            Column(_("Deadline")),
            Column(_("Due at"), Kind.DATE),
            Column(_("Met at"), Kind.DATE),
            Column(_("Department")),
            Column(_("Handler")),
            Column(_("Still open at month end")),
        ),
        rows=tuple(
            (
                r.number,
                r.title,
                r.milestone_label or r.milestone,
                _local(r.due_at),
                _local(r.met_at),
                r.department,
                r.handler,
                _("Yes") if r.open_at_end else _("No"),
            )
            for r in o.rows
        ),
        links=tuple(links.complaint(r.number) if links else None for r in o.rows),
    )
    note = _(
        "Deadlines breached during the month: %(breached)s. "
        "Complaints overdue at the end of the month: %(open)s."
    ) % {"breached": o.breached_in_month, "open": o.open_at_end}
    return Section(key="overdue", title=_("Overdue cases"), paragraphs=(note,), tables=(table,))


def _kpis(report: MonthlyReport) -> Section:
    k = report.kpis
    bullets = []
    for row in k.targets:
        is_ratio = row.unit == "ratio"
        fmt = charts.percent if is_ratio else (lambda v: _("%(h)s h") % {"h": f"{v:.1f}"})
        bullets.append(
            Chart(
                charts.bullet(
                    f"kpi-{row.key}",
                    title=row.label,
                    actual=row.value,
                    target=row.target,
                    higher_is_better=row.better == "higher",
                    scale=1.0 if is_ratio and row.better == "higher" else None,
                    fmt=fmt,
                    target_label=_("Target"),
                )
            )
        )

    def met(row: TargetRow) -> str:
        return {True: _("Target met"), False: _("Target missed"), None: "—"}[row.met]

    targets = Table(
        title=_("KPIs against targets"),
        columns=(
            Column(_("KPI")),
            Column(_("Actual"), Kind.NUMBER),
            Column(_("Target"), Kind.NUMBER),
            Column(_("Unit")),
            Column(_("Result")),
        ),
        rows=tuple(
            (
                row.label,
                None
                if row.value is None
                else (row.value * 100 if row.unit == "ratio" else row.value),
                None
                if row.target is None
                else (row.target * 100 if row.unit == "ratio" else row.target),
                "%" if row.unit == "ratio" else _("hours"),
                met(row),
            )
            for row in k.targets
        ),
    )
    rates = Table(
        title=_("Rates"),
        columns=(
            Column(_("KPI")),
            Column(_("Count"), Kind.INT),
            Column(_("Out of"), Kind.INT),
            Column(_("Rate"), Kind.PERCENT),
        ),
        rows=tuple(
            (label, r.part, r.whole, r.value)
            for label, r in (
                (_("Timeliness"), _timeliness_ratio(report)),
                (_("Satisfaction with the outcome"), k.satisfaction_outcome),
                (_("Satisfaction with the handling"), k.satisfaction_process),
                (_("Repeat complaint rate"), k.repeat_rate),
                (_("Reopen rate"), k.reopen_rate),
                (_("Complaint rate"), k.complaint_rate),
            )
            if r is not None
        ),
    )
    timeliness = Table(
        title=_("Timeliness by deadline"),
        columns=(
            Column(_("Deadline")),
            Column(_("Due"), Kind.INT),
            Column(_("On time"), Kind.INT),
            Column(_("Missed"), Kind.INT),
            Column(_("Extended"), Kind.INT),
            Column(_("Rate"), Kind.PERCENT),
            Column(_("Rate without extensions"), Kind.PERCENT),
        ),
        rows=tuple(
            (m.label or m.kind, m.due, m.on_time, m.missed, m.extended, m.rate, m.rate_unextended)
            for m in [*k.timeliness_by_kind, k.timeliness]
        ),
    )
    durations = Table(
        title=_("Response and resolution times (business hours)"),
        columns=(
            Column(_("Measure")),
            Column(_("Complaints"), Kind.INT),
            Column(_("Median"), Kind.HOURS),
            Column(_("90th percentile"), Kind.HOURS),
        ),
        rows=(
            (
                _("First response"),
                k.first_response.count,
                k.first_response.median_hours,
                k.first_response.p90_hours,
            ),
            (
                _("Resolution"),
                k.resolution.count,
                k.resolution.median_hours,
                k.resolution.p90_hours,
            ),
        ),
    )
    paragraphs = ()
    if k.complaint_rate is None:
        paragraphs = (_("No business volume was entered for this month: no complaint rate."),)
    return Section(
        key="kpis",
        title=_("KPIs against targets"),
        paragraphs=paragraphs,
        charts=tuple(bullets),
        tables=(targets, rates, timeliness, durations),
    )


def _timeliness_ratio(report: MonthlyReport) -> Ratio:
    t = report.kpis.timeliness
    return Ratio(part=t.on_time, whole=t.due, value=t.rate)


def _performance(key: str, title: str, heading: str, rows: Sequence[PerformanceRow]) -> Section:
    table = Table(
        title=title,
        columns=(
            Column(heading),
            Column(_("Received"), Kind.INT),
            Column(_("Handled"), Kind.INT),
            Column(_("Closed"), Kind.INT),
            Column(_("Deadlines due"), Kind.INT),
            Column(_("Timeliness"), Kind.PERCENT),
            Column(_("Callbacks rated"), Kind.INT),
            Column(_("Satisfaction"), Kind.PERCENT),
            Column(_("Breaches"), Kind.INT),
            Column(_("Median resolution (h)"), Kind.HOURS),
        ),
        rows=tuple(
            (
                r.label or r.key,
                r.received,
                r.handled,
                r.closed,
                r.timeliness.whole,
                r.timeliness.value,
                r.satisfaction.whole,
                r.satisfaction.value,
                r.breaches,
                r.median_resolution_hours,
            )
            for r in rows
        ),
    )
    return Section(key=key, title=title, tables=(table,))


def _improvements(report: MonthlyReport) -> Section:
    def effective(value: bool | None) -> str:
        return {True: _("Effective"), False: _("Not effective"), None: _("Not checked yet")}[value]

    rows = report.improvement_actions
    table = Table(
        title=_("Improvement actions"),
        columns=(
            Column(_("Action")),
            Column(_("Root cause")),
            Column(_("Owner")),
            Column(_("Due at"), Kind.DATE),
            Column(_("Status")),
            Column(_("Effectiveness")),
        ),
        rows=tuple(
            (r.title, r.root_cause, r.owner, _local(r.due_at), r.status, effective(r.effective))
            for r in rows
        ),
        empty=_("No improvement actions."),
    )
    return Section(key="improvements", title=_("Improvement actions"), tables=(table,))


def _audits(report: MonthlyReport) -> Section:
    audits = report.audits
    rows = audits.rows if audits else []
    table = Table(
        title=_("Quality audits"),
        columns=(
            Column(_("Department")),
            Column(_("Sampled"), Kind.INT),
            Column(_("Audited"), Kind.INT),
            Column(_("Average score"), Kind.PERCENT),
            Column(_("Findings"), Kind.INT),
        ),
        rows=tuple((r.department, r.sampled, r.audited, r.average_score, r.findings) for r in rows),
        empty=_("No quality audits this month."),
    )
    paragraphs = (audits.summary,) if audits and audits.summary else ()
    return Section(key="audits", title=_("Quality audits"), paragraphs=paragraphs, tables=(table,))


def build_document(
    report: MonthlyReport, *, scope: str = "", links: Links | None = None
) -> Document:
    """The report's document; ``scope`` names the department when the report is narrowed."""
    month = report.month

    def received_in_month(**filters: str) -> str:
        assert links is not None
        start = timezone.localtime(report.start).date()
        last = timezone.localtime(report.end).date() - dt.timedelta(days=1)
        return links.complaints(
            received_from=start.isoformat(), received_to=last.isoformat(), **filters
        )

    scoped = Links(complaints=received_in_month, complaint=links.complaint) if links else None
    breakdowns = (
        ("by_category", _("By category"), _("Category"), report.by_category, "category"),
        ("by_channel", _("By channel"), _("Channel"), report.by_channel, "channel"),
        ("by_department", _("By department"), _("Department"), report.by_department, "department"),
        ("by_level", _("By level"), _("Level"), report.by_level, "level"),
        ("by_stage", _("By business stage"), _("Business stage"), report.by_stage, None),
        ("by_customer", _("By customer"), _("Customer"), report.by_customer, None),
    )
    sections = [
        _overview(report),
        *(
            _breakdown(report, key, title, heading, rows, links=scoped, filter_name=name)
            for key, title, heading, rows, name in breakdowns
        ),
        _pareto(report, scoped),
        _repeats(report, scoped),
        _overdue(report, scoped),
        _kpis(report),
        _performance(
            "departments", _("Performance by department"), _("Department"), report.departments
        ),
        _performance("people", _("Performance by person"), _("Handler"), report.people),
        _improvements(report),
        _audits(report),
    ]
    subtitle = " · ".join(
        part
        for part in (month_label(month), scope or _("Whole company"), report.policy_title)
        if part
    )
    return Document(
        title=_("Monthly customer service analysis report"),
        subtitle=subtitle,
        generated_at=timezone.localtime(report.generated_at),
        summary=tuple(report.findings),
        sections=tuple(sections),
    )
