"""Report sections other apps fill (improvement actions, quality audits).

An app appends a builder to :data:`SECTION_BUILDERS` in its ``AppConfig.ready()``::

    from kesu.analysis.sections import SECTION_BUILDERS

    def improvement_sections(ctx: SectionContext) -> dict[str, object]:
        return {"improvement_actions": [...], "audits": AuditSection(...)}

    SECTION_BUILDERS.append(improvement_sections)

Each builder gets the month being reported and returns values for fields of
:class:`~kesu.analysis.report_data.MonthlyReport` it owns (``improvement_actions``,
``audits``); the report is built with them. Builders must query in bulk (a constant number of
queries), like the rest of the report, and may add findings sentences (``findings``: appended).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kesu.analysis.filters import Filters
from kesu.analysis.periods import Period

# Fields a section builder may fill.
OPEN_FIELDS = frozenset({"improvement_actions", "audits", "findings"})


@dataclass(frozen=True)
class SectionContext:
    period: Period
    filters: Filters
    now: datetime
    language: str


SectionBuilder = Callable[[SectionContext], dict[str, Any]]

SECTION_BUILDERS: list[SectionBuilder] = []


def run_section_builders(ctx: SectionContext) -> dict[str, Any]:
    """The fields the registered builders fill; ``findings`` lists are concatenated."""
    filled: dict[str, Any] = {}
    for builder in SECTION_BUILDERS:
        for name, value in builder(ctx).items():
            if name not in OPEN_FIELDS:
                raise ValueError(f"section builder {builder!r} may not set {name!r}")
            if name == "findings":
                filled.setdefault("findings", []).extend(value)
            else:
                filled[name] = value
    return filled
