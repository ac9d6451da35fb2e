"""Query budget of every console, portal and sign-in page: the number of SQL queries of a GET
does not grow with the rows it shows (issue 6).

``PAGES`` maps every URL name of the console, the portal and the site (Django's resolver, the
admin and the API apart: tests/budget/test_api.py covers the API) to a case or to a justified
exemption; ``test_every_page_has_a_budget`` fails when a new URL has neither.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from kesu.complaints.models import Complaint, Milestone
from kesu.complaints.states import State
from tests.api.conftest import review_policy
from tests.budget import cases
from tests.budget.cases import NOW
from tests.budget.helpers import assert_flat_queries
from tests.improvement.conftest import Improvement

pytestmark = pytest.mark.django_db

# What one case returns: the request to measure and the function that grows its rows.
Case = Callable[[Improvement], tuple[Callable[[], Any], Callable[[], None]]]


@dataclass(frozen=True)
class Exempt:
    reason: str


def client(world: Improvement, who: str | None) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    if who is not None:
        c.force_login(world.users[who])
    return c


def page(world: Improvement, who: str | None, path: str, params: Any = None):
    browser = client(world, who)
    return lambda: browser.get(path() if callable(path) else path, params or {})


def rows_grow(response_of: Callable[[], Any], key: str = "rows") -> Callable[[], Any]:
    """The request, checking that the page shows rows (so growing the data shows more)."""

    def call():
        r = response_of()
        if r.status_code == 200 and r.context and key in r.context:
            assert len(r.context[key]) > 0, f"no {key} on the page"
        return r

    return call


# --- the cases ---------------------------------------------------------------------------------


def dashboard(world):
    cases.complaints(world, 2)
    return page(world, "agent", "/console/"), lambda: cases.complaints(world, 6)


def queue_case(slug: str, who: str, make: Callable[[Improvement, int], Any]) -> Case:
    def case(world):
        make(world, 2)
        call = rows_grow(page(world, who, f"/console/queue/{slug}/"))
        return call, lambda: make(world, 6)

    return case


def _received(world, n):
    for i in range(n):
        world.new(order_no=f"SO-R{i}-{Complaint.objects.count()}")


def _in_state(state: State, *, review: bool = False):
    def make(world, n):
        if review:
            review_policy().__enter__()  # the review queue exists only under such a policy
        for _ in range(n):
            world.build(state)

    return make


def _due_soon(world, n):
    for c in cases.complaints(world, n):
        Milestone.objects.filter(complaint=c).update(
            warn_at=NOW - timedelta(hours=1), due_at=NOW + timedelta(hours=2)
        )
        Complaint.objects.filter(pk=c.pk).update(next_due_at=NOW + timedelta(hours=2))


def _overdue(world, n):
    for c in cases.complaints(world, n):
        Complaint.objects.filter(pk=c.pk).update(is_overdue=True)


QUEUE_CASES = {
    "mine": queue_case("mine", "handler", cases.complaints),
    "department": queue_case("department", "manager", cases.complaints),
    "unassigned": queue_case("unassigned", "agent", _received),
    "review": queue_case("review", "agent", _in_state(State.PENDING_REVIEW, review=True)),
    "approval": queue_case("approval", "manager", _in_state(State.PENDING_APPROVAL)),
    "callback": queue_case("callback", "agent", _in_state(State.PENDING_CALLBACK)),
    "due_soon": queue_case("due_soon", "agent", _due_soon),
    "overdue": queue_case("overdue", "agent", _overdue),
}


def search(world):
    cases.complaints(world, 2)
    call = rows_grow(page(world, "agent", "/console/search/", {"q": "交货期"}))
    return call, lambda: cases.complaints(world, 6)


def export(world):
    """The queue's CSV, read to its end (it is streamed: its queries run as it is read)."""
    cases.complaints(world, 2)
    browser = client(world, "manager")

    def call():
        r = browser.get("/console/queue/department/export.csv")
        content = b"".join(r.streaming_content)
        assert content.count(b"KS-") >= 2, "no rows exported"
        return r

    return call, lambda: cases.complaints(world, 6)


