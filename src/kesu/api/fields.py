"""Bounded input types: whatever a client sends is checked here before a service sees it.

Every string refuses NUL characters (PostgreSQL cannot store them) and has a length that fits
its column; every number has a range the database can hold; every time carries its offset and
lies in a range that converts to UTC without overflow. Business rules stay in the services.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field
from pydantic_core import PydanticCustomError

# Largest primary key the database holds (BigAutoField).
MAX_ID = 2**63 - 1
MIN_YEAR, MAX_YEAR = 1900, 2200


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("kesu_null_character", "Null characters are not allowed.")
    return value


def _in_range(value: datetime) -> datetime:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise PydanticCustomError("kesu_datetime_range", "The date is out of range.")
    return value


# Strings of at most N characters (the column's length), without NUL.
Str3 = Annotated[str, Field(max_length=3), AfterValidator(_no_nul)]
Str10 = Annotated[str, Field(max_length=10), AfterValidator(_no_nul)]
Str20 = Annotated[str, Field(max_length=20), AfterValidator(_no_nul)]
Str30 = Annotated[str, Field(max_length=30), AfterValidator(_no_nul)]
Str32 = Annotated[str, Field(max_length=32), AfterValidator(_no_nul)]
Str60 = Annotated[str, Field(max_length=60), AfterValidator(_no_nul)]
Str100 = Annotated[str, Field(max_length=100), AfterValidator(_no_nul)]
Str200 = Annotated[str, Field(max_length=200), AfterValidator(_no_nul)]
Str254 = Annotated[str, Field(max_length=254), AfterValidator(_no_nul)]
Str500 = Annotated[str, Field(max_length=500), AfterValidator(_no_nul)]
Code = Annotated[str, Field(max_length=40), AfterValidator(_no_nul)]
# Free text (descriptions, notes, reasons): bounded so one request cannot be a novel.
LongText = Annotated[str, Field(max_length=20_000), AfterValidator(_no_nul)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Version = Annotated[int, Field(ge=1, le=2**31 - 1)]
# decimal(14, 2), as the amount columns: a string ("1234.50") or a number.
Amount = Annotated[Decimal, Field(max_digits=14, decimal_places=2, allow_inf_nan=False)]
Moment = Annotated[AwareDatetime, AfterValidator(_in_range)]
