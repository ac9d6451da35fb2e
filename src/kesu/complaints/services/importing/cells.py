"""From cells to a checked ``NewComplaint``: the header, the vocabulary of codes and names,
dates, amounts, yes/no, and the row's checks (intake's own rules)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kesu.complaints.models import (
    Channel,
)
from kesu.complaints.services import intake
from kesu.complaints.services.importing.columns import (
    BY_FIELD,
    CHANNEL_ALIASES,
    COLUMNS,
    DATETIME_FORMATS,
    DEFAULT_CHANNEL,
    EARLIEST,
    HEADERS,
    NEW_COMPLAINT_FIELDS,
    NO,
    YES,
    header_key,
    max_length,
)
from kesu.complaints.services.importing.reading import file_error
from kesu.complaints.services.intake import NewComplaint
from kesu.policy.schema import PolicyDoc

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
        name = HEADERS.get(header_key(written))
        if name is None:
            ignored.append(written)
            continue
        if name in positions:
            raise file_error(
                _("Two columns give %(column)s: %(first)s and %(second)s.")
                % {"column": name, "first": headers[name], "second": written}
            )
        positions[name], headers[name] = index, written
    if not positions:
        raise file_error(_("Row 1 must hold the column names (see the template)."))
    missing = [c for c in COLUMNS if c.required and c.field not in positions]
    if "customer_phone" not in positions and "customer_email" not in positions:
        missing.append(BY_FIELD["customer_phone"])
    if missing:
        names = "、".join(f"{c.zh} ({c.field})" for c in missing)
        raise file_error(_("Columns missing: %(columns)s.") % {"columns": names})
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


def fill_cells(row: Row, cells: list[Any], layout: Layout, words: Vocabulary) -> None:
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
        limit = max_length(name) if kind in ("text", "long") else None
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


def check_row(row: Row, policy: PolicyDoc, *, now: datetime) -> NewComplaint:
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
