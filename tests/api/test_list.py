"""GET /complaints: visibility, filters, queue order and keyset pages, constant queries."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesu.complaints.models import Complaint
from kesu.complaints.services import records
from kesu.complaints.states import State
from tests.api.conftest import NOW


def numbers(response) -> set[str]:
    assert response.status_code == 200, response.json()
    return {item["number"] for item in response.json()["items"]}


def test_each_role_lists_what_it_may_see(world):
    a = world.complaints["customer_a"].number
    b = world.complaints["customer_b"].number
    assigned = world.build(State.ASSIGNED).number
    everything = {a, b, assigned}
    for who in ("agent", "executive", "quality", "admin"):
        assert numbers(world.get(who, "/complaints")) == everything, who
    assert numbers(world.get("customer_a", "/complaints")) == {a, assigned}
    assert numbers(world.get("customer_b", "/complaints")) == {b}
    assert numbers(world.get("handler", "/complaints")) == {assigned}
    assert numbers(world.get("manager", "/complaints")) == {assigned}
    assert numbers(world.get("other_handler", "/complaints")) == set()
    assert numbers(world.get("other_manager", "/complaints")) == set()


def test_filters(world):
    a = world.complaints["customer_a"]
    b = world.complaints["customer_b"]
    investigating = world.build(State.INVESTIGATING)
    closed = world.build(State.CLOSED)
    records.complaint_change_level(
        complaint=investigating, actor=world.users["agent"], level="A", reason="威胁起诉"
    )
    Complaint.objects.filter(pk=closed.pk).update(reopen_count=1, is_overdue=True)
    Complaint.objects.filter(pk=b.pk).update(order_no="PO-777", received_at=NOW - timedelta(days=3))

    def q(**params):
        return numbers(world.get("agent", "/complaints", params))

    assert q(state=["received"]) == {a.number, b.number}
    assert q(state=["received", "closed"]) == {a.number, b.number, closed.number}
    assert q(level="A") == {investigating.number}
    assert q(category="invoicing") == {b.number}
    assert q(channel="email") == {a.number, b.number, investigating.number, closed.number}
    assert q(department="logistics") == {investigating.number, closed.number}
    assert q(handler=world.users["handler"].pk) == {investigating.number, closed.number}
    assert q(is_overdue="true") == {closed.number}
    assert q(reopened="true") == {closed.number}
    assert q(reopened="false") == {a.number, b.number, investigating.number}
    assert b.number not in q(received_from=(NOW - timedelta(days=1)).isoformat())
    assert q(received_to=(NOW - timedelta(days=1)).isoformat()) == {b.number}
    assert q(q="PO-777") == {b.number}
    assert q(q="刘芳") == {b.number}
    assert q(q="13816620001") == {a.number, investigating.number, closed.number}
    assert q(q=b.number) == {b.number}
    assert q(q="发票") == {b.number}
    repeats = q(is_repeat="true")
    assert investigating.number in repeats and b.number not in repeats


def test_filters_never_widen_visibility(world):
    world.build(State.ASSIGNED)
    assert numbers(world.get("other_handler", "/complaints", {"department": "logistics"})) == set()
    a = world.complaints["customer_a"].number
    assert numbers(world.get("customer_b", "/complaints", {"q": a})) == set()


def test_queue_order_and_keyset_pages(world):
    built = [world.build(State.ASSIGNED) for _ in range(3)] + [world.build(State.CLOSED)]
    everything = list(Complaint.objects.all())
    expected = sorted(
        everything,
        key=lambda c: (c.next_due_at is None, c.next_due_at or NOW, c.received_at, c.pk),
    )
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2, **({"after": cursor} if cursor else {})}
        r = world.get("agent", "/complaints", params)
        assert r.status_code == 200, r.json()
        page = r.json()
        seen += [item["number"] for item in page["items"]]
        pages += 1
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == [c.number for c in expected]
    assert pages == 3
    assert seen[-1] == built[-1].number  # closed: no deadline, last


def test_bad_cursor_and_limits(world):
    r = world.get("agent", "/complaints", {"after": "garbage"})
    assert r.status_code == 422 and "after" in r.json()["errors"]
    assert world.get("agent", "/complaints", {"limit": 201}).status_code == 422
    assert world.get("agent", "/complaints", {"limit": 0}).status_code == 422
    assert world.get("agent", "/complaints", {"limit": 10**30}).status_code == 422
    assert world.get("agent", "/complaints", {"state": "nonsense"}).status_code == 422
    assert world.get("agent", "/complaints", {"handler": 10**30}).status_code == 422
    assert world.get("agent", "/complaints", {"q": "a\x00b"}).status_code == 422


def count_queries(world, who: str) -> int:
    world.get(who, "/me")  # the token's last_used_at is written now, not during the count
    with CaptureQueriesContext(connection) as ctx:
        r = world.get(who, "/complaints", {"limit": 200})
    assert r.status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_rows(world):
    world.build(State.ASSIGNED)
    small = {who: count_queries(world, who) for who in ("agent", "handler", "customer_a")}
    for _ in range(4):
        world.build(State.INVESTIGATING)
    large = {who: count_queries(world, who) for who in ("agent", "handler", "customer_a")}
    assert small == large
    assert max(large.values()) <= 4
