"""Recording a complaint in the console: the form (agents only), a backdated received time
accepted and a future one refused, attachments with the complaint or nothing, one complaint
for a form sent twice, and the look-ups as the agent types (customers with their earlier
complaints and the repeat warning; the policy's suggestions)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kesu.complaints.models import Attachment, Complaint, Milestone
from kesu.complaints.states import State
from tests.console.conftest import NOW
from tests.console.test_actions import local
from tests.console.test_complaint_page import PNG, html

URL = "/console/new/"


def form_data(**fields):
    data = {
        "idempotency_key": "k-" + fields.pop("key", "1"),
        "customer_name": "陈建国",
        "customer_phone": "13816620001",
        "channel": "hotline",
        "received_at": local(NOW),
        "description": "交货期延迟了一周,影响生产。",
        "demand": "尽快发货。",
        "category": "late_delivery",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_the_form_is_for_agents(console, pages, client):
    r = pages.client("agent").get(URL)
    assert r.status_code == 200
    page = html(r)
    for name in (
        "customer_name",
        "customer_phone",
        "channel",
        "received_at",
        "description",
        "category",
        "level",
        "order_no",
        "attachments",
    ):
        assert f'data-test="intake-{name}"' in page, name
    assert 'value="2026-11-16T10:00"' in page  # received now, unless said otherwise
    assert 'max="2026-11-16T10:00"' in page
    for who in ("handler", "manager", "executive", "quality", "customer_a"):
        assert pages.client(who).get(URL).status_code == 403, who
        assert pages.client(who).post(URL, form_data()).status_code == 403, who
    assert client.get(URL).status_code == 302
    assert Complaint.objects.count() == 0


def test_a_complaint_received_earlier_is_recorded_with_its_real_time(console, pages):
    received = NOW - timedelta(hours=3)
    r = pages.client("agent").post(
        URL,
        form_data(
            received_at=local(received),
            order_no="PO-1001",
            claimed_amount="300",
            urgent="no",
            level="C",
        ),
    )
    assert r.status_code == 302, html(r)
    c = Complaint.objects.get()
    assert r["Location"] == f"/console/c/{c.number}/?created=1"
    assert c.received_at == received and c.received_by == console.users["agent"]
    assert c.order_no == "PO-1001" and c.level == "C" and not c.urgent
    assert Milestone.objects.get(complaint=c, kind="dispatch").started_at == received
    page = html(pages.client("agent").get(r["Location"]))
    assert f'data-test="new-number">{c.number}' in page
    assert c.number in page.split('class="messages"')[1]


def test_a_received_time_in_the_future_is_refused_clearly(console, pages):
    r = pages.client("agent").post(URL, form_data(received_at=local(NOW + timedelta(hours=1))))
    assert r.status_code == 422
    page = html(r)
    assert 'data-test="field-error"' in page
    assert "受理时间不能晚于当前时间。" in page
    assert Complaint.objects.count() == 0


def test_missing_and_invalid_data_is_shown_next_to_the_fields(console, pages):
    r = pages.client("agent").post(
        URL, form_data(customer_phone="", description="", received_at="昨天")
    )
    assert r.status_code == 422
    assert html(r).count('data-test="field-error"') >= 2
    r = pages.client("agent").post(URL, form_data(customer_phone=""))
    assert r.status_code == 422  # the service: a phone or an email is needed
    assert 'data-test="field-error"' in html(r)
    assert Complaint.objects.count() == 0


def test_a_platform_complaint_needs_its_case_number(console, pages):
    r = pages.client("agent").post(URL, form_data(channel="platform_12315"))
    assert r.status_code == 422
    assert Complaint.objects.count() == 0
    r = pages.client("agent").post(
        URL, form_data(channel="platform_12315", platform_case_no="12315-2026-001", key="2")
    )
    assert r.status_code == 302
    assert Complaint.objects.get().platform_case_no == "12315-2026-001"


def test_attachments_come_with_the_complaint_or_not_at_all(console, pages):
    photo = SimpleUploadedFile("破损.png", PNG, content_type="image/png")
    bad = SimpleUploadedFile("x.exe", b"MZ...", content_type="application/x-msdownload")
    r = pages.client("agent").post(URL, {**form_data(), "attachments": [photo, bad]})
    assert r.status_code == 422
    assert Complaint.objects.count() == 0 and Attachment.objects.count() == 0
    photo = SimpleUploadedFile("破损.png", PNG, content_type="image/png")
    r = pages.client("agent").post(URL, {**form_data(key="2"), "attachments": [photo]})
    assert r.status_code == 302
    assert Attachment.objects.get().complaint == Complaint.objects.get()


def test_a_form_sent_twice_records_one_complaint(console, pages):
    data = form_data()
    first = pages.client("agent").post(URL, data)
    second = pages.client("agent").post(URL, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Complaint.objects.count() == 1
    # the same form changed and sent again is refused, with a fresh form to record another
    r = pages.client("agent").post(URL, {**data, "description": "另一件事。"})
    assert r.status_code == 422
    assert 'data-test="intake-errors"' in html(r)
    assert 'value="k-1"' not in html(r)


def test_the_grading_can_be_left_to_the_suggestion(console, pages):
    r = pages.client("agent").post(
        URL, form_data(category="", description="发票开错了,对方说要找律师。")
    )
    assert r.status_code == 302
    c = Complaint.objects.get()
    assert c.category == "invoicing" and c.level == "A"
    assert c.suggested_level == "A" and c.suggested_category == "invoicing"


# --- look-ups ----------------------------------------------------------------------------


def lookup(pages, **params):
    return pages.client("agent").get(f"{URL}lookup/", params, headers={"HX-Request": "true"})


def test_lookup_finds_the_customer_with_earlier_complaints(console, pages):
    earlier = console.build(State.CLOSED)
    r = lookup(pages, customer_phone="1381662")
    assert r.status_code == 200
    page = html(r)
    assert 'data-test="lookup-customer"' in page and "陈建国" in page
    assert earlier.number in page and 'data-test="previous-complaint"' in page
    assert 'data-test="repeat-warning"' not in page  # no category typed yet
    assert "刘芳" not in page
    r = lookup(pages, customer_name="刘芳")
    assert "刘芳" in html(r) and "陈建国" not in html(r)


def test_lookup_warns_of_a_repeat_within_the_policys_window(console, pages):
    earlier = console.new()  # late_delivery, customer_a, today
    r = lookup(pages, customer_phone="13816620001", category="late_delivery")
    page = html(r)
    assert 'data-test="repeat-warning"' in page
    assert earlier.number in page.split('data-test="repeat-warning"')[1].split("</div>")[0]
    r = lookup(pages, customer_phone="13816620001", category="invoicing")
    assert 'data-test="repeat-warning"' not in html(r)
    # outside the window (30 days in b2b) it is no repeat
    r = lookup(
        pages,
        customer_phone="13816620001",
        category="late_delivery",
        received_at=local(NOW + timedelta(days=40)),
    )
    assert 'data-test="repeat-warning"' not in html(r)
    # the same order is a repeat whoever calls
    order = console.new("customer_b", order_no="PO-55", category="invoicing", description="x")
    r = lookup(pages, customer_phone="139000", order_no="PO-55")
    assert order.number in html(r) and 'data-test="repeat-warning"' in html(r)


def test_lookup_with_too_little_typed_or_no_match(console, pages):
    console.new()
    assert 'data-test="lookup-customer"' not in html(lookup(pages, customer_phone="13"))
    r = lookup(pages, customer_phone="19999999999")
    assert 'data-test="lookup-none"' in html(r)


def suggest(pages, **params):
    return pages.client("agent").get(f"{URL}suggest/", params, headers={"HX-Request": "true"})


def test_suggestions_follow_what_is_typed(console, pages):
    r = suggest(pages, description="交货期推迟了,我们要找律师。")
    assert r.status_code == 200
    page = html(r)
    assert 'id="suggest-level"' in page and 'hx-swap-oob="true"' in page
    assert 'data-fill="level" data-value="A"' in page
    assert 'data-fill="category" data-value="late_delivery"' in page
    assert "律师" in page  # the reason
    r = suggest(pages, description="发票抬头错了。", claimed_amount="25000")
    assert 'data-fill="level" data-value="B"' in html(r)  # the amount rule
    assert 'data-fill="category" data-value="invoicing"' in html(r)
    r = suggest(pages, description="")
    assert 'data-fill="level"' not in html(r)


def test_a_repeat_raises_the_suggested_level(console, pages):
    console.new()
    params = {"description": "普通的问题。", "category": "late_delivery"}
    assert 'data-value="C"' in html(suggest(pages, **params))
    r = suggest(pages, customer_name="陈建国", customer_phone="13816620001", **params)
    assert 'data-fill="level" data-value="B"' in html(r)  # b2b: repeats are raised to B


@pytest.mark.parametrize("path", ["lookup/", "suggest/"])
def test_lookups_are_for_agents(console, pages, path):
    assert pages.client("handler").get(URL + path).status_code == 403


def test_without_an_active_procedure_the_form_says_so(console, pages):
    from kesu.policy.models import Policy

    Policy.objects.update(is_active=False)
    r = pages.client("agent").get(URL)
    assert r.status_code == 503
    assert pages.client("agent").get(f"{URL}suggest/").status_code == 503
