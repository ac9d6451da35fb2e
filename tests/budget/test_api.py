"""Query budget of the API (issue 6): every GET operation of the OpenAPI schema, and a few
actions, run as many SQL queries whatever the number of rows they return or the length of the
complaint's timeline.

``OPERATIONS`` maps every GET operationId of ``kesu.api.api``'s schema to a case or a justified
exemption; ``test_every_get_operation_has_a_budget`` fails when a new operation has neither.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kesu.api import api
from kesu.complaints.models import BatchAlert, Complaint
from kesu.complaints.services import records
from tests.budget import cases
from tests.budget.cases import NOW
from tests.budget.helpers import assert_flat_queries
from tests.budget.test_pages import Case, Exempt
from tests.improvement.conftest import Improvement

pytestmark = pytest.mark.django_db


def get(world: Improvement, who: str, path: str | Callable[[], str], params: Any = None):
    return lambda: world.get(who, path() if callable(path) else path, params)


def listed(call: Callable[[], Any], key: str | None = None) -> Callable[[], Any]:
    """The request, checking that it returns rows (so growing the data returns more)."""

    def checked():
        r = call()
        if r.status_code == 200:
            body = r.json()
            rows = body[key] if key else body
            assert len(rows) > 0, "no rows returned"
        return r

    return checked


def complaint_list(world):
    cases.complaints(world, 2)
    call = listed(get(world, "manager", "/complaints"), "items")
    return call, lambda: cases.complaints(world, 6)


def complaint_detail(world, suffix: str = "") -> Case:
    def case(world):
        (c,) = cases.complaints(world, 1)
        call = get(world, "handler", f"/complaints/{c.number}{suffix}")
        return call, lambda: cases.fill(world, c, 3)

    return case


def alerts(world: Improvement, n: int, size: int) -> list[BatchAlert]:
    out = []
    for _ in range(n):
        alert = BatchAlert.objects.create(
            batch_no=f"PK-{BatchAlert.objects.count():04d}", product="冷鲜猪肉", raised_at=NOW
        )
        alert.complaints.set([world.new() for _ in range(size)])
        out.append(alert)
    return out


def batch_alert_list(world):
    alerts(world, 2, 1)
    return listed(get(world, "quality", "/batch-alerts")), lambda: alerts(world, 6, 2)


def batch_alert_detail(world):
    target = {"pk": alerts(world, 1, 1)[0].pk}

    def grow():
        target["pk"] = alerts(world, 1, 4)[0].pk

    return get(world, "quality", lambda: f"/batch-alerts/{target['pk']}"), grow


def by_month(path: str, who: str = "quality", params: Any = None) -> Case:
    def case(world):
        cases.closed_in_october(world, 2)
        return get(world, who, path, params), lambda: cases.closed_in_october(world, 6)

    return case


def improvement_action_list(world):
    cases.actions(world, 2)
    call = listed(get(world, "quality", "/improvement/actions"))
    return call, lambda: cases.actions(world, 6)


def improvement_action_detail(world):
    target = {"pk": cases.rich_action(world, 1).pk}

    def grow():
        target["pk"] = cases.rich_action(world, 3).pk

    return get(world, "quality", lambda: f"/improvement/actions/{target['pk']}"), grow


def audit_list(world):
    cases.closed_in_october(world, 10)
    cases.audit(world, 1)
    call = get(world, "quality", "/improvement/audits")
    return call, lambda: [cases.audit(world, 1) for _ in range(3)]


def audit_detail(world):
    cases.closed_in_october(world, 8)
    target = {"pk": cases.audit(world, 2).pk}

    def grow():
        target["pk"] = cases.audit(world, 6).pk

    return get(world, "quality", lambda: f"/improvement/audits/{target['pk']}"), grow


def notification_list(world):
    cases.complaints(world, 2)
    cases.deliver()

    def grow():
        cases.complaints(world, 6)
        cases.deliver()

    return listed(get(world, "manager", "/notifications"), "items"), grow


def unchanging(who: str, path: str) -> Case:
    def case(world):
        cases.complaints(world, 1)
        return get(world, who, path), lambda: cases.complaints(world, 3)

    return case


REPORT_FILE = "report file (PDF/XLSX/HTML rendering of report_monthly_data, measured)"


def customer_export(world):
    """Everything about one customer: a fixed number of queries per kind of row."""
    from kesu.complaints.models import Customer

    cases.complaints(world, 1)
    customer = Customer.objects.get(user=world.users["customer_a"])
    call = get(world, "admin", f"/customers/{customer.pk}/export")
    return call, lambda: cases.complaints(world, 3)


OPERATIONS: dict[str, Case | Exempt] = {
    "complaint_list": complaint_list,
    "complaint_detail": complaint_detail(None),
    "complaint_timeline": complaint_detail(None, "/timeline"),
    "report_monthly_pdf": Exempt(REPORT_FILE),
    "report_monthly_xlsx": Exempt(REPORT_FILE),
    "report_monthly_html": Exempt(REPORT_FILE),
    "kpi_summary": by_month("/kpis", params={"month": "2026-10"}),
    "report_monthly_data": by_month("/reports/monthly/2026-10"),
    "business_volume_get": by_month("/business-volume/2026-10", who="executive"),
    "batch_alert_list": batch_alert_list,
    "batch_alert_detail": batch_alert_detail,
    "improvement_action_list": improvement_action_list,
    "improvement_action_detail": improvement_action_detail,
    "audit_list": audit_list,
    "audit_detail": audit_detail,
    "notification_list": notification_list,
    "import_template_xlsx": Exempt("file download: a blank template, no rows read"),
    "import_template_csv": Exempt("file download: a blank template, no rows read"),
    "policy_active": unchanging("agent", "/policy"),
    "me": unchanging("handler", "/me"),
    "customer_export": customer_export,
}


def get_operations() -> set[str]:
    schema = api.get_openapi_schema()
    return {
        op["operationId"]
        for ops in schema["paths"].values()
        for method, op in ops.items()
        if method == "get"
    }


def test_every_get_operation_has_a_budget():
    missing = get_operations() - set(OPERATIONS)
    assert not missing, f"GET operations with no query budget case or exemption: {missing}"
    stale = set(OPERATIONS) - get_operations()
    assert not stale, f"budget cases for operations that no longer exist: {stale}"


@pytest.mark.parametrize(
    "operation", [n for n, case in OPERATIONS.items() if not isinstance(case, Exempt)]
)
def test_operation_queries_do_not_grow_with_rows(world, operation):
    case = OPERATIONS[operation]
    assert not isinstance(case, Exempt)
    call, grow = case(world)
    assert_flat_queries(call, grow, case=f"api:{operation}")


# --- actions: their count does not grow with the complaint's timeline ---------------------------


def test_dispatch_does_not_grow_with_the_timeline(world):
    def received(notes: int) -> Complaint:
        c = world.new()
        for i in range(notes):
            c.refresh_from_db()
            records.complaint_add_note(complaint=c, actor=world.users["agent"], text=f"备注 {i}")
        return c

    targets = [received(1), received(1)]

    def call():
        c = targets.pop(0)
        c.refresh_from_db()
        body = {"department": "logistics", "level": "C", "version": c.version}
        return world.post("agent", f"/complaints/{c.number}/dispatch", body)

    call()  # warm the caches on a first complaint

    def grow():
        targets.append(received(12))

    assert_flat_queries(call, grow, case="api:complaint_dispatch (POST)", warm=False)


def test_add_note_does_not_grow_with_the_timeline(world):
    (c,) = cases.complaints(world, 1)

    def call():
        return world.post("handler", f"/complaints/{c.number}/notes", {"text": "已跟进"})

    assert_flat_queries(
        call, lambda: cases.fill(world, c, 4), case="api:complaint_add_note (POST)", expect=201
    )
