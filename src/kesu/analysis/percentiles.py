"""Median and 90th percentile in the database, with the same answer on PostgreSQL and SQLite.

Definition (PostgreSQL's ``percentile_cont``, linear interpolation): for n sorted values
v[0..n-1] and a fraction p, x = (n - 1) * p, k = floor(x); the percentile is
v[k] + (v[k+1] - v[k]) * (x - k) (v[k] when x is whole). None when n is 0.

- PostgreSQL: ``percentile_cont(p) WITHIN GROUP (ORDER BY value)``, one aggregate query.
- SQLite (no such aggregate): a window query numbers the values within each group and keeps
  only the one or two rows around x for each p; the interpolation is done in Python over those
  rows. One query as well, and the rows read are at most 2 per fraction per group.

Results are rounded to a millisecond, so both databases give identical numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    F,
    FloatField,
    Q,
    QuerySet,
    Window,
)
from django.db.models.functions import RowNumber

MEDIAN, P90 = 0.5, 0.9
PRECISION = 3


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate ``percentile_cont(fraction)``."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be within [0, 1]")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


@dataclass(frozen=True)
class Spread:
    count: int
    values: dict[float, float | None]  # fraction → percentile


def interpolate(values: dict[int, float], n: int, fraction: float) -> float | None:
    """The percentile from the values at the 0-based positions around x = (n - 1) * fraction."""
    if n == 0:
        return None
    x = (n - 1) * fraction
    k = math.floor(x)
    low = values[k]
    high = values.get(k + 1, low)
    return round(low + (high - low) * (x - k), PRECISION)


def percentiles(
    qs: QuerySet,
    value: str,
    fractions: Sequence[float] = (MEDIAN, P90),
    *,
    group_by: str | None = None,
) -> dict[Any, Spread]:
    """How many non-null ``value`` of ``qs`` there are and their percentiles, per ``group_by``
    value (key None when not grouped). Groups without a value are absent."""
    qs = qs.filter(**{f"{value}__isnull": False})
    if connection.vendor == "postgresql":
        return _postgresql(qs, value, fractions, group_by)
    return _window(qs, value, fractions, group_by)


def _postgresql(qs, value, fractions, group_by):
    aggregates: dict[str, Any] = {
        f"p{i}": PercentileCont(value, f) for i, f in enumerate(fractions)
    }
    aggregates["n"] = Count(value)

    def spread(row: dict[str, Any]) -> Spread:
        return Spread(
            row["n"], {f: round(row[f"p{i}"], PRECISION) for i, f in enumerate(fractions)}
        )

    if group_by is None:
        row = qs.aggregate(**aggregates)
        return {None: spread(row)} if row["n"] else {}
    rows = qs.order_by().values(group_by).annotate(**aggregates)
    return {r[group_by]: spread(r) for r in rows}


def _window(qs, value, fractions, group_by):
    partition = [F(group_by)] if group_by else []
    numbered = qs.order_by().annotate(
        _pos=Window(RowNumber(), partition_by=partition, order_by=[F(value).asc()]),
        _n=Window(Count("pk"), partition_by=partition),
    )
    # Rows at 0-based positions k with x - 1 < k < x + 1 for some fraction (x = (n - 1) * p):
    # the floor and the ceiling of x.
    near = Q()
    for f in fractions:
        x = (F("_n") - 1) * f
        near |= Q(_pos__gt=x, _pos__lt=x + 2)  # _pos is 1-based
    fields = ["_pos", "_n", value] + ([group_by] if group_by else [])
    groups: dict[Any, tuple[int, dict[int, float]]] = {}
    for row in numbered.filter(near).values(*fields):
        key = row[group_by] if group_by else None
        _n, values = groups.setdefault(key, (row["_n"], {}))
        values[row["_pos"] - 1] = float(row[value])
    return {
        key: Spread(n, {f: interpolate(values, n, f) for f in fractions})
        for key, (n, values) in groups.items()
    }
