"""Median and p90: one definition (linear interpolation, PostgreSQL's percentile_cont), the
same numbers on SQLite (window query) and PostgreSQL (ordered-set aggregate)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kesu.analysis.percentiles import interpolate, percentiles
from kesu.complaints.models import Complaint
from kesu.policy.models import Policy


def reference(values: list[int], p: float) -> float | None:
    """The definition, over a Python list."""
    if not values:
        return None
    ordered = sorted(values)
    x = (len(ordered) - 1) * p
    k = int(x)
    high = ordered[min(k + 1, len(ordered) - 1)]
    return round(ordered[k] + (high - ordered[k]) * (x - k), 3)


@given(st.lists(st.integers(min_value=0, max_value=10**7), max_size=40))
def test_interpolate_matches_the_definition(values):
    ordered = sorted(values)
    for p in (0.5, 0.9):
        positions = dict(enumerate(ordered))
        assert interpolate(positions, len(ordered), p) == reference(values, p)


@pytest.fixture
def complaints(db):
    from kesu.policy.loader import policy_load
    from tests.conftest import make_people

    policy_load("logistics-service")
    make_people()

    def make(values: list[int | None], department: str | None = None) -> None:
        from kesu.accounts.models import Department
        from kesu.complaints.models import Customer

        customer = Customer.objects.first()
        policy = Policy.objects.get(is_active=True)
        dept = Department.objects.get(code=department) if department else None
        start = Complaint.objects.count()
        Complaint.objects.bulk_create(
            Complaint(
                number=f"T-{start + i}",
                policy=policy,
                customer=customer,
                channel="email",
                received_at="2026-10-10T10:00:00+08:00",
                category="other",
                level="general",
                title="t",
                description="t",
                department=dept,
                first_response_seconds=v,
            )
            for i, v in enumerate(values)
        )

    return make


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [
        ([], None, None),
        ([7], 7.0, 7.0),
        ([10, 20], 15.0, 19.0),  # x = 0.5 → 15; x = 0.9 → 10 + 0.9·10
        ([3, 1, 2, 4], 2.5, 3.7),  # x = 1.5 → 2.5; x = 2.7 → 3 + 0.7
        ([0, 1200, 1800], 1200.0, 1680.0),
        ([5, 5, 5, 100, None], 5.0, 71.5),  # None left out; x = 2.7 → 5 + 0.7·95
    ],
)
def test_database_percentiles(complaints, values, median, p90):
    complaints(values)
    found = percentiles(Complaint.objects.all(), "first_response_seconds")
    if median is None:
        assert found == {}
        return
    spread = found[None]
    assert spread.count == len([v for v in values if v is not None])
    assert spread.values == {0.5: median, 0.9: p90}


def test_grouped_percentiles(complaints):
    from kesu.accounts.models import Department

    complaints([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], "transport")
    complaints([100, 300], "warehouse")
    complaints([9999])  # no department
    found = percentiles(Complaint.objects.all(), "first_response_seconds", group_by="department")
    transport = Department.objects.get(code="transport").pk
    warehouse = Department.objects.get(code="warehouse").pk
    assert found[transport].values == {0.5: 6.0, 0.9: 10.0}  # x = 5; x = 9
    assert found[warehouse].values == {0.5: 200.0, 0.9: 280.0}
    assert found[None].values == {0.5: 9999.0, 0.9: 9999.0}
    assert found[transport].count == 11


# The fixture only makes rows; each example starts by deleting them.
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=25))
def test_database_agrees_with_the_definition(complaints, values):
    Complaint.objects.all().delete()
    complaints(values)
    spread = percentiles(Complaint.objects.all(), "first_response_seconds")[None]
    assert spread.values == {0.5: reference(values, 0.5), 0.9: reference(values, 0.9)}
