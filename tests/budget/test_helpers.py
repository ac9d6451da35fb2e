"""The budget helper itself: it fails on a request whose queries grow with the rows, and
names the queries that grew."""

from __future__ import annotations

import pytest

from kesu.accounts.models import Department
from tests.budget.helpers import assert_flat_queries, shape

pytestmark = pytest.mark.django_db


class Response:
    status_code = 200


def test_a_query_per_row_fails_and_shows_the_query():
    made: list[str] = []

    def n_plus_one():
        for code in made:
            Department.objects.filter(code=code).exists()
        return Response()

    made.append("a")
    with pytest.raises(AssertionError) as failure:
        assert_flat_queries(n_plus_one, lambda: made.extend(["b", "c"]), case="n+1")
    assert "1 queries before growing the data, 3 after" in str(failure.value)
    assert "+2 × SELECT" in str(failure.value)


def test_a_flat_request_passes_and_a_ceiling_is_kept():
    def flat():
        list(Department.objects.all())
        return Response()

    m = assert_flat_queries(flat, lambda: None, case="flat", ceiling=1)
    assert (m.small, m.grown) == (1, 1)
    with pytest.raises(AssertionError, match="ceiling 0"):
        assert_flat_queries(flat, lambda: None, case="flat", ceiling=0)


def test_shape_folds_literals_and_in_lists():
    assert shape("SELECT 1 FROM t WHERE id IN (%s, %s, %s) AND c = 'x'") == shape(
        "SELECT 2 FROM t WHERE id IN (%s) AND c = 'y'"
    )
