"""The report as a document: sections of paragraphs, charts and typed tables.

Every output is drawn from this one shape — the console page and the standalone HTML file
(``render_html``), the PDF (the same HTML through WeasyPrint) and the workbook (one sheet per
section, cells typed by their column) — so the three cannot disagree about a number.
:mod:`kesu.reports.sections` fills it from the analysis data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    TEXT = "text"
    INT = "int"
    PERCENT = "percent"  # a fraction 0–1, shown as 12.5%
    HOURS = "hours"  # business hours, one decimal
    NUMBER = "number"  # any other figure, two decimals at most
    DATE = "date"


@dataclass(frozen=True)
class Column:
    label: str
    kind: Kind = Kind.TEXT


@dataclass(frozen=True)
class Cell:
    text: str
    kind: Kind
    link: str | None = None


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    # A link per row (the console's drill-down to the complaint list); None for no link.
    links: tuple[str | None, ...] = ()
    empty: str = "—"

    def cells(self) -> list[list[Cell]]:
        """The rows as HTML shows them; a row's link is on its first cell."""
        out = []
        for i, row in enumerate(self.rows):
            link = self.links[i] if i < len(self.links) else None
            out.append(
                [
                    Cell(display(value, col.kind), col.kind, link if j == 0 else None)
                    for j, (value, col) in enumerate(zip(row, self.columns, strict=True))
                ]
            )
        return out


@dataclass(frozen=True)
class Chart:
    svg: str  # markup from kesu.reports.charts; escaped there
    table: Table | None = None  # the same numbers for readers who cannot see the chart


@dataclass(frozen=True)
class Section:
    key: str  # stable id (anchors, tests)
    title: str
    paragraphs: tuple[str, ...] = ()
    charts: tuple[Chart, ...] = ()
    tables: tuple[Table, ...] = ()
    tables_first: bool = False  # the tables lead (totals before the trend chart)


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str
    generated_at: dt.datetime
    summary: tuple[str, ...]
    sections: tuple[Section, ...] = field(default_factory=tuple)

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def display(value: Any, kind: Kind) -> str:
    """A cell as the page and the PDF show it (the workbook keeps the raw number)."""
    if value is None or value == "":
        return "—"
    if kind == Kind.INT:
        return f"{int(value):,}"
    if kind == Kind.PERCENT:
        return f"{float(value) * 100:.1f}%"
    if kind == Kind.HOURS:
        return f"{float(value):.1f}"
    if kind == Kind.NUMBER:
        return f"{float(value):,.2f}".rstrip("0").rstrip(".")
    if kind == Kind.DATE and isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if kind == Kind.DATE and isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def number(value: Any) -> float | int | None:
    """A value for a numeric cell: Decimal and friends become plain numbers."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, Decimal):
        return float(value)
    return float(value)


def rows_of(items: Sequence[Any], *getters: Any) -> tuple[tuple[Any, ...], ...]:
    """Rows from objects: each getter is an attribute name or a callable."""
    return tuple(
        tuple(g(item) if callable(g) else getattr(item, g) for g in getters) for item in items
    )
