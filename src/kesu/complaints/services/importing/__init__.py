"""Importing complaints from Excel (.xlsx) or CSV (SPEC §8): a documented column layout, every
row checked, a row-by-row error report, all-or-nothing or valid rows only.

The layout (``COLUMNS``; printed in ``docs/import.md`` and in the template's second sheet):
row 1 holds the column names, Chinese or English (``客户姓名`` or ``customer_name``), in any
order; unknown columns are reported and ignored. Rows are numbered as the spreadsheet shows
them (header = row 1); empty rows are skipped. Only the first sheet of a workbook is read.

Decisions:

- **Same path as any complaint.** Each good row becomes a ``NewComplaint`` and goes through
  ``intake._create`` (validation, customer, grading, numbering, repeats, events, outbox), with
  an ``intake.ImportedRow`` that records the file name, row and original number on the
  creation event. The row checks call ``intake.validate``: the same rules and messages.
- **Original timestamps.** ``received_at`` is required and kept as given (a naive time is
  Asia/Shanghai). Deadlines run from it.
- **Open rows** (no ``closed_at``) are open complaints, recorded like any intake: the customer
  is sent the acknowledgment with the number. Their received time may be at most a year ago
  (``intake.MAX_BACKDATE``). Deadlines that had already passed when the row is imported are
  recorded as breached (warnings as given) *without* the sweep's messages: nobody could act on
  them in kesu, and an import of thousands of rows must not flood managers and executives.
  The overdue queue shows these complaints and the report counts them.
- **Closed history** (a ``closed_at``, optionally an ``outcome``): recorded closed at that
  time (close reason ``imported``), with no deadlines, batch alerts or messages; any age.
  Reports count it by its received and closed times.
- **Duplicates.** A row with an original number (``external_ref``) is a duplicate of an
  earlier row of the file with the same number, or of a complaint imported before with it.
  A row without one is a duplicate when the contact (phone, else email), the received time
  and the description (whitespace-insensitive) are those of an earlier row or an existing
  complaint. A duplicate is an error: re-importing a file stores nothing twice.
- **Modes.** ``all_or_nothing``: any bad row and nothing is stored. ``valid_only``: the good
  rows are stored, the bad ones reported. Either way one transaction: a file that cannot be
  read to its end stores nothing.
- **Size.** Rows are streamed (openpyxl read-only, CSV line by line) and stored as they are
  checked, so memory holds the report and the duplicate keys, not the file; at most
  ``MAX_ROWS`` rows per file. Concurrent imports are serialised on today's number counter,
  which every creation locks anyway, so two imports of one file cannot both store it.
"""

from kesu.complaints.services.importing.cells import parse_moment
from kesu.complaints.services.importing.columns import (
    ALL_OR_NOTHING,
    COLUMNS,
    MAX_ROWS,
    MODES,
    VALID_ONLY,
)
from kesu.complaints.services.importing.report import ImportReport
from kesu.complaints.services.importing.storing import import_complaints
from kesu.complaints.services.importing.template import build_template

__all__ = [
    "ALL_OR_NOTHING",
    "COLUMNS",
    "MAX_ROWS",
    "MODES",
    "VALID_ONLY",
    "ImportReport",
    "build_template",
    "import_complaints",
    "parse_moment",
]
