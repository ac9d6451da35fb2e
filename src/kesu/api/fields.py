"""Bounded input types: whatever a client sends is checked here before a service sees it.

Every string follows ``kesu.complaints.input_rules`` (no NUL, which PostgreSQL cannot store;
no control characters; one line unless it is free text) and has a length that fits its column;
every number has a range the database can hold and is a number, not ``true``; every time carries
its offset and lies in a range that converts to UTC without overflow. Business rules stay in
the services.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from kesu.complaints.input_rules import CONTROL, LINE, NULL, in_year_range, text_problem

# Largest primary key the database holds (BigAutoField).
MAX_ID = 2**63 - 1
# pydantic error types for kesu.complaints.input_rules' problems (messages: kesu.api.errors).
TEXT_ERRORS = {
    NULL: "kesu_null_character",
    CONTROL: "kesu_control_character",
    LINE: "kesu_single_line",
}


def _check(value: str, *, multiline: bool) -> str:
    problem = text_problem(value, multiline=multiline)
    if problem is not None:
        raise PydanticCustomError(TEXT_ERRORS[problem], "The text holds characters not allowed.")
    return value


def _one_line(value: str) -> str:
    return _check(value, multiline=False)


def _lines(value: str) -> str:
    return _check(value, multiline=True)


def _not_bool(kind: str) -> Any:
    """JSON ``true`` is not the number 1 (pydantic would take it as one)."""

    def check(value: Any) -> Any:
        if isinstance(value, bool):
            raise PydanticCustomError(kind, "Input should be a number.")
        return value

    return BeforeValidator(check)


def _in_range(value: datetime) -> datetime:
    if not in_year_range(value):
        raise PydanticCustomError("kesu_datetime_range", "The date is out of range.")
    return value


def _day_in_range(value: date) -> date:
    if not in_year_range(value):
        raise PydanticCustomError("kesu_datetime_range", "The date is out of range.")
    return value


# One line of at most N characters (the column's length): no line break, no control character.
Str3 = Annotated[str, Field(max_length=3), AfterValidator(_one_line)]
Str10 = Annotated[str, Field(max_length=10), AfterValidator(_one_line)]
Str20 = Annotated[str, Field(max_length=20), AfterValidator(_one_line)]
Str30 = Annotated[str, Field(max_length=30), AfterValidator(_one_line)]
Str32 = Annotated[str, Field(max_length=32), AfterValidator(_one_line)]
Str60 = Annotated[str, Field(max_length=60), AfterValidator(_one_line)]
Str100 = Annotated[str, Field(max_length=100), AfterValidator(_one_line)]
Str200 = Annotated[str, Field(max_length=200), AfterValidator(_one_line)]
Str254 = Annotated[str, Field(max_length=254), AfterValidator(_one_line)]
Str500 = Annotated[str, Field(max_length=500), AfterValidator(_one_line)]
Code = Annotated[str, Field(max_length=40), AfterValidator(_one_line)]
# Free text (descriptions, notes, reasons): line breaks and tabs allowed, other control
# characters not; bounded so one request cannot be a novel.
LongText = Annotated[str, Field(max_length=20_000), AfterValidator(_lines)]
Id = Annotated[int, _not_bool("int_type"), Field(ge=1, le=MAX_ID)]
Version = Annotated[int, _not_bool("int_type"), Field(ge=1, le=2**31 - 1)]
# A whole number (bounds where it is used).
Whole = Annotated[int, _not_bool("int_type")]
# A whole number a 32-bit column holds (ratings: the service checks 1–5).
Int32 = Annotated[int, _not_bool("int_type"), Field(ge=-(2**31), le=2**31 - 1)]
# decimal(14, 2), as the amount columns: a string ("1234.50") or a number, never negative.
Amount = Annotated[
    Decimal,
    _not_bool("decimal_type"),
    Field(ge=0, max_digits=14, decimal_places=2, allow_inf_nan=False),
]
Hours = Annotated[float, _not_bool("float_type"), Field(allow_inf_nan=False, ge=-1e9, le=1e9)]
Moment = Annotated[AwareDatetime, AfterValidator(_in_range)]
Day = Annotated[date, AfterValidator(_day_in_range)]
