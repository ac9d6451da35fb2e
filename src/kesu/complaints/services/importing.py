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

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from kesu.accounts.models import User
from kesu.complaints.access import require_import
from kesu.complaints.errors import InvalidInput
from kesu.complaints.models import (
    Channel,
    Complaint,
    Customer,
    CustomerAccount,
    DailySequence,
    EventKind,
    Milestone,
    MilestoneStatus,
)
from kesu.complaints.services import intake
from kesu.complaints.services.change import refresh_deadline_summary
from kesu.complaints.services.events import record_event
from kesu.complaints.services.intake import ImportedRow, NewComplaint
from kesu.policy.loader import active_policy
from kesu.policy.schema import PolicyDoc

ALL_OR_NOTHING = "all_or_nothing"
VALID_ONLY = "valid_only"
MODES = (ALL_OR_NOTHING, VALID_ONLY)
MAX_ROWS = 100_000
EXTERNAL_REF_LENGTH = 60
# Dates before this are typing mistakes (206-10-05), not complaint history.
EARLIEST = datetime(2000, 1, 1)  # noqa: DTZ001 — compared with the naive parsed value
# The channel of a row that names none: complaint sheets are mostly kept from phone calls.
DEFAULT_CHANNEL = "hotline"
SAMPLE_BYTES = 1 << 20
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M",
    "%Y年%m月%d日 %H时%M分",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y年%m月%d日",
)
YES = frozenset({"是", "y", "yes", "true", "1", "紧急", "urgent", "✓", "√"})
NO = frozenset({"否", "n", "no", "false", "0", "不紧急", "一般"})
# Common names for channels beside their codes and labels.
CHANNEL_ALIASES = {
    "电话": "hotline",
    "热线": "hotline",
    "客服电话": "hotline",
    "网站": "web",
    "官网": "web",
    "邮件": "email",
    "app": "app",
    "在线": "chat",
    "微信群": "group_chat",
    "现场": "onsite",
    "来信": "letter",
    "12315": "platform_12315",
}


