"""Complaints received by category × department (the console's heat map): one aggregate
query over the analysis definition of "received" (``kesu.analysis.rules``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from kesu.analysis import rules
from kesu.analysis.filters import Filters
from kesu.analysis.periods import Period
from kesu.complaints.models import Complaint


@dataclass(frozen=True)
class Heat:
    categories: list[str]  # codes, the largest row first
    departments: list[str]  # codes ("" for not dispatched yet), the largest column first
    counts: dict[tuple[str, str], int]

    def value(self, category: str, department: str) -> int:
        return self.counts.get((category, department), 0)


def category_department_counts(period: Period, filters: Filters) -> Heat:
    rows = (
        Complaint.objects.filter(filters.q())
        .filter(rules.received(period))
        .order_by()
        .values_list("category", "department__code")
        .annotate(n=Count("pk"))
    )
    counts = {(cat, dept or ""): n for cat, dept, n in rows}
    by_cat: dict[str, int] = {}
    by_dept: dict[str, int] = {}
    for (cat, dept), n in counts.items():
        by_cat[cat] = by_cat.get(cat, 0) + n
        by_dept[dept] = by_dept.get(dept, 0) + n
    return Heat(
        categories=sorted(by_cat, key=lambda k: (-by_cat[k], k)),
        departments=sorted(by_dept, key=lambda k: (-by_dept[k], k)),
        counts=counts,
    )
