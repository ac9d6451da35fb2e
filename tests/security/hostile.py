"""The hostile-input catalogue, and what every input must do with each value (issue 7).

A value is tried on the fields of the kinds it applies to. Per kind it must be refused (a 4xx
that names the field, in the user's language, nothing stored), accepted (stored exactly as
sent, rendered escaped wherever it shows) or either of the two; never a 5xx.

Field kinds: ``line`` single-line free text (names, titles, order numbers), ``text`` multi-line
free text (descriptions, notes, reasons), ``code`` a value from a list (channel, category,
department …), ``format`` text with a format (phone, email), ``int``, ``number`` (amounts,
hours), ``bool``, ``moment`` (date and time), ``date``, ``month`` (YYYY-MM; a whole date is
read as its month), ``list``, ``object``. Console checkboxes are ``checkbox``: any value a
browser may send means "ticked". A form's ``choice`` takes one of its choices and refuses all
else alike: a value for length, NUL, control characters and an unknown code stands for all.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

REFUSE, ACCEPT, EITHER = "refuse", "accept", "either"

LINE, TEXT, CODE, FORMAT = "line", "text", "code", "format"
INT, NUMBER, BOOL, CHECKBOX = "int", "number", "bool", "checkbox"
CHOICE = "choice"
MOMENT, DATE, MONTH = "moment", "date", "month"
LIST, OBJECT, FILE = "list", "object", "file"
STRINGS = (LINE, TEXT, CODE, FORMAT)
NOT_TEXT = (INT, NUMBER, BOOL, MOMENT, DATE, LIST, OBJECT)


class Raw:
    """A JSON token Python's ``json`` cannot write (``1e309``, ``NaN``): spliced in as is."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __repr__(self) -> str:
        return self.token


class LongList:
    """10,000 copies of the list's first valid element (or of ``"x"``)."""

    def __repr__(self) -> str:
        return "[…×10000]"


@dataclass(frozen=True)
class Hostile:
    name: str
    value: Any  # as a JSON body holds it
    expect: dict[str, str]  # field kind → REFUSE / ACCEPT / EITHER; other kinds: not tried
    form: str | None = field(default=None)  # as a form or a query string holds it (None: no way)
    alone: bool = False  # refuses the whole request (too large): not sent with other values

    def outcome(self, kind: str) -> str | None:
        return self.expect.get(kind)


def _text(line: str, text: str, code: str | None = REFUSE) -> dict[str, str]:
    """What free text does with a value; a code or a format (phone, email) refuses it, or
    (None) is not tried with it: one unknown code is like another."""
    kinds = {LINE: line, TEXT: text}
    return kinds if code is None else {**kinds, CODE: code, FORMAT: code}


def _choice(kinds: dict[str, str]) -> dict[str, str]:
    return {**kinds, CHOICE: REFUSE}


WRONG_TYPE = dict.fromkeys((*STRINGS, *NOT_TEXT), REFUSE)