def complaint_page(world):
    (c,) = cases.complaints(world, 1)
    cases.deliver()
    return page(world, "handler", f"/console/c/{c.number}/"), lambda: cases.fill(world, c, 3)


def notifications(world):
    cases.complaints(world, 2)
    cases.deliver()

    def grow():
        cases.complaints(world, 6)
        cases.deliver()

    return page(world, "manager", "/console/notifications/"), grow


def unchanging(who: str | None, path: str, params: Any = None) -> Case:
    """A form or a summary whose content does not depend on the number of complaints: it
    must still not grow when there are more of them."""

    def case(world):
        cases.complaints(world, 1)
        return page(world, who, path, params), lambda: cases.complaints(world, 3)

    return case


def customer_lookup(world):
    cases.complaints(world, 2)
    params = {"customer_phone": "138166", "category": "late_delivery"}
    return page(world, "agent", "/console/new/lookup/", params), lambda: cases.complaints(world, 6)


def analysis(world):
    cases.closed_in_october(world, 2)
    call = page(world, "quality", "/console/analysis/", {"month": "2026-10"})
    return call, lambda: cases.closed_in_october(world, 6)


def analysis_complaints(world):
    cases.closed_in_october(world, 2)
    call = rows_grow(page(world, "quality", "/console/analysis/complaints/"))
    return call, lambda: cases.closed_in_october(world, 6)


def report_monthly(world):
    cases.closed_in_october(world, 2)
    call = page(world, "quality", "/console/reports/monthly/2026-10/")
    return call, lambda: cases.closed_in_october(world, 6)


def improvement_actions(world):
    cases.actions(world, 2)
    return page(world, "quality", "/console/improvement/"), lambda: cases.actions(world, 6)


def improvement_action(world):
    target = {"pk": cases.rich_action(world, 1).pk}

    def grow():
        target["pk"] = cases.rich_action(world, 3).pk

    return page(world, "quality", lambda: f"/console/improvement/{target['pk']}/"), grow


def audits(world):
    cases.closed_in_october(world, 10)
    cases.audit(world, 1)
    return page(world, "quality", "/console/audits/"), lambda: [
        cases.audit(world, 1) for _ in range(3)
    ]


def audit(world):
    cases.closed_in_october(world, 8)
    target = {"pk": cases.audit(world, 2).pk}

    def grow():
        target["pk"] = cases.audit(world, 6).pk

    return page(world, "quality", lambda: f"/console/audits/{target['pk']}/"), grow


def portal_case(world):
    (c,) = cases.complaints(world, 1)
    return page(world, None, f"/portal/c/{c.portal_token}/"), lambda: cases.fill(world, c, 3)


def portal_sent(world):
    (c,) = cases.complaints(world, 1)
    return page(world, None, f"/portal/c/{c.portal_token}/sent/"), lambda: cases.fill(world, c, 3)


def portal_mine(world):
    cases.complaints(world, 2)
    mine = page(world, "customer_a", "/portal/mine/")

    def call():
        r = mine()
        assert 'data-test="my-complaint"' in r.content.decode(), "no complaints listed"
        return r

    return call, lambda: cases.complaints(world, 6)


def data_request_page(suffix: str = "") -> Case:
    """A customer's data-request pages (docs/privacy.md): the record and their complaints."""

    def case(world):
        from kesu.complaints.models import Customer

        cases.complaints(world, 1)
        customer = Customer.objects.get(user=world.users["customer_a"])
        call = page(world, "admin", f"/console/customers/{customer.pk}/{suffix}")
        return call, lambda: cases.complaints(world, 3)

    return case


