"""What an import reports: per row and column, the errors; the counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import ngettext

from kesu.complaints.services.importing.columns import ALL_OR_NOTHING

# --- the report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    field: str  # the column's English name; "" for the row as a whole
    column: str  # the header as written in the file
    message: str  # in the user's language


@dataclass
class ImportReport:
    file_name: str
    mode: str
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    created: list[tuple[int, str]] = field(default_factory=list)  # (row, number)
    closed_history: int = 0
    overdue: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def invalid(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def valid(self) -> int:
        return self.rows - self.invalid

    @property
    def stored(self) -> int:
        return len(self.created)

    @property
    def refused(self) -> bool:
        """All-or-nothing with a bad row: nothing was stored."""
        return self.mode == ALL_OR_NOTHING and bool(self.errors)

    def summary(self) -> str:
        if self.refused:
            return ngettext(
                "%(bad)s of %(rows)s row has errors: nothing was imported.",
                "%(bad)s of %(rows)s rows have errors: nothing was imported.",
                self.rows,
            ) % {"bad": self.invalid, "rows": self.rows}
        return ngettext(
            "%(stored)s of %(rows)s row imported.",
            "%(stored)s of %(rows)s rows imported.",
            self.rows,
        ) % {"stored": self.stored, "rows": self.rows}

    def as_dict(self) -> dict[str, Any]:
        return {
            "file_name": self.file_name,
            "mode": self.mode,
            "status": "refused" if self.refused else "imported",
            "message": self.summary(),
            "rows": self.rows,
            "valid": self.valid,
            "invalid": self.invalid,
            "stored": self.stored,
            "closed_history": self.closed_history,
            "overdue": self.overdue,
            "ignored_columns": self.ignored_columns,
            "errors": [
                {"row": e.row, "field": e.field, "column": e.column, "message": e.message}
                for e in self.errors
            ],
            "created": [{"row": row, "number": number} for row, number in self.created],
        }
