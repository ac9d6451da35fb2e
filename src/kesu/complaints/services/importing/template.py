"""The downloadable template: the header row, and a sheet describing every column with the
active policy's allowed values."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kesu.complaints.errors import InvalidInput
from kesu.complaints.models import (
    Channel,
)
from kesu.complaints.services.importing.columns import COLUMNS, Column, max_length
from kesu.policy.loader import active_policy
from kesu.policy.schema import PolicyDoc

# --- the template ------------------------------------------------------------------------------


def _allowed(column: Column, policy: PolicyDoc) -> str:
    def listed(items: Iterable[tuple[str, str]]) -> str:
        return "\n".join(f"{code} — {name}" for code, name in items)

    if column.kind == "category":
        return listed((c.code, _local(c)) for c in policy.categories)
    if column.kind == "level":
        return listed((lv.code, _local(lv)) for lv in policy.levels)
    if column.kind == "channel":
        labels = dict(Channel.choices)
        return listed((code, str(labels.get(code, code))) for code in policy.channels)
    if column.kind == "datetime":
        return "2026-10-05 14:30 / 2026/10/5 14:30 / 2026年10月5日 14:30"
    if column.kind == "bool":
        return "是 / 否"
    if column.kind == "decimal":
        return "0.00"
    limit = max_length(column.field)
    return _("at most %(max_length)s characters") % {"max_length": limit} if limit else ""


def _local(item: Any) -> str:
    english = not (translation.get_language() or "zh-hans").startswith("zh")
    return item.name_en if english and item.name_en else item.name


def _required(column: Column) -> str:
    if column.required:
        return pgettext("import column", "required")
    if column.field in ("customer_phone", "customer_email"):
        return _("phone or email")
    return _("optional")


def template_header(lang: str) -> list[str]:
    english = not lang.startswith("zh")
    return [c.field if english else c.zh for c in COLUMNS]


def build_template(lang: str, fmt: str = "xlsx") -> bytes:
    """The import template in ``lang``: the header row (Chinese or English names), and for
    .xlsx a second sheet describing every column with the active procedure's allowed values.
    The CSV variant is the header row, UTF-8 with the BOM Excel needs to show Chinese."""
    with translation.override(lang):
        header = template_header(lang)
        if fmt == "csv":
            out = io.StringIO()
            csv.writer(out).writerow(header)
            return out.getvalue().encode("utf-8-sig")
        if fmt != "xlsx":
            raise InvalidInput(errors={"format": _("Choose xlsx or csv.")})
        return _template_xlsx(header, active_policy().doc)


def _template_xlsx(header: list[str], policy: PolicyDoc) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    data = wb.active
    data.title = _("Complaints")[:31]
    data.append(header)
    for index, column in enumerate(COLUMNS, start=1):
        cell = data.cell(row=1, column=index)
        cell.font = Font(bold=column.required)
        data.column_dimensions[cell.column_letter].width = 18
    data.freeze_panes = "A2"
    doc = wb.create_sheet(_("Columns")[:31])
    doc.append(
        [
            _("Column (中文)"),
            _("Column (English)"),
            _("Required"),
            _("Meaning"),
            _("Format or allowed values"),
            _("Example"),
        ]
    )
    for column in COLUMNS:
        doc.append(
            [
                column.zh,
                column.field,
                _required(column),
                str(column.help),
                _allowed(column, policy),
                column.example,
            ]
        )
    for letter, width in zip("ABCDEF", (14, 18, 12, 48, 40, 24), strict=True):
        doc.column_dimensions[letter].width = width
    for row in doc.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in doc[1]:
        cell.font = Font(bold=True)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
