"""Queues: who sees which queue and which rows, deadline order, keyset pages, filters, htmx
fragments and a constant number of queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesu.complaints.models import Complaint
from kesu.complaints.queues import QUEUES
from kesu.complaints.services import records, transitions
from kesu.complaints.services.sweep import sweep_deadlines
from kesu.complaints.states import State
from kesu.console.views import queues as queue_views
from kesu.policy.loader import policy_activate, read_policy_file
from tests.console.conftest import NOW, nav_slugs, numbers

PAGES = ["/console/", "/console/queue/mine/", "/console/search/?q=abc"]
EXPECTED = {
    "agent": ["unassigned", "mine", "callback", "due_soon", "overdue"],
    "agent2": ["unassigned", "mine", "callback", "due_soon", "overdue"],
    "handler": ["mine", "department", "due_soon", "overdue"],
    "other_handler": ["mine", "department", "due_soon", "overdue"],
    "manager": ["department", "mine", "approval", "due_soon", "overdue"],
    "executive": ["approval", "due_soon", "overdue"],
    "quality": ["due_soon", "overdue"],
    "admin": ["due_soon", "overdue"],
}


def activate_b2b(**changes):
    """A variant of b2b (a new policy version) with ``changes``; new complaints use it."""
    doc, _ = read_policy_file("b2b")
    policy_activate(doc=doc.model_copy(update={"name": "b2b-variant", **changes}))


def by_queue_order(complaints):
    rows = Complaint.objects.filter(pk__in=[c.pk for c in complaints])
    return [
        c.number
        for c in sorted(
            rows, key=lambda c: (c.next_due_at is None, c.next_due_at or NOW, c.received_at, c.pk)
        )
    ]


# --- who may open the console ----------------------------------------------------------------


@pytest.mark.parametrize("path", [*PAGES, "/console/queue/overdue/export.csv"])
def test_anonymous_users_are_sent_to_sign_in(console, path):
    r = console.page(None, path)
    assert r.status_code == 302
    assert r["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("path", [*PAGES, "/console/queue/overdue/export.csv"])
def test_customers_are_refused(console, path):
    assert console.page("customer_a", path).status_code == 403


def test_each_role_sees_its_queues_and_no_other(console):
    for who, slugs in EXPECTED.items():
        r = console.page(who, "/console/")
        assert r.status_code == 200
        assert nav_slugs(r) == slugs, who
        for slug in QUEUES:
            status = console.page(who, f"/console/queue/{slug}/").status_code
            assert status == (200 if slug in slugs else 404), (who, slug)
    assert console.page("agent", "/console/queue/everything/").status_code == 404


def test_nav_counts_match_the_queues(console):
    console.new()
    console.build(State.INVESTIGATING)
    console.build(State.PENDING_APPROVAL)
    for who in ("agent", "handler", "manager", "executive"):
        r = console.page(who, "/console/")
        for item in r.context["console_queues"]:
            assert item.count == len(console.queue(who, item.slug)), (who, item.slug)
            assert item.alarm == (item.slug == "overdue")


def test_nav_counts_stop_at_the_cap(console, monkeypatch):
    """Long queues are counted up to the cap and shown as "cap+", never read to the end."""
    from kesu.complaints import queues

    for _ in range(4):
        console.new()
    monkeypatch.setattr(queues, "COUNT_CAP", 2)
    monkeypatch.setattr("kesu.console.context.COUNT_CAP", 2)
    r = console.page("agent", "/console/")
    unassigned = next(i for i in r.context["console_queues"] if i.slug == "unassigned")
    assert unassigned.count == 3  # cap + 1: "more than the cap"
    assert unassigned.shown == "2+"
    assert 'data-test="nav-unassigned">' in r.content.decode()
    assert '<span class="count">2+</span>' in r.content.decode()
    monkeypatch.setattr(queues, "COUNT_CAP", 4)
    monkeypatch.setattr("kesu.console.context.COUNT_CAP", 4)
    r = console.page("agent", "/console/")
    unassigned = next(i for i in r.context["console_queues"] if i.slug == "unassigned")
    assert (unassigned.count, unassigned.shown) == (4, "4")


# --- which rows --------------------------------------------------------------------------------


def test_each_role_sees_exactly_its_rows(console, time_machine):
    received = console.new()
    logistics = console.in_department("logistics")
    sales = console.in_department("sales")
    for_manager = console.build(State.PENDING_APPROVAL)  # 5,000: within the manager's tier
    for_executive = console.build(State.INVESTIGATING)
    console.propose(for_executive, Decimal("30000"))  # above the manager's tier
    closed = console.build(State.CLOSED)
    logistics_open = {logistics.number, for_manager.number, for_executive.number}

    assert console.queue("agent", "unassigned") == [received.number]
    every_open = {received.number, sales.number, *logistics_open}
    assert set(console.queue("agent", "mine")) == every_open  # the agent received them all
    assert console.queue("agent2", "mine") == []

    assert set(console.queue("handler", "mine")) == logistics_open
    assert set(console.queue("handler", "department")) == logistics_open
    assert console.queue("handler2", "mine") == []
    assert set(console.queue("handler2", "department")) == logistics_open
    assert set(console.queue("manager", "department")) == logistics_open

    assert console.queue("other_handler", "mine") == [sales.number]
    assert console.queue("other_handler", "department") == [sales.number]
    assert console.queue("other_manager", "department") == [sales.number]

    assert console.queue("manager", "approval") == [for_manager.number]
    assert console.queue("executive", "approval") == [for_executive.number]
    assert console.queue("other_manager", "approval") == []

    # Much later every open case is overdue: still each sees only their own.
    time_machine.move_to(NOW + timedelta(days=10), tick=False)
    sweep_deadlines()
    assert set(console.queue("agent", "overdue")) == every_open
    assert set(console.queue("quality", "overdue")) == every_open
    assert console.queue("other_handler", "overdue") == [sales.number]
    assert set(console.queue("handler", "overdue")) == logistics_open
    assert closed.number not in console.queue("agent", "overdue")


def test_callback_queue_follows_the_policy(console):
    b2b_case = console.build(State.PENDING_CALLBACK)
    assert console.queue("agent", "callback") == [b2b_case.number]
    assert console.page("handler2", "/console/queue/callback/").status_code == 404

    doc, _ = read_policy_file("b2b")
    roles = ["agent", "handler", "manager"]
    activate_b2b(callback=doc.callback.model_copy(update={"by_roles": roles}))
    case = console.build(State.PENDING_CALLBACK)  # handled by "handler"
    assert set(console.queue("agent", "callback")) == {b2b_case.number, case.number}
    # Not the handler of the round (seed 001 非原处理人); b2b's case is for agents only.
    assert console.queue("handler", "callback") == []
    assert console.queue("handler2", "callback") == [case.number]
    assert console.queue("manager", "callback") == [case.number]
    assert console.queue("other_handler", "callback") == []


def test_review_queue_only_with_the_review_step(console):
    activate_b2b(review_step=True)
    case = console.build(State.PENDING_REVIEW)
    assert "review" in nav_slugs(console.page("agent", "/console/"))
    assert console.queue("agent", "review") == [case.number]
    assert console.page("handler", "/console/queue/review/").status_code == 404


def test_due_soon_and_overdue_follow_the_deadlines(console, time_machine):
    case = console.new()  # email: ack due 11:00 (warned from 10:48), dispatch due 12:00
    calm = console.new(channel="hotline")  # acknowledged on the phone: only dispatch runs
    assert console.queue("agent", "due_soon") == []

    time_machine.move_to(NOW + timedelta(minutes=50), tick=False)
    assert console.queue("agent", "due_soon") == [case.number]
    assert console.queue("agent", "overdue") == []

    time_machine.move_to(NOW + timedelta(minutes=70), tick=False)  # ack passed, not yet swept
    assert console.queue("agent", "overdue") == [case.number]
    assert console.queue("agent", "due_soon") == []
    sweep_deadlines()
    assert Complaint.objects.get(pk=case.pk).is_overdue
    r = console.page("agent", "/console/queue/overdue/")
    assert numbers(r) == [case.number]
    assert b'data-overdue="true"' in r.content and "已超时" in r.content.decode()

    records.complaint_acknowledge(complaint=case, actor=console.users["agent"])
    assert console.queue("agent", "overdue") == []  # met late: the breach stays on record
    time_machine.move_to(NOW + timedelta(minutes=100), tick=False)  # both dispatches warned
    assert console.queue("agent", "due_soon") == by_queue_order([case, calm])


# --- order and pages ---------------------------------------------------------------------------


def set_due(complaints, dues):
    for c, due in zip(complaints, dues, strict=True):
        Complaint.objects.filter(pk=c.pk).update(next_due_at=due)


def test_sorted_by_nearest_deadline_none_last(console):
    made = [console.new() for _ in range(6)]
    dues = [
        NOW + timedelta(hours=5),
        None,
        NOW - timedelta(hours=1),
        NOW + timedelta(hours=5),
        None,
        NOW + timedelta(minutes=5),
    ]
    set_due(made, dues)
    listed = console.queue("agent", "unassigned")
    assert listed == by_queue_order(made)
    assert listed[0] == made[2].number and listed[-2:] == [made[1].number, made[4].number]


def test_keyset_pages_cover_every_row_once_both_ways(console, monkeypatch):
    monkeypatch.setattr(queue_views, "PAGE_SIZE", 4)
    made = [console.new() for _ in range(11)]
    dues = [NOW + timedelta(hours=h % 3) if h % 4 else None for h in range(11)]  # ties, nulls
    set_due(made, dues)
    expected = by_queue_order(made)

    pages, cursor = [], None
    while True:
        r = console.page("agent", "/console/queue/unassigned/", {"after": cursor} if cursor else {})
        pages.append(numbers(r))
        cursor = r.context["page"].next
        if cursor is None:
            break
    assert [n for p in pages for n in p] == expected
    assert [len(p) for p in pages] == [4, 4, 3]

    back, cursor = [pages[-1]], r.context["page"].previous
    while cursor:
        r = console.page("agent", "/console/queue/unassigned/", {"before": cursor})
        back.append(numbers(r))
        cursor = r.context["page"].previous
    assert back == pages[::-1]


def test_bad_cursor_is_an_error_not_a_crash(console):
    r = console.page("agent", "/console/queue/mine/", {"after": "forged"})
    assert r.status_code == 422
    r = console.page("agent", "/console/queue/mine/", {"before": "forged"})
    assert r.status_code == 422


def test_pager_links_keep_the_filters(console, monkeypatch):
    monkeypatch.setattr(queue_views, "PAGE_SIZE", 2)
    for _ in range(3):
        console.new()
    r = console.page("agent", "/console/queue/unassigned/", {"channel": "email"})
    html = r.content.decode()
    assert 'data-test="next"' in html
    assert "channel=email&amp;after=" in html
    assert (
        'data-test="export-csv" href="/console/queue/unassigned/export.csv?channel=email"' in html
    )


# --- filters -----------------------------------------------------------------------------------


def test_filters(console):
    a = console.new()
    b = console.new("customer_b", category="invoicing", description="发票开错了抬头。")
    hot = console.new(channel="hotline", urgent=True)
    level_a = console.in_department("logistics")
    records.complaint_change_level(
        complaint=level_a, actor=console.users["agent"], level="A", reason="威胁起诉"
    )
    Complaint.objects.filter(pk=a.pk).update(reopen_count=1)
    Complaint.objects.filter(pk=b.pk).update(received_at=NOW - timedelta(days=3))
    everything = {a.number, b.number, hot.number, level_a.number}

    def q(**params):
        return set(console.queue("agent", "mine", params))

    assert q() == everything
    assert q(state="investigating") == {level_a.number}
    assert q(level="A") == {level_a.number}
    assert q(category="invoicing") == {b.number}
    assert q(channel="hotline") == {hot.number}
    assert q(department="logistics") == {level_a.number}
    assert q(urgent="yes") == {hot.number}
    assert hot.number not in q(urgent="no")
    assert q(reopened="yes") == {a.number}
    assert a.number not in q(reopened="no")
    assert q(repeat="yes") == {x.number for x in (a, hot, level_a) if _repeat(x)}
    assert b.number not in q(received_from=str((NOW - timedelta(days=1)).date()))
    assert q(received_to=str((NOW - timedelta(days=3)).date())) == {b.number}
    assert q(channel="email", category="late_delivery") == {a.number, level_a.number}


def _repeat(c):
    return Complaint.objects.get(pk=c.pk).is_repeat


def test_bad_filter_values_are_reported_and_ignored(console):
    a = console.new()
    r = console.page("agent", "/console/queue/mine/", {"level": "Z", "received_from": "yesterday"})
    assert r.status_code == 200
    assert numbers(r) == [a.number]
    assert r.content.decode().count('data-test="filter-error"') == 2


def test_filters_never_widen_visibility(console):
    console.in_department("logistics")
    assert console.queue("other_handler", "department", {"department": "logistics"}) == []
    assert console.queue("other_handler", "overdue", {"department": "logistics"}) == []


# --- htmx and queries --------------------------------------------------------------------------


def test_htmx_filter_change_returns_only_the_results(console):
    a = console.new()
    b = console.new("customer_b", category="invoicing", description="发票开错了抬头。")
    headers = {"HX-Request": "true", "HX-Target": "results"}
    params = {"category": "invoicing", "level": "", "state": ""}
    r = console.page("agent", "/console/queue/mine/", params, headers=headers)
    assert r["HX-Push-Url"] == "/console/queue/mine/?category=invoicing"  # no empty filters
    html = r.content.decode()
    assert "<html" not in html and 'data-test="filter-form"' not in html
    assert f'data-number="{b.number}"' in html and f'data-number="{a.number}"' not in html
    assert 'data-test="export-xlsx"' in html  # the export links follow the filters

    full = console.page("agent", "/console/queue/mine/").content.decode()
    assert "<html" in full and 'data-test="filter-form"' in full
    assert 'hx-target="#results"' in full and 'hx-push-url="true"' in full


def test_row_shows_what_the_queue_needs(console):
    case = console.build(State.INVESTIGATING)
    records.complaint_change_level(
        complaint=case, actor=console.users["agent"], level="A", urgent=True, reason="律师函"
    )
    r = console.page("agent", "/console/queue/mine/")
    html = r.content.decode()
    row = html[html.index(f'data-number="{case.number}"') :]
    row = row[: row.index("</tr>")]
    for text in (
        f'href="/console/c/{case.number}/"',
        case.title,
        "陈建国",
        "调查处理中",  # state badge
        "A级(紧急)",
        'class="badge level-1"',
        'data-test="urgent"',
        "交货期延迟",  # category name from the policy
        "物流与计划部",  # department
        "h_logistics",  # handler
        "2026-11-16 10:00",  # received
        "data-countdown",
    ):
        assert text in row, text


@pytest.mark.parametrize(("who", "slug"), [("agent", "mine"), ("handler", "department")])
def test_queue_page_queries_do_not_grow_with_rows(
    console, who, slug, django_assert_max_num_queries
):
    def make(n):
        for _ in range(n):
            c = console.new()
            transitions.complaint_dispatch(
                complaint=c, actor=console.users["agent"], department="logistics", level="C"
            )

    make(5)
    client = console.signed_in(who)
    with CaptureQueriesContext(connection) as small:
        r = client.get(f"/console/queue/{slug}/")
    assert len(r.context["rows"]) == 5
    make(45)
    with django_assert_max_num_queries(len(small.captured_queries)):
        r = client.get(f"/console/queue/{slug}/")
    assert len(r.context["rows"]) == 50
    assert len(small.captured_queries) <= 16