CATALOGUE: list[Hostile] = [
    # --- length: beyond every column (LongText is 20,000), and a megabyte of UTF-8
    Hostile("long_text", "破" * 25_000, _choice(_text(REFUSE, REFUSE)), "破" * 25_000),
    Hostile("megabyte", "破" * 350_000, _text(REFUSE, REFUSE), "破" * 350_000, alone=True),
    # --- control characters: NUL never (PostgreSQL refuses it); other C0/C1 controls are
    # refused everywhere but the line breaks and tabs of multi-line text
    Hostile("nul", "a\x00b", _choice(_text(REFUSE, REFUSE)), "a\x00b"),
    # BEL and ESC (a terminal's "clear screen"), the C0 controls a log or an export would act on
    Hostile("c0_control", "a\x07b\x1b[2Jc", _choice(_text(REFUSE, REFUSE)), "a\x07b\x1b[2Jc"),
    Hostile("c1_control", "a\x85\x9bb", _text(REFUSE, REFUSE), "a\x85\x9bb"),
    Hostile("newline", "第一行\n第二行", _text(REFUSE, ACCEPT), "第一行\n第二行"),
    Hostile("crlf_tab", "第一行\r\n\t第二行", _text(REFUSE, ACCEPT), "第一行\r\n\t第二行"),
    Hostile("rtl_override", "invoice\u202etxt.exe", _text(REFUSE, EITHER), "invoice\u202etxt.exe"),
    Hostile("bom", "\ufeff陈建国", _text(EITHER, EITHER, None), "\ufeff陈建国"),
    Hostile("lone_surrogate", "a\ud800b", _text(REFUSE, REFUSE)),  # only JSON can carry it
    # --- markup and SQL: ordinary text where text is free (stored exactly, shown escaped),
    # refused where a code or a format is expected
    Hostile(
        "script",
        "<script>alert(1)</script>",
        _choice(_text(ACCEPT, ACCEPT)),
        "<script>alert(1)</script>",
    ),
    Hostile(
        "img_onerror",
        '"><img src=x onerror=alert(1)>',
        _text(ACCEPT, ACCEPT, None),
        '"><img src=x onerror=alert(1)>',
    ),
    Hostile(
        "javascript_url", "javascript:alert(1)", _text(ACCEPT, ACCEPT, None), "javascript:alert(1)"
    ),
    Hostile("sql_or", "' OR 1=1 --", _text(ACCEPT, ACCEPT), "' OR 1=1 --"),
    Hostile(
        "sql_drop",
        "'; DROP TABLE complaints_complaint; --",
        _text(ACCEPT, ACCEPT, None),
        "'; DROP TABLE complaints_complaint; --",
    ),
    Hostile("like_wildcards", "100%_off\\", _text(ACCEPT, ACCEPT, None), "100%_off\\"),
    Hostile("astral", "𠮷野家 😀", _text(ACCEPT, ACCEPT, None), "𠮷野家 😀"),
    # --- wrong JSON types
    Hostile("list_for_scalar", ["a"], {**WRONG_TYPE, LIST: EITHER}),
    Hostile("object_for_scalar", {"a": 1}, {**WRONG_TYPE, OBJECT: EITHER}),
    Hostile("number_for_text", 12, dict.fromkeys(STRINGS, REFUSE)),
    Hostile(
        "bool_for_value", True, {**dict.fromkeys(STRINGS, REFUSE), INT: REFUSE, NUMBER: REFUSE}
    ),
    # --- numbers
    Hostile("huge_int", 10**30, {INT: REFUSE, NUMBER: REFUSE}, "1" + "0" * 30),
    Hostile("float_overflow", Raw("1e309"), {INT: REFUSE, NUMBER: REFUSE}, "1e309"),
    Hostile("nan_literal", Raw("NaN"), {INT: REFUSE, NUMBER: REFUSE}),
    Hostile("nan_text", "NaN", {INT: REFUSE, NUMBER: REFUSE}, "NaN"),
    # (a whole number refuses these as it refuses "NaN" and "abc": tried on decimals only)
    Hostile("infinity_text", "Infinity", {NUMBER: REFUSE}, "Infinity"),
    Hostile("negative", -1, {INT: REFUSE, NUMBER: REFUSE}, "-1"),
    Hostile("negative_cent", "-0.01", {NUMBER: REFUSE}, "-0.01"),
    Hostile("minus_zero", Raw("-0"), {INT: EITHER, NUMBER: EITHER}, "-0"),
    Hostile("text_for_number", "abc", {INT: REFUSE, NUMBER: REFUSE, BOOL: REFUSE}, "abc"),
    # --- booleans
    Hostile("not_a_bool", "perhaps", {BOOL: REFUSE, CHECKBOX: EITHER}, "perhaps"),
    Hostile("two_for_bool", 2, {BOOL: REFUSE}, "2"),
    # --- date and time: years 1 and 9999, no such date, offsets out of range, no offset
    Hostile("year_1", "0001-01-01T00:00:00+08:00", {MOMENT: REFUSE}, "0001-01-01T00:00"),
    Hostile("year_9999", "9999-12-31T23:59:59+08:00", {MOMENT: REFUSE}, "9999-12-31T23:59"),
    Hostile("zero_date", "0000-00-00T00:00:00+08:00", {MOMENT: REFUSE}, "0000-00-00T00:00"),
    Hostile("feb_30", "2026-02-30T10:00:00+08:00", {MOMENT: REFUSE}, "2026-02-30T10:00"),
    Hostile(
        "offset_25h", "2026-11-16T09:00:00+25:00", {MOMENT: REFUSE}, "2026-11-16T09:00:00+25:00"
    ),
    Hostile("naive", "2026-11-16T09:00:00", {MOMENT: REFUSE}),  # forms take local time
    Hostile("offset_14h", "2026-11-16T02:00:00+14:00", {MOMENT: EITHER}, "2026-11-16T02:00+14:00"),
    Hostile("zulu", "2026-11-15T23:00:00Z", {MOMENT: EITHER}, "2026-11-15T23:00Z"),
    Hostile("epoch_number", 10**20, {MOMENT: REFUSE}),
    Hostile("day_year_1", "0001-01-01", {DATE: REFUSE, MONTH: REFUSE}, "0001-01-01"),
    Hostile("day_year_9999", "9999-12-31", {DATE: REFUSE, MONTH: REFUSE}, "9999-12-31"),
    Hostile("day_zero", "0000-00-00", {DATE: REFUSE, MONTH: REFUSE}, "0000-00-00"),
    Hostile("day_feb_30", "2026-02-30", {DATE: REFUSE, MONTH: EITHER}, "2026-02-30"),
    # --- lists and objects
    Hostile("text_for_list", "x", {LIST: REFUSE, OBJECT: REFUSE}),
    Hostile("long_list", LongList(), {LIST: REFUSE}),
    Hostile("nested_list", [[["x"]]], {LIST: REFUSE}),
]
HOSTILE: dict[str, Hostile] = {h.name: h for h in CATALOGUE}
# What no column can hold: refused even by a look-up or a query filter, which otherwise take
# any text as a question that finds nothing.
INTRINSIC = frozenset({"long_text", "megabyte", "nul", "c0_control", "c1_control"})
assert len(HOSTILE) == len(CATALOGUE), "two hostile values share a name"