# --- the layout --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    field: str  # the English header; a NewComplaint field or one of the import's own
    zh: str  # the Chinese header
    kind: str  # text, long, datetime, decimal, bool, category, level, channel
    help: Promise
    example: str = ""
    required: bool = False
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column(
        "external_ref",
        "原编号",
        "text",
        gettext_lazy("The complaint's number in the system or register it comes from."),
        "TS-2025-0318",
        aliases=("原投诉编号", "原单号", "外部编号", "original_number"),
    ),
    Column(
        "received_at",
        "受理时间",
        "datetime",
        gettext_lazy("When the complaint was received (Beijing time)."),
        "2026-10-05 14:30",
        required=True,
        aliases=("投诉时间", "接收时间", "受理日期"),
    ),
    Column(
        "channel",
        "投诉渠道",
        "channel",
        gettext_lazy("How the complaint came in; empty: hotline."),
        "客服热线",
        aliases=("渠道",),
    ),
    Column(
        "customer_name",
        "客户姓名",
        "text",
        gettext_lazy("The customer's name, or the company's contact person."),
        "陈建国",
        required=True,
        aliases=("客户名称", "客户", "联系人", "姓名"),
    ),
    Column(
        "customer_company",
        "客户单位",
        "text",
        gettext_lazy("The customer's company."),
        "上海恒昌贸易有限公司",
        aliases=("公司", "单位", "公司名称"),
    ),
    Column(
        "customer_phone",
        "联系电话",
        "text",
        gettext_lazy("Contact phone; a phone number or an email is required."),
        "13816620001",
        aliases=("电话", "手机", "手机号", "联系方式"),
    ),
    Column(
        "customer_email",
        "电子邮箱",
        "text",
        gettext_lazy("Contact email; a phone number or an email is required."),
        "chen@example.cn",
        aliases=("邮箱", "email"),
    ),
    Column(
        "account_code",
        "客户账号",
        "text",
        gettext_lazy("The customer account's code, when the customer has one."),
        "HC-001",
        aliases=("客户编号", "客户代码"),
    ),
    Column(
        "category",
        "投诉事由",
        "category",
        gettext_lazy("The complaint's category: its code or its name in the procedure."),
        required=True,
        aliases=("投诉类别", "类别", "投诉类型", "问题类型"),
    ),
    Column(
        "level",
        "投诉级别",
        "level",
        gettext_lazy("The level: its code or name; empty: the procedure suggests one."),
        aliases=("级别", "等级"),
    ),
    Column(
        "urgent",
        "是否紧急",
        "bool",
        gettext_lazy("是 / 否 (yes / no); empty: the procedure suggests."),
        "否",
        aliases=("紧急",),
    ),
    Column(
        "title",
        "标题",
        "text",
        gettext_lazy("A short title; empty: the description's first line."),
        aliases=("投诉标题", "主题"),
    ),
    Column(
        "description",
        "投诉内容",
        "long",
        gettext_lazy("What the customer complains about."),
        "交货期延迟了一周,影响生产安排。",
        required=True,
        aliases=("问题描述", "描述", "内容", "投诉描述"),
    ),
    Column(
        "demand",
        "客户诉求",
        "long",
        gettext_lazy("What the customer asks for or expects."),
        "尽快发货",
        aliases=("诉求", "客户诉求与期望", "期望"),
    ),
    Column(
        "claimed_amount",
        "索赔金额",
        "decimal",
        gettext_lazy("The amount claimed, in CNY."),
        "500",
        aliases=("金额", "索赔金额(元)"),
    ),
    Column("order_no", "订单号", "text", gettext_lazy("Order number."), aliases=("订单编号",)),
    Column("waybill_no", "运单号", "text", gettext_lazy("Waybill number."), aliases=("运单编号",)),
    Column(
        "contract_no", "合同号", "text", gettext_lazy("Contract number."), aliases=("合同编号",)
    ),
    Column("goods", "货物", "text", gettext_lazy("The goods concerned."), aliases=("货物名称",)),
    Column(
        "product", "产品", "text", gettext_lazy("The product concerned."), aliases=("产品名称",)
    ),
    Column("batch_no", "批次号", "text", gettext_lazy("Product batch number."), aliases=("批号",)),
    Column(
        "origin", "始发地", "text", gettext_lazy("Where the shipment started."), aliases=("发货地",)
    ),
    Column("destination", "目的地", "text", gettext_lazy("Where the shipment went.")),
    Column(
        "incident_at",
        "发生时间",
        "datetime",
        gettext_lazy("When the incident happened."),
        aliases=("事发时间",),
    ),
    Column(
        "incident_place",
        "发生地点",
        "text",
        gettext_lazy("Where the incident happened."),
        aliases=("事发地点",),
    ),
    Column(
        "platform_case_no",
        "平台案件号",
        "text",
        gettext_lazy("The case number of the platform that forwarded it (e.g. 12315)."),
        aliases=("平台编号",),
    ),
    Column(
        "closed_at",
        "关闭时间",
        "datetime",
        gettext_lazy("For a case that is already closed: when. The row is then closed history."),
        aliases=("结案时间", "关闭日期"),
    ),
    Column(
        "outcome",
        "处理结果",
        "long",
        gettext_lazy("For closed history: how the case ended."),
        aliases=("处理结论", "结案说明"),
    ),
)
BY_FIELD = {c.field: c for c in COLUMNS}
NEW_COMPLAINT_FIELDS = frozenset(f.name for f in fields(NewComplaint))
# Where a text column is stored, for its length limit.
STORED_IN: dict[str, tuple[Any, str]] = {
    "customer_name": (Customer, "name"),
    "customer_company": (Customer, "company"),
    "customer_phone": (Customer, "phone"),
    "customer_email": (Customer, "email"),
    "account_code": (CustomerAccount, "code"),
}


def _header_key(text: str) -> str:
    """'Customer name *' and 'customer_name' alike; Chinese headers as written."""
    text = str(text).strip().replace("*", "")
    for mark in ("(必填)", "\uff08必填\uff09"):  # ASCII and full-width brackets
        text = text.replace(mark, "")
    return "_".join(text.casefold().replace("-", " ").split())


