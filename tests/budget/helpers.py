"""The query budget: a request's number of SQL queries must not grow with the rows it shows.

``assert_flat_queries`` runs a request on a small data set, grows the data (the caller's
``grow``), runs it again and fails, printing the queries that differ, when the second run
needed more queries than the first (or more than an absolute ``ceiling``). Each request is
sent once before it is measured, so per-process caches (the active policy, content types,
the language catalog) do not count as growth.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

# Every measurement of the session, for the table printed at its end (tests/budget/conftest.py).
MEASURED: list[Measurement] = []

_LITERALS = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b")
_PLACEHOLDER_LISTS = re.compile(r"\((?:\s*(?:%s|\?)\s*,)*\s*(?:%s|\?)\s*\)")


@dataclass(frozen=True)
class Measurement:
    case: str
    small: int
    grown: int
    ceiling: int | None


def shape(sql: str) -> str:
    """A query with its literals and IN lists folded, so the same query on other rows matches."""
    return _PLACEHOLDER_LISTS.sub("(…)", _LITERALS.sub("?", sql))


def _measure(call: Callable[[], Any], expect: int | tuple[int, ...]) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = call()
    wanted = (expect,) if isinstance(expect, int) else expect
    status = getattr(response, "status_code", None)
    assert status in wanted, f"status {status}, expected {wanted}"
    return [q["sql"] for q in ctx.captured_queries]


def _difference(small: list[str], grown: list[str]) -> str:
    extra = Counter(map(shape, grown))
    extra.subtract(Counter(map(shape, small)))
    lines = [f"  {n:+d} × {sql}" for sql, n in extra.most_common() if n]
    return "\n".join(lines) or "  (same query shapes, different count)"


def assert_flat_queries(
    call: Callable[[], Any],
    grow: Callable[[], None],
    *,
    case: str = "",
    ceiling: int | None = None,
    expect: int | tuple[int, ...] = 200,
    warm: bool = True,
) -> Measurement:
    """Assert that ``call`` (one request) runs as many queries after ``grow`` as before.

    ``grow`` should multiply what the request shows (e.g. three times the complaints, events,
    attachments or notifications on the page). ``warm=False`` measures without a first unmeasured
    run (for requests that change state and cannot be repeated on the same data).
    """
    if warm:
        call()
    small = _measure(call, expect)
    grow()
    if warm:
        call()
    grown = _measure(call, expect)
    m = Measurement(case=case, small=len(small), grown=len(grown), ceiling=ceiling)
    MEASURED.append(m)
    assert len(grown) <= len(small), (
        f"{case}: {len(small)} queries before growing the data, {len(grown)} after:\n"
        + _difference(small, grown)
    )
    if ceiling is not None:
        assert len(grown) <= ceiling, f"{case}: {len(grown)} queries, ceiling {ceiling}:\n" + (
            "\n".join(f"  {sql}" for sql in grown)
        )
    return m
