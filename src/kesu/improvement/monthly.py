"""The improvement actions and quality audits in the monthly report: this app's section
builder for ``kesu.analysis.sections`` (registered in ``apps.py``), turning
:func:`kesu.improvement.report.sections` into the report's own rows."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kesu.analysis.report_data import AuditRow, AuditSection, ImprovementActionRow
from kesu.analysis.sections import SectionContext
from kesu.improvement.models import ActionStatus
from kesu.improvement.report import ImprovementSections, sections
from kesu.policy.loader import active_policy

VERDICTS = {ActionStatus.EFFECTIVE: True, ActionStatus.NOT_EFFECTIVE: False}


def monthly_sections(ctx: SectionContext) -> dict[str, Any]:
    departments = [ctx.filters.department_id] if ctx.filters.department_id else None
    found = sections(ctx.period.start, ctx.period.end, departments=departments)
    with translation.override(ctx.language):
        return {
            "improvement_actions": _action_rows(found),
            "audits": _audit_section(found),
            "findings": _findings(found),
        }


def _root_cause_names() -> dict[str, str]:
    english = (translation.get_language() or "").startswith("en")
    doc = active_policy().doc
    return {r.code: (r.name_en or r.name) if english else r.name for r in doc.root_causes}


def _action_rows(found: ImprovementSections) -> list[ImprovementActionRow]:
    causes = _root_cause_names()
    return [
        ImprovementActionRow(
            key=row.code,
            title=row.title,
            root_cause=causes.get(row.root_cause, row.root_cause),
            owner=row.owner,
            due_at=row.due_at,
            status=str(ActionStatus(row.status).label),
            effective=VERDICTS.get(row.status),
        )
        for row in found.actions.rows
    ]


def _audit_section(found: ImprovementSections) -> AuditSection | None:
    audits = found.audits
    if not audits.audits:
        return None
    rows = [
        AuditRow(
            department=d.department_name,
            sampled=d.sampled,
            audited=d.scored,
            average_score=d.average_score / 100 if d.average_score is not None else None,
            # Checklist points failed: what the auditors found wanting.
            findings=sum(p.scored - p.passed for p in d.pass_rates),
        )
        for d in audits.departments
    ]
    weakest = min(
        (p for p in audits.pass_rates if p.rate is not None), key=lambda p: p.rate, default=None
    )
    summary = ""
    if weakest is not None and weakest.rate < 1:
        summary = _(
            "%(audited)s of %(sampled)s sampled complaints audited; the weakest checklist point "
            "is “%(point)s”, passed in %(rate).0f%% of the cases."
        ) % {
            "audited": audits.scored,
            "sampled": audits.sampled,
            "point": weakest.label,
            "rate": weakest.rate * 100,
        }
    return AuditSection(rows=rows, summary=summary)


def _findings(found: ImprovementSections) -> list[str]:
    actions = found.actions
    if not actions.overdue_at_end:
        return []
    return [
        ngettext(
            "%(count)s improvement action was overdue at the end of the month.",
            "%(count)s improvement actions were overdue at the end of the month.",
            actions.overdue_at_end,
        )
        % {"count": actions.overdue_at_end}
    ]