# Whole bodies, tried on every operation that takes a JSON body: (bytes or a builder taking
# the valid body's JSON, content type). Each must be a 4xx, or (for the few marked) may be
# read as the valid body it also is; never a 5xx.
DEEP = 10_000


def _bad_bytes(valid: bytes, bad: bytes) -> bytes:
    """The valid body with its first text value's first character replaced by ``bad``."""
    at = valid.find(b': "')
    if at < 0:
        return valid[:-1] + b', "x": "' + bad + b'"}' if valid.endswith(b"}") else bad
    return valid[: at + 3] + bad + valid[at + 3 :]


RAW_BODIES: dict[str, tuple[Any, str, str]] = {
    "invalid_utf8": (lambda v: _bad_bytes(v, b"\xff\xfe"), "application/json", REFUSE),
    "overlong_utf8": (lambda v: _bad_bytes(v, b"\xc0\xaf\xe0\x80\xaf"), "application/json", REFUSE),
    "utf8_surrogate": (lambda v: _bad_bytes(v, b"\xed\xa0\x80"), "application/json", REFUSE),
    "deep_array": (b"[" * DEEP + b"]" * DEEP, "application/json", REFUSE),
    "deep_object": (b'{"a":' * DEEP + b"1" + b"}" * DEEP, "application/json", REFUSE),
    "not_json": (b"{not json", "application/json", REFUSE),
    "empty": (b"", "application/json", EITHER),  # an optional body may be left out
    "json_null": (b"null", "application/json", EITHER),
    "json_array": (b"[]", "application/json", EITHER),  # read as no body where one is optional
    "text_plain": (lambda v: v, "text/plain", EITHER),
    "form_encoded": (b"text=a&version=1", "application/x-www-form-urlencoded", EITHER),
    "duplicate_keys": (
        lambda v: v[:-1] + b', "version": null}' if v != b"{}" else v,
        "application/json",
        EITHER,
    ),
}

# Query-string values written out by hand: raw bytes no client would encode so.
RAW_QUERY = {
    "invalid_utf8": "%FF%FE",
    "overlong_utf8": "%C0%AF",
}


SURROGATE = re.compile("[\ud800-\udfff]")


def encode_json(body: Any) -> bytes:
    """``body`` as JSON, ``Raw`` tokens spliced in and lone surrogates kept as ``\\ud800``."""
    tokens: dict[str, str] = {}

    def default(obj: Any) -> Any:
        if isinstance(obj, Raw):
            key = f"@@raw{len(tokens)}@@"
            tokens[key] = obj.token
            return key
        return str(obj)

    text = json.dumps(body, default=default, ensure_ascii=False)
    for key, token in tokens.items():
        text = text.replace(f'"{key}"', token)
    # Lone surrogates travel as JSON escapes (valid JSON, not valid Unicode).
    return SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode()


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
