"""The report's summary of main findings: rule-based sentences from the numbers, in the active
language (Chinese by default, English on request). No sentence is written for a figure that is
missing (no complaints, no ratings, no target)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kesu.analysis.report_data import MonthlyReport, TargetRow


def percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def _figure(row: TargetRow, value: float) -> str:
    return percent(value) if row.unit == "ratio" else _("%(hours)s h") % {"hours": f"{value:.1f}"}


def findings_for(report: MonthlyReport, *, language: str | None = None) -> list[str]:
    """Sentences for ``report`` (``language`` is the one active while building it)."""
    t = report.totals
    month = report.month
    if t.received == 0:
        lines = [_("No complaints were received in %(month)s.") % {"month": month}]
    else:
        lines = [_total(month, t.received, t.previous_received, t.received_change)]
        if report.by_category:
            top = report.by_category[0]
            lines.append(
                _("The largest category was %(category)s: %(count)s complaints, %(share)s of all.")
                % {"category": top.label, "count": top.count, "share": percent(top.share)}
            )
    if report.root_causes:
        cause = report.root_causes[0]
        lines.append(
            _("The most frequent root cause was %(cause)s (%(share)s of the known causes).")
            % {"cause": cause.label, "share": percent(cause.share)}
        )
    rated = [d for d in report.departments if d.timeliness.whole and d.timeliness.value is not None]
    if len(rated) > 1:
        worst = min(rated, key=lambda d: (d.timeliness.value, d.key))
        lines.append(
            _("Timeliness was lowest in %(department)s: %(rate)s of %(due)s deadlines kept.")
            % {
                "department": worst.label,
                "rate": percent(worst.timeliness.value or 0),
                "due": worst.timeliness.whole,
            }
        )
    for row in report.kpis.targets:
        if row.met is False and row.value is not None and row.target is not None:
            lines.append(
                _("%(kpi)s missed its target: %(value)s against %(target)s.")
                % {
                    "kpi": row.label,
                    "value": _figure(row, row.value),
                    "target": _figure(row, row.target),
                }
            )
    if report.repeats.total:
        lines.append(
            ngettext(
                "%(count)s repeat complaint was received.",
                "%(count)s repeat complaints were received.",
                report.repeats.total,
            )
            % {"count": report.repeats.total}
        )
    if report.overdue.breached_in_month:
        lines.append(
            ngettext(
                "%(count)s deadline was missed during the month.",
                "%(count)s deadlines were missed during the month.",
                report.overdue.breached_in_month,
            )
            % {"count": report.overdue.breached_in_month}
        )
    return lines


def _total(month: str, received: int, previous: int, change: float | None) -> str:
    values = {"month": month, "count": received, "previous": previous}
    if change is None:
        return _("%(month)s: %(count)s complaints received.") % values
    if change > 0:
        return _(
            "%(month)s: %(count)s complaints received, up %(change)s on the previous month "
            "(%(previous)s)."
        ) % {**values, "change": percent(change)}
    if change < 0:
        return _(
            "%(month)s: %(count)s complaints received, down %(change)s on the previous month "
            "(%(previous)s)."
        ) % {**values, "change": percent(-change)}
    return _("%(month)s: %(count)s complaints received, as many as the previous month.") % values
