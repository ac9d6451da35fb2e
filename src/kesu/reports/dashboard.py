"""The console's analysis dashboard: one month under the reader's filters, as charts that
drill down to the complaint list (SPEC §7; issue 5 "dashboards").

It reuses the monthly report's sections (trend, breakdowns, Pareto, KPIs against targets) and
adds the heat map of categories by department. Filters are the analysis filters narrowed by
the access rule (a department manager's department is forced).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from kesu.analysis.access import analysis_filters
from kesu.analysis.filters import Filters, resolve_filters
from kesu.analysis.periods import Period
from kesu.analysis.report_data import MonthlyReport
from kesu.reports import charts
from kesu.reports.document import Chart, Column, Kind, Section, Table
from kesu.reports.heat import category_department_counts
from kesu.reports.sections import Links, build_document
from kesu.reports.services import monthly_data

FILTERS = ("department", "category", "channel", "level")
SECTIONS = ("overview", "by_category", "by_department", "by_channel", "by_level", "root_causes")


@dataclass(frozen=True)
class Board:
    findings: tuple[str, ...]
    kpis: Section
    sections: tuple[Section, ...]
    heat: Chart


def _heat(report: MonthlyReport, filters: Filters, links: Links) -> Chart:
    period = Period(report.start, report.end)
    heat = category_department_counts(period, filters)
    cat_names = {r.key: r.label for r in report.by_category}
    dept_names = {r.key: r.label for r in report.by_department}
    undispatched = _("Not dispatched")
    rows = [cat_names.get(c, c) for c in heat.categories]
    cols = [dept_names.get(d, d) if d else undispatched for d in heat.departments]
    values = [[heat.value(c, d) for d in heat.departments] for c in heat.categories]
    hrefs = [
        [links.complaints(category=c, department=d) if d else None for d in heat.departments]
        for c in heat.categories
    ]
    svg = charts.heatmap(
        "heat",
        title=_("Categories by department"),
        desc=_("Complaints received in the month per category (rows) and department (columns)."),
        rows=rows,
        columns=cols,
        values=values,
        hrefs=hrefs,
    )
    table = Table(
        title=_("Categories by department"),
        columns=(Column(_("Category")), *(Column(c, Kind.INT) for c in cols)),
        rows=tuple((name, *vals) for name, vals in zip(rows, values, strict=True)),
    )
    return Chart(svg, table)


def build(user: Any, month: dt.date, wanted: dict[str, str], *, links: Links) -> Board:
    """The dashboard of ``month`` for ``user`` with the filters ``wanted`` (codes)."""
    filters = analysis_filters(user, resolve_filters(**{k: wanted.get(k) or None for k in FILTERS}))
    report = monthly_data(month, filters)
    given = {k: v for k, v in filters.given.items() if k in FILTERS}

    def complaints(**more: str) -> str:
        return links.complaints(**{**given, **more})

    drill = Links(complaints=complaints, complaint=links.complaint)
    doc = build_document(report, links=drill)
    return Board(
        findings=doc.summary,
        kpis=doc.section("kpis"),
        sections=tuple(doc.section(key) for key in SECTIONS),
        heat=_heat(report, filters, _month_links(report, drill)),
    )


def _month_links(report: MonthlyReport, links: Links) -> Links:
    """Heat-map cells link to the month's complaints, like the report's breakdowns."""
    from django.utils import timezone

    start = timezone.localtime(report.start).date()
    last = timezone.localtime(report.end).date() - dt.timedelta(days=1)

    def complaints(**filters: str) -> str:
        return links.complaints(
            received_from=start.isoformat(), received_to=last.isoformat(), **filters
        )

    return Links(complaints=complaints, complaint=links.complaint)