FILE = "file download: one row and its file, nothing listed"
POST = "POST-only action (redirects or renders a fragment); the API's actions are measured"
PAGES: dict[str, Case | Exempt] = {
    "console:dashboard": dashboard,
    **{f"console:queue[{slug}]": case for slug, case in QUEUE_CASES.items()},
    "console:export": export,
    "console:search": search,
    "console:intake": unchanging("agent", "/console/new/"),
    "console:customer_lookup": customer_lookup,
    "console:suggest": unchanging(
        "agent", "/console/new/suggest/", {"description": "交货期延迟", "customer_phone": "1"}
    ),
    "console:import": unchanging("agent", "/console/import/"),
    "console:import_template": Exempt(FILE + " (a blank template)"),
    "console:notifications": notifications,
    "console:notifications_read_all": Exempt(POST),
    "console:analysis": analysis,
    "console:analysis_volume": unchanging("executive", "/console/analysis/volume/"),
    "console:analysis_complaints": analysis_complaints,
    "console:reports": unchanging("quality", "/console/reports/"),
    "console:report_monthly": report_monthly,
    "console:report_file": Exempt(FILE),
    "console:improvement_actions": improvement_actions,
    "console:improvement_action_new": unchanging("quality", "/console/improvement/new/"),
    "console:improvement_action": improvement_action,
    "console:improvement_file": Exempt(FILE),
    "console:improvement_step": Exempt(POST),
    "console:audits": audits,
    "console:audit_new": unchanging("quality", "/console/audits/new/"),
    "console:audit": audit,
    "console:audit_score": Exempt(POST),
    "console:audit_complete": Exempt(POST),
    "console:complaint": complaint_page,
    "console:act": Exempt(POST),
    "console:renew_portal_link": Exempt(POST),
    "console:attachment": Exempt(FILE),
    "console:customers": unchanging("admin", "/console/customers/", {"ref": "13816620001"}),
    "console:customer": data_request_page(),
    "console:customer_erase": data_request_page("erase/"),
    "console:customer_export": Exempt(
        "POST-only download; its queries are measured as the API's customer_export"
    ),
    "portal:submit": unchanging(None, "/portal/"),
    "portal:mine": portal_mine,
    "portal:case": portal_case,
    "portal:sent": portal_sent,
    "portal:add_info": Exempt(POST),
    "portal:provide_info": Exempt(POST),
    "portal:rate": Exempt(POST),
    "portal:reopen": Exempt(POST),
    "portal:attachment": Exempt(FILE),
    "home": Exempt("redirect to the role's landing page"),
    "login": unchanging(None, "/accounts/login/"),
    "logout": Exempt("POST-only: signs out and redirects"),
    "set_language": Exempt("POST-only: sets the language and redirects"),
}


def url_names() -> set[str]:
    """Every URL's name (``namespace:name``); an unnamed one as ``route:<its route>``."""
    names: set[str] = set()

    def walk(resolver: URLResolver, ns: str, prefix: str) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                walk(p, ns + (f"{p.namespace}:" if p.namespace else ""), prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                names.add(ns + p.name if p.name else f"route:{prefix}{p.pattern}")

    walk(get_resolver(), "", "")
    return {n for n in names if not n.startswith(("admin:", "api:", "route:admin/", "route:api/"))}


def test_every_page_has_a_budget():
    registered = {name.split("[")[0] for name in PAGES}
    missing = url_names() - registered
    assert not missing, f"pages with no query budget case or exemption: {sorted(missing)}"
    stale = registered - url_names()
    assert not stale, f"budget cases for pages that no longer exist: {sorted(stale)}"
    # Every queue of every role has its case.
    from kesu.complaints.queues import QUEUES

    assert set(QUEUES) == set(QUEUE_CASES)


@pytest.mark.parametrize("name", [n for n, case in PAGES.items() if not isinstance(case, Exempt)])
def test_page_queries_do_not_grow_with_rows(world, name):
    case = PAGES[name]
    assert not isinstance(case, Exempt)
    call, grow = case(world)
    assert_flat_queries(call, grow, case=name)
