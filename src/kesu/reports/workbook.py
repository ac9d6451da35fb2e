"""The report as an Excel workbook (openpyxl): a summary sheet, then one sheet per section.

Numbers are stored as numbers (a percentage as the fraction with a percent format), so they
can be summed and charted in Excel; each sheet's header row is frozen. Text that Excel would
run as a formula is stored with a leading apostrophe.
"""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kesu.reports.document import Document, Kind, Section, Table, number

FORMATS = {
    Kind.INT: "#,##0",
    Kind.PERCENT: "0.0%",
    Kind.HOURS: "0.0",
    Kind.NUMBER: "#,##0.00",
    Kind.DATE: "yyyy-mm-dd",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HEADER = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DCE6F2")
TITLE = Font(bold=True, size=13)
BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_title(title: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique (case-insensitive)."""
    base = BAD_SHEET_CHARS.sub(" ", title).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def _cell_value(value: Any, kind: Kind) -> Any:
    if kind in (Kind.INT, Kind.PERCENT, Kind.HOURS, Kind.NUMBER):
        return number(value)
    if kind == Kind.DATE:
        if hasattr(value, "tzinfo") and value.tzinfo is not None:
            return value.replace(tzinfo=None)  # Excel has no time zones; shown as local
        return value
    if value is None:
        return None
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _write_table(ws: Worksheet, table: Table, row: int, *, freeze: bool) -> int:
    """Writes the table's title, header and rows from ``row``; returns the next free row."""
    if table.title:
        ws.cell(row=row, column=1, value=table.title).font = TITLE
        row += 1
    for j, col in enumerate(table.columns, start=1):
        cell = ws.cell(row=row, column=j, value=col.label)
        cell.font, cell.fill = HEADER, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    if freeze:
        ws.freeze_panes = ws.cell(row=row + 1, column=1)
    row += 1
    for values in table.rows:
        for j, (value, col) in enumerate(zip(values, table.columns, strict=True), start=1):
            cell = ws.cell(row=row, column=j, value=_cell_value(value, col.kind))
            if col.kind in FORMATS:
                cell.number_format = FORMATS[col.kind]
        row += 1
    return row + 1


def _widths(ws: Worksheet) -> None:
    widths: dict[int, int] = {}
    for cells in ws.iter_rows():
        for cell in cells:
            if cell.value is None or cell.font == TITLE:  # titles may overflow
                continue
            text = str(cell.value)
            # CJK characters are about twice as wide as Latin ones.
            width = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
            widths[cell.column] = min(max(widths.get(cell.column, 8), width + 2), 60)
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = width


def _section_sheet(wb: Workbook, section: Section, taken: set[str]) -> None:
    ws = wb.create_sheet(sheet_title(section.title, taken))
    tables = [*section.tables, *(c.table for c in section.charts if c.table is not None)]
    row = 1
    if not tables:
        ws.cell(row=1, column=1, value=section.title).font = TITLE
        for k, text in enumerate(section.paragraphs, start=2):
            ws.cell(row=k, column=1, value=text)
        return
    # The first table's header is frozen: the sheet's main table starts at the top.
    for k, table in enumerate(tables):
        row = _write_table(ws, table, row, freeze=k == 0)
    for text in section.paragraphs:
        ws.cell(row=row, column=1, value=text)
        row += 1
    _widths(ws)


def render_xlsx(doc: Document) -> bytes:
    wb = Workbook()
    summary = wb.active
    taken: set[str] = set()
    summary.title = sheet_title(_("Summary"), taken)
    summary.cell(row=1, column=1, value=doc.title).font = Font(bold=True, size=14)
    summary.cell(row=2, column=1, value=doc.subtitle)
    summary.cell(
        row=3, column=1, value=doc.generated_at.replace(tzinfo=None)
    ).number_format = "yyyy-mm-dd hh:mm"
    for k, text in enumerate(doc.summary, start=5):
        summary.cell(row=k, column=1, value=text)
    summary.column_dimensions["A"].width = 100
    summary.freeze_panes = "A4"
    for section in doc.sections:
        _section_sheet(wb, section, taken)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
