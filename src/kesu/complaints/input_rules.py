"""What any text, date or time a person or a client sends must be before a service sees it: the
one rule the API's field types (``kesu.api.fields``) and every form (``kesu.web.forms``) apply.

- NUL is refused everywhere: PostgreSQL cannot store it.
- Other control characters (C0 and C1) are refused too: they are invisible, garble exports and
  logs, and no keyboard types them. Multi-line text keeps its line breaks and tabs.
- Single-line text (names, titles, numbers) takes no line break either, nor the invisible
  bidirectional overrides that make "invoice‮txt.exe" read as "invoiceexe.txt".
- Dates lie within years the business calendar and every time-zone conversion can reach.
"""

from __future__ import annotations

import re
from datetime import date

from django.utils.translation import gettext_lazy as _

MIN_YEAR, MAX_YEAR = 1900, 2200

_NUL = "\x00"
# C0 and C1 controls except tab, line feed and carriage return; lone surrogates (which no
# UTF-8 text holds) with them.
_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_NOT_ONE_LINE = re.compile("[\t\n\r\u2028\u2029\u202a-\u202e\u2066-\u2069]")

NULL, CONTROL, LINE = "null", "control", "line"
MESSAGES = {
    NULL: _("Text cannot contain null characters."),
    CONTROL: _("Text cannot contain control characters."),
    LINE: _("Enter one line of text, without line breaks or control characters."),
}


def text_problem(value: str, *, multiline: bool) -> str | None:
    """NULL, CONTROL or LINE when ``value`` breaks the rule for its kind of field, else None."""
    if _NUL in value:
        return NULL
    if _CONTROL.search(value):
        return CONTROL if multiline else LINE
    if not multiline and _NOT_ONE_LINE.search(value):
        return LINE
    return None


def in_year_range(value: date) -> bool:
    return MIN_YEAR <= value.year <= MAX_YEAR