HEADERS: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.field, _column.zh, *_column.aliases):
        HEADERS[_header_key(_name)] = _column.field


def _max_length(name: str) -> int | None:
    if name == "external_ref":
        return EXTERNAL_REF_LENGTH
    model, attr = STORED_IN.get(name, (Complaint, name))
    try:
        return model._meta.get_field(attr).max_length
    except FieldDoesNotExist:  # a column with no stored field (outcome) has no limit
        return None


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


# --- reading the file --------------------------------------------------------------------------


def _file_error(message: str) -> InvalidInput:
    return InvalidInput(message, errors={"file": message})


def read_rows(file: IO[bytes]) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells) for every non-empty row, header first, from an .xlsx or a CSV
    file (told apart by their content, not their name)."""
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    if head.startswith(XLSX_MAGIC):
        rows: Iterable[Iterable[Any]] = _xlsx_rows(file)
    elif head.startswith(XLS_MAGIC):
        raise _file_error(_("Old Excel files (.xls) cannot be read: save it as .xlsx."))
    elif not head:
        raise _file_error(_("The file is empty."))
    else:
        rows = _csv_rows(file)
    for number, cells in enumerate(rows, start=1):
        values = list(cells)
        if any(v is not None and str(v).strip() for v in values):
            yield number, values


def _xlsx_rows(file: IO[bytes]) -> Iterator[tuple[Any, ...]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a broken file
        raise _file_error(_("The file could not be read as an Excel workbook (.xlsx).")) from None
    try:
        if not workbook.worksheets:
            raise _file_error(_("The workbook has no sheet."))
        # Missing rows come back empty, so the count is the spreadsheet's row number.
        yield from workbook.worksheets[0].iter_rows(values_only=True)
    finally:
        workbook.close()


def _csv_encoding(file: IO[bytes]) -> str:
    """UTF-8 (with or without the BOM Excel writes) or GB18030 (Chinese Excel's 'CSV')."""
    sample = file.read(SAMPLE_BYTES)
    file.seek(0)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def _csv_rows(file: IO[bytes]) -> Iterator[list[str]]:
    encoding = _csv_encoding(file)
    text = io.TextIOWrapper(io.BufferedReader(_Unclosable(file)), encoding=encoding, newline="")
    try:
        first = text.readline()
        delimiter = max(",\t;", key=first.count) if first else ","
        reader = csv.reader(_chain(first, text), delimiter=delimiter)
        yield from reader
    except UnicodeDecodeError:
        raise _file_error(_("The file is neither UTF-8 nor GB18030 text.")) from None
    except csv.Error:
        raise _file_error(_("The file could not be read as CSV.")) from None
    finally:
        text.detach()


def _chain(first: str, rest: Iterable[str]) -> Iterator[str]:
    yield first
    yield from rest


class _Unclosable(io.RawIOBase):
    """The caller's file as a raw stream the text wrapper may read but not close."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._file.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


# --- header and cells --------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    positions: dict[str, int]  # field → column index
    headers: dict[str, str]  # field → the header as written
    ignored: list[str]


def layout_of(header: list[Any]) -> Layout:
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    ignored: list[str] = []
    for index, cell in enumerate(header):
        written = "" if cell is None else str(cell).strip()
        if not written:
            continue
        name = HEADERS.get(_header_key(written))
        if name is None:
            ignored.append(written)
            continue
        if name in positions:
            raise _file_error(
                _("Two columns give %(column)s: %(first)s and %(second)s.")
                % {"column": name, "first": headers[name], "second": written}
            )
        positions[name], headers[name] = index, written
    if not positions:
        raise _file_error(_("Row 1 must hold the column names (see the template)."))
    missing = [c for c in COLUMNS if c.required and c.field not in positions]
    if "customer_phone" not in positions and "customer_email" not in positions:
        missing.append(BY_FIELD["customer_phone"])
    if missing:
        names = "、".join(f"{c.zh} ({c.field})" for c in missing)
        raise _file_error(_("Columns missing: %(columns)s.") % {"columns": names})
    return Layout(positions=positions, headers=headers, ignored=ignored)


@dataclass(frozen=True)
class Vocabulary:
    """The active procedure's codes by every name a file may use for them."""

    categories: dict[str, str]
    levels: dict[str, str]
    channels: dict[str, str]

    @classmethod
    def of(cls, policy: PolicyDoc) -> Vocabulary:
        def named(items: Iterable[Any]) -> dict[str, str]:
            names: dict[str, str] = {}
            for item in items:
                # "A级(紧急)" may be written "A级": the name before its bracket counts too.
                short = item.name.split("(")[0].split("\uff08")[0]
                for text in (item.code, item.name, item.name_en, short):
                    if text.strip():
                        names.setdefault(text.strip().casefold(), item.code)
            return names

        channels: dict[str, str] = {code: code for code in policy.channels}
        for language in ("zh-hans", "en"):
            with translation.override(language):
                for code, label in Channel.choices:
                    if code in policy.channels:
                        channels.setdefault(str(label).casefold(), code)
        for alias, code in CHANNEL_ALIASES.items():
            if code in policy.channels:
                channels.setdefault(alias, code)
        return cls(named(policy.categories), named(policy.levels), channels)

    def code(self, kind: str, value: str) -> str:
        """The code for ``value``; an unknown value is returned as it is, for the intake
        checks to call it unknown."""
        table = {"category": self.categories, "level": self.levels, "channel": self.channels}
        return table[kind].get(value.strip().casefold(), value.strip())


class CellError(ValueError):
    pass


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number typed as a number
    if isinstance(value, datetime):
        value = value.strftime("%Y-%m-%d %H:%M")
    text = str(value).strip()
    if "\x00" in text:
        raise CellError(_("Text cannot contain null characters."))
    return text


def parse_moment(value: Any) -> datetime | None:
    """A spreadsheet's date and time: an Excel date cell, an Excel day number, ISO 8601, or
    2026-10-05 14:30, 2026/10/5 14:30, 2026年10月5日 14:30 (a date alone is midnight). Naive
    times are the site's time zone (Asia/Shanghai)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time.min)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        from openpyxl.utils.datetime import from_excel

        try:
            found = from_excel(value)
        except (ValueError, OverflowError, TypeError):
            found = None
        moment = found if isinstance(found, datetime) else None
    else:
        moment = _moment_from_text(str(value))
    if moment is None or moment.replace(tzinfo=None) < EARLIEST:
        raise CellError(_("Enter a date and time such as 2026-10-05 14:30."))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _moment_from_text(text: str) -> datetime | None:
    text = " ".join(text.replace("\uff1a", ":").split())  # a full-width colon typed in Chinese
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for fmt in DATETIME_FORMATS:
        try:
            return datetime.strptime(text, fmt)  # noqa: DTZ007 — made aware by the caller
        except ValueError:
            continue
    return None


def _amount(value: Any) -> Decimal | None:
    text = _text(value)
    for noise in (",", "\uff0c", "\u00a5", "\uffe5", "元", " "):  # separators, ¥ and ￥
        text = text.replace(noise, "")
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise CellError(_("Enter a number.")) from None
    if not amount.is_finite():
        raise CellError(_("Enter a number."))
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise CellError(_("Use at most %(decimal_places)s decimal places.") % {"decimal_places": 2})
    if abs(amount) >= Decimal(10) ** 12:
        raise CellError(_("The number is too large."))
    return amount


def _yes_no(value: Any) -> bool | None:
    text = _text(value).casefold()
    if not text:
        return None
    if text in YES:
        return True
    if text in NO:
        return False
    raise CellError(_("Enter 是 (yes) or 否 (no)."))


# --- one row -----------------------------------------------------------------------------------


@dataclass
class Row:
    number: int
    values: dict[str, Any] = field(default_factory=dict)  # field → typed value
    errors: dict[str, str] = field(default_factory=dict)  # field → message

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)


def _cells(row: Row, cells: list[Any], layout: Layout, words: Vocabulary) -> None:
    """Typed values from the row's cells; a cell that cannot be read is an error."""
    for name, index in layout.positions.items():
        raw = cells[index] if index < len(cells) else None
        kind = BY_FIELD[name].kind
        try:
            if kind == "datetime":
                value: Any = parse_moment(raw)
            elif kind == "decimal":
                value = _amount(raw)
            elif kind == "bool":
                value = _yes_no(raw)
            elif kind in ("category", "level", "channel"):
                value = words.code(kind, _text(raw))
            else:
                value = _text(raw)
        except CellError as exc:
            row.fail(name, str(exc))
            continue
        limit = _max_length(name) if kind in ("text", "long") else None
        if limit is not None and len(value) > limit:
            row.fail(
                name,
                _("Ensure this value has at most %(max_length)s characters.")
                % {"max_length": limit},
            )
            continue
        row.values[name] = value


def default_channel(policy: PolicyDoc) -> str:
    return DEFAULT_CHANNEL if DEFAULT_CHANNEL in policy.channels else policy.channels[0]


def _new_complaint(row: Row, policy: PolicyDoc) -> NewComplaint:
    given = {k: v for k, v in row.values.items() if k in NEW_COMPLAINT_FIELDS and v is not None}
    for name in ("customer_name", "description"):
        given.setdefault(name, "")
    given["channel"] = given.get("channel") or default_channel(policy)
    return NewComplaint(**given)


def _check(row: Row, policy: PolicyDoc, *, now: datetime) -> NewComplaint:
    """Every rule a row must meet: intake's own (``intake.validate``) and the import's."""
    data = _new_complaint(row, policy)
    for name, message in intake.validate(data, policy, now=now, max_backdate=None).items():
        row.fail(name, message)
    for name in ("received_at", "category"):
        if name not in row.errors and not row.values.get(name):
            row.fail(name, _("This field is required."))
    closed_at = row.values.get("closed_at")
    received_at = data.received_at
    if received_at is not None and "received_at" not in row.errors:
        if closed_at is None and received_at < now - intake.MAX_BACKDATE:
            row.fail(
                "received_at",
                _(
                    "An open complaint received more than a year ago cannot be imported: "
                    "give its closing time to import it as closed history."
                ),
            )
        if closed_at is not None and closed_at < received_at:
            row.fail("closed_at", _("The closing time cannot be before the time received."))
    if closed_at is not None and closed_at > now:
        row.fail("closed_at", _("The closing time cannot be in the future."))
    if row.values.get("outcome") and closed_at is None and "closed_at" not in row.errors:
        row.fail("outcome", _("An outcome is for closed history: give the closing time too."))
    return data


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


def _lock_numbering(now: datetime) -> None:
    """Take today's number counter first: every creation locks it anyway, and holding it from
    the start makes a second import of the same file wait and then see the first one's rows."""
    day = timezone.localdate(now)
    DailySequence.objects.get_or_create(day=day)
    DailySequence.objects.select_for_update().filter(day=day).first()


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

    def run(self, rows: Iterator[tuple[int, list[Any]]]) -> None:
        for number, cells in rows:
            if self.layout is None:
                if number != 1:
                    raise _file_error(_("Row 1 must hold the column names (see the template)."))
                self.layout = layout_of(cells)
                self.report.ignored_columns = self.layout.ignored
                continue
            self.report.rows += 1
            if self.report.rows > MAX_ROWS:
                raise _file_error(
                    _("The file has more than %(max)s rows: split it.") % {"max": MAX_ROWS}
                )
            self.row(number, cells)
        if self.layout is None:
            raise _file_error(_("The file is empty."))

    def row(self, number: int, cells: list[Any]) -> None:
        assert self.layout is not None
        row = Row(number)
        _cells(row, cells, self.layout, self.words)
        data = _check(row, self.policy, now=self.now)
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
        try:
            with transaction.atomic():
                complaint = intake._create(data, actor=self.actor, now=self.now, imported=imported)
                overdue = not imported.is_history and _settle_passed_deadlines(
                    complaint, now=self.now
                )
        except InvalidInput as exc:
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
        with transaction.atomic():
            _lock_numbering(now)
            importer.run(read_rows(file))
            if report.refused:
                raise _Refused
    except _Refused:
        report.created, report.closed_history, report.overdue = [], 0, 0
    return report


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
    limit = _max_length(column.field)
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
