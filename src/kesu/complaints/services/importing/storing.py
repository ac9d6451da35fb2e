"""Duplicates and storing: one transaction, all-or-nothing or valid rows only, each good row
through intake's own path."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.accounts.models import User
from kesu.complaints.access import require_import
from kesu.complaints.errors import InvalidInput
from kesu.complaints.models import (
    Complaint,
    CustomerAccount,
    EventKind,
    Milestone,
    MilestoneStatus,
)
from kesu.complaints.services import intake
from kesu.complaints.services.change import refresh_deadline_summary
from kesu.complaints.services.events import record_event
from kesu.complaints.services.importing.cells import (
    Layout,
    Row,
    Vocabulary,
    check_row,
    fill_cells,
    layout_of,
)
from kesu.complaints.services.importing.columns import ALL_OR_NOTHING, COLUMNS, MAX_ROWS, MODES
from kesu.complaints.services.importing.reading import file_error, read_rows
from kesu.complaints.services.importing.report import ImportReport, RowError
from kesu.complaints.services.intake import ImportedRow, NewComplaint
from kesu.policy.loader import active_policy
from kesu.policy.schema import PolicyDoc

# --- duplicates --------------------------------------------------------------------------------


def _digest(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


class Duplicates:
    """Keys of the rows kept so far and look-ups of complaints stored before the import."""

    def __init__(self) -> None:
        self.seen: dict[tuple[Any, ...], int] = {}

    @staticmethod
    def key(data: NewComplaint, ref: str) -> tuple[Any, ...]:
        if ref:
            return ("ref", ref)
        contact = data.customer_phone or data.customer_email
        return ("row", contact, data.received_at, _digest(data.description))

    def earlier_row(self, key: tuple[Any, ...]) -> int | None:
        return self.seen.get(key)

    def existing(self, data: NewComplaint, ref: str) -> str | None:
        """The number of a complaint stored before that this row repeats, if any."""
        if ref:
            return (
                Complaint.objects.filter(external_ref=ref).values_list("number", flat=True).first()
            )
        contact = (
            Q(customer__phone=data.customer_phone)
            if data.customer_phone
            else Q(customer__email=data.customer_email)
        )
        # received_at is indexed: the look-up reads only complaints of that very minute.
        same_moment = Complaint.objects.filter(contact, received_at=data.received_at)
        digest = _digest(data.description)
        for number, description in same_moment.values_list("number", "description"):
            if _digest(description) == digest:
                return number
        return None

    def keep(self, key: tuple[Any, ...], row: int) -> None:
        self.seen.setdefault(key, row)


# --- storing -----------------------------------------------------------------------------------


def _settle_passed_deadlines(complaint: Complaint, *, now: datetime) -> bool:
    """Deadlines of an imported open complaint that had passed before it was recorded here
    are recorded as they stand (breached, or warned) without the sweep's messages. Returns
    whether the complaint is overdue."""
    passed = list(
        Milestone.objects.filter(complaint=complaint, status=MilestoneStatus.OPEN, due_at__lte=now)
    )
    for ms in passed:
        Milestone.objects.filter(pk=ms.pk).update(
            breached_at=ms.due_at, escalated_at=now, warned_at=ms.warned_at or now
        )
        record_event(
            complaint=complaint,
            kind=EventKind.MILESTONE_BREACHED,
            action="import",
            at=now,
            data={"milestone": ms.kind, "due_at": ms.due_at.isoformat(), "notified": False},
        )
    Milestone.objects.filter(
        complaint=complaint, status=MilestoneStatus.OPEN, warned_at__isnull=True, warn_at__lte=now
    ).update(warned_at=now)
    if not passed:
        return False
    summary = refresh_deadline_summary(complaint)
    Complaint.objects.filter(pk=complaint.pk).update(breach_count=len(passed), **summary)
    return True


class _Refused(Exception):
    """All-or-nothing found a bad row: leave the transaction without storing anything."""


@dataclass
class _Importer:
    actor: User
    policy: PolicyDoc
    report: ImportReport
    now: datetime
    words: Vocabulary
    layout: Layout | None = None
    duplicates: Duplicates = field(default_factory=Duplicates)
    accounts: dict[str, bool] = field(default_factory=dict)
    numbers: list[int] = field(default_factory=lambda: [0])  # the held counter

    def run(self, rows: Iterator[tuple[int, list[Any]]]) -> None:
        for number, cells in rows:
            if self.layout is None:
                if number != 1:
                    raise file_error(_("Row 1 must hold the column names (see the template)."))
                self.layout = layout_of(cells)
                self.report.ignored_columns = self.layout.ignored
                continue
            self.report.rows += 1
            if self.report.rows > MAX_ROWS:
                raise file_error(
                    _("The file has more than %(max)s rows: split it.") % {"max": MAX_ROWS}
                )
            self.row(number, cells)
        if self.layout is None:
            raise file_error(_("The file is empty."))

    def row(self, number: int, cells: list[Any]) -> None:
        assert self.layout is not None
        row = Row(number)
        fill_cells(row, cells, self.layout, self.words)
        data = check_row(row, self.policy, now=self.now)
        if data.account_code and not self.account_exists(data.account_code):
            # Intake would ignore an unknown code; a file naming one has a typo to fix.
            row.fail("account_code", _("Unknown customer account."))
        ref = row.values.get("external_ref", "")
        if not row.errors:
            self.check_duplicate(row, data, ref)
        if row.errors:
            self.report_errors(row)
            return
        if self.report.mode == ALL_OR_NOTHING and self.report.errors:
            return  # nothing will be stored: checking the rest is all that is left
        self.store(row, data, ref)

    def account_exists(self, code: str) -> bool:
        if code not in self.accounts:
            self.accounts[code] = CustomerAccount.objects.filter(code=code).exists()
        return self.accounts[code]

    def check_duplicate(self, row: Row, data: NewComplaint, ref: str) -> None:
        key = Duplicates.key(data, ref)
        earlier = self.duplicates.earlier_row(key)
        name = "external_ref" if ref else ""
        if earlier is not None:
            row.fail(name, _("Duplicate of row %(row)s.") % {"row": earlier})
            return
        number = self.duplicates.existing(data, ref)
        if number is not None:
            row.fail(name, _("Already recorded as complaint %(number)s.") % {"number": number})
            return
        self.duplicates.keep(key, row.number)

    def store(self, row: Row, data: NewComplaint, ref: str) -> None:
        imported = ImportedRow(
            file_name=self.report.file_name,
            row=row.number,
            ref=ref,
            closed_at=row.values.get("closed_at"),
            outcome=row.values.get("outcome", ""),
        )
        last = self.numbers[0]
        try:
            with transaction.atomic():
                complaint = intake._create(data, actor=self.actor, now=self.now, imported=imported)
                overdue = not imported.is_history and _settle_passed_deadlines(
                    complaint, now=self.now
                )
        except InvalidInput as exc:
            self.numbers[0] = last  # the row's savepoint is gone: no gap in the numbers
            # The checks above mirror intake's; anything intake still refuses is this row's.
            for name, message in (exc.details.get("errors") or {"": exc.message}).items():
                row.fail(name, str(message))
            self.report_errors(row)
            return
        self.report.created.append((row.number, complaint.number))
        self.report.closed_history += imported.is_history
        self.report.overdue += overdue

    def report_errors(self, row: Row) -> None:
        assert self.layout is not None
        order = {c.field: i for i, c in enumerate(COLUMNS)}
        for name in sorted(row.errors, key=lambda n: order.get(n, len(order))):
            self.report.errors.append(
                RowError(
                    row=row.number,
                    field=name,
                    column=self.layout.headers.get(name, ""),
                    message=str(row.errors[name]),
                )
            )


def import_complaints(
    *,
    file: IO[bytes],
    file_name: str,
    actor: User,
    mode: str = ALL_OR_NOTHING,
    now: datetime | None = None,
) -> ImportReport:
    """Check every row of an .xlsx or CSV file and store the complaints as ``mode`` says.
    Raises ``InvalidInput`` (nothing stored) when the file itself cannot be used."""
    require_import(actor)
    if mode not in MODES:
        raise InvalidInput(errors={"mode": _("Choose all_or_nothing or valid_only.")})
    now = now or timezone.now()
    policy = active_policy().doc
    name = os.path.basename(str(file_name).replace("\\", "/"))[:200] or "import"
    report = ImportReport(file_name=name, mode=mode)
    importer = _Importer(
        actor=actor, policy=policy, report=report, now=now, words=Vocabulary.of(policy)
    )
    try:
        # Today's counter is taken first and held: a second import of the same file waits
        # and then sees the first one's rows; numbers come from memory (intake.numbering_held).
        with transaction.atomic(), intake.numbering_held(timezone.localdate(now)) as numbers:
            importer.numbers = numbers
            importer.run(read_rows(file))
            if report.refused:
                raise _Refused
    except _Refused:
        report.created, report.closed_history, report.overdue = [], 0, 0
    return report
