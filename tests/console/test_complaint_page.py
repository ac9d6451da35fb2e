"""The complaint page: who may open it, what it shows (record, masking, deadlines by round,
links, timeline), exactly the allowed actions, attachments behind an access check, and a
number of queries that does not grow with the case."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesu.complaints.access import allowed_actions
from kesu.complaints.models import Attachment, Complaint, Event
from kesu.complaints.services import records, transitions
from kesu.complaints.states import State
from tests.console.conftest import shown_actions

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
STAFF = ("agent", "handler", "handler2", "manager", "executive", "quality", "admin")


def html(response) -> str:
    return response.content.decode()


# --- who may open it -------------------------------------------------------------------------


@pytest.mark.parametrize("who", STAFF)
def test_the_page_opens_for_everyone_who_may_see_the_complaint(console, pages, who):
    c = console.build(State.INVESTIGATING)
    r = pages.get(who, c)
    assert r.status_code == 200
    assert 'data-test="complaint-number">' + c.number in html(r)
    assert 'data-test="state" data-state="investigating"' in html(r)


@pytest.mark.parametrize("who", ["other_handler", "other_manager", "finance_handler"])
def test_another_departments_staff_get_not_found(console, pages, who):
    c = console.build(State.INVESTIGATING)
    assert pages.get(who, c).status_code == 404
    assert pages.post(who, c, "add_note", {"text": "x"}).status_code == 404


def test_customers_are_refused_and_anonymous_users_sent_to_sign_in(console, pages, client):
    c = console.build(State.INVESTIGATING)  # customer_a's own complaint
    assert pages.get("customer_a", c).status_code == 403
    assert pages.get("customer_b", c).status_code == 403
    assert pages.post("customer_a", c, "add_note", {"text": "x"}).status_code == 403
    r = client.get(f"/console/c/{c.number}/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("number", ["KS-19990101-0001", "nope", "KS%00"])
def test_an_unknown_number_is_not_found(console, pages, number):
    assert pages.get("agent", number).status_code == 404


def test_a_task_department_sees_the_case_it_works_for_with_the_contact_masked(console, pages):
    c = console.build(State.INVESTIGATING)
    console.add_task(c)
    r = pages.get("finance_handler", c)
    assert r.status_code == 200
    assert "138****0001" in html(r) and "c***@example.cn" in html(r)
    assert "13816620001" not in html(r)
    assert shown_actions(r) == set(allowed_actions(console.users["finance_handler"], c))


# --- what it offers --------------------------------------------------------------------------

STATES = [
    (State.RECEIVED, {}),
    (State.ASSIGNED, {}),
    (State.INVESTIGATING, {}),
    (State.AWAITING_CUSTOMER, {}),
    (State.PENDING_APPROVAL, {}),
    (State.RESOLVING, {}),
    (State.PENDING_REVIEW, {"review": True}),
    (State.PENDING_CALLBACK, {}),
    (State.CLOSED, {}),
]


@pytest.mark.parametrize(("state", "options"), STATES, ids=[s for s, _ in STATES])
def test_the_page_offers_exactly_the_allowed_actions(console, pages, state, options):
    c = console.build(state, **options)
    if state == State.RESOLVING:
        console.add_task(c)
    for who in (*STAFF, "finance_handler"):
        user = console.users[who]
        c = Complaint.objects.get(pk=c.pk)
        r = pages.get(who, c)
        if r.status_code == 404:
            assert not allowed_actions(user, c), who
            continue
        assert shown_actions(r) == set(allowed_actions(user, c)), (who, state)


def test_rejected_and_merged_complaints_offer_nothing(console, pages):
    keep = console.new()
    c = console.new(description="同一件事又打了一次电话。")
    transitions.complaint_merge(complaint=c, actor=console.users["agent"], into=keep)
    r = pages.get("agent", c)
    assert shown_actions(r) == set()
    assert 'data-test="no-actions"' in html(r)
    assert f'data-test="merged-into">{keep.number}' in html(r)


# --- what it shows ---------------------------------------------------------------------------


def test_the_record_shows_contact_in_clear_to_those_who_contact_the_customer(console, pages):
    c = console.build(State.INVESTIGATING)
    for who in ("agent", "handler", "executive"):
        page = html(pages.get(who, c))
        assert "13816620001" in page and "chen@example.cn" in page, who
        assert 'data-masked="1"' not in page
    page = html(pages.get("quality", c))
    assert "138****0001" in page and "13816620001" not in page
    assert 'data-masked="1"' in page


def test_the_record_shows_the_suggestion_beside_the_choice(console, pages):
    c = console.new(
        description="交货期推迟,我们准备找律师起诉。", order_no="PO-7781", level="C", urgent=False
    )
    page = html(pages.get("agent", c))
    assert c.suggested_level == "A" and c.level == "C"
    assert 'data-test="suggested-level"' in page
    assert "A级(紧急)" in page and "C级(一般)" in page
    assert "PO-7781" in page
    assert "交货期推迟" in page
    assert "b2b v" in page  # the policy version it was graded under


def test_deadlines_of_the_current_round_with_earlier_rounds_folded(console, pages):
    c = console.build(State.PENDING_CALLBACK)
    transitions.complaint_record_callback(
        complaint=c,
        actor=console.users["agent"],
        reached=True,
        outcome_rating=2,
        process_rating=3,
        accepted=False,
        notes="赔偿金额不够。",
    )
    page = html(pages.get("handler", c))
    assert '<details class="round" data-test="round-1">' in page
    current = page.split('data-test="round-1"')[0]
    assert re.search(r'data-test="milestone" data-kind="solution" data-status="running"', current)
    assert "赔偿金额不够。" in page
    assert 'data-test="reopened"' in page
    # round 1's met deadlines stay on record
    earlier = page.split('data-test="round-1"')[1]
    assert 'data-kind="callback" data-status="met"' in earlier


def test_a_breached_deadline_shows_as_breached_with_a_countdown(console, pages, time_machine):
    c = console.build(State.INVESTIGATING)
    from kesu.complaints.services.sweep import sweep_deadlines

    time_machine.move_to("2026-11-20 10:00 +08:00", tick=False)
    sweep_deadlines()
    page = html(pages.get("handler", c))
    assert 'data-kind="contact" data-status="breached"' in page
    assert 'class="due late"' in page
    assert 'data-test="overdue"' in page


def test_an_extension_shows_the_original_and_the_new_deadline(console, pages):
    c = console.build(State.INVESTIGATING)
    ext = console.request_extension(c)
    records.complaint_decide_extension(
        complaint=c, actor=console.users["manager"], extension=ext, approve=True
    )
    page = html(pages.get("handler", c))
    assert re.search(r'data-kind="solution" data-status="running" data-extended="1"', page)
    assert 'data-test="extended"' in page
    assert 'data-test="extension" data-status="approved"' in page


def test_links_to_repeats_and_merged_complaints(console, pages):
    first = console.new()
    again = console.new(description="还是交货期延迟,又一次没发货。")
    assert again.is_repeat
    page = html(pages.get("agent", again))
    assert f'href="/console/c/{first.number}/"' in page
    page = html(pages.get("agent", first))
    assert f'href="/console/c/{again.number}/"' in page  # repeated by


def test_the_timeline_lists_every_event_with_who_and_what(console, pages):
    c = console.build(State.RESOLVING)
    records.complaint_add_note(complaint=c, actor=console.users["handler"], text="内部:注意回访。")
    page = html(pages.get("agent", c))
    items = page.count('data-test="timeline-item"')
    assert items == Event.objects.filter(complaint=c).count()
    assert "内部:注意回访。" in page
    assert 'data-kind="transition" data-action="dispatch"' in page
    assert "h_logistics" in page  # the handler's name, not an id


def test_solutions_tasks_and_callbacks_are_shown(console, pages):
    c = console.build(State.PENDING_APPROVAL)
    console.add_task(c)
    page = html(pages.get("manager", c))
    assert 'data-test="solution" data-status="pending_approval"' in page
    assert "补发货物并致歉。" in page
    assert 'data-test="task" data-status="open"' in page
    assert "核对付款记录" in page


def test_english_pages(console, pages):
    c = console.new()
    page = html(pages.get("agent", c, **{"Accept-Language": "en"}))
    assert "Grade and dispatch" in page
    page = html(pages.get("agent", c))
    assert "定级并分派" in page and "Grade and dispatch" not in page


def test_an_htmx_request_gets_the_main_region_only(console, pages):
    c = console.new()
    r = pages.get("agent", c, htmx=True)
    assert r.status_code == 200
    assert "<html" not in html(r)
    assert 'data-test="state"' in html(r)


# --- attachments -----------------------------------------------------------------------------


def _attach(console, c, name, content, content_type, visible=True):
    return records.complaint_add_attachment(
        complaint=c,
        actor=console.users["agent"],
        name=name,
        content=content,
        content_type=content_type,
        visible_to_customer=visible,
    )


def test_an_image_is_previewed_inline_with_safe_headers(console, pages):
    c = console.build(State.INVESTIGATING)
    att = _attach(console, c, "签收单.png", PNG, "image/png")
    page = html(pages.get("handler", c))
    url = f"/console/c/{c.number}/attachments/{att.pk}/"
    assert f'<img class="thumb" src="{url}"' in page
    r = pages.client("handler").get(url)
    assert r.status_code == 200
    assert b"".join(r.streaming_content) == PNG
    assert r["Content-Type"] == "image/png"
    assert r["Content-Disposition"].startswith("inline")
    assert r["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in r["Content-Security-Policy"]


def test_other_files_are_downloads(console, pages):
    c = console.build(State.INVESTIGATING)
    att = _attach(console, c, "说明.pdf", b"%PDF-1.4 test", "application/pdf")
    r = pages.client("agent").get(f"/console/c/{c.number}/attachments/{att.pk}/")
    assert r.status_code == 200
    assert r["Content-Disposition"].startswith("attachment")
    assert r["Content-Type"] == "application/octet-stream"
    assert r["X-Content-Type-Options"] == "nosniff"


def test_attachments_are_refused_to_those_who_cannot_see_the_complaint(console, pages, client):
    c = console.build(State.INVESTIGATING)
    other = console.new("customer_b", category="invoicing", description="发票抬头错了。")
    att = _attach(console, c, "photo.png", PNG, "image/png")
    url = f"/console/c/{c.number}/attachments/{att.pk}/"
    assert pages.client("other_handler").get(url).status_code == 404
    assert pages.client("customer_a").get(url).status_code == 403
    assert client.get(url).status_code == 302
    # an attachment reached through another complaint's number is not found
    wrong = f"/console/c/{other.number}/attachments/{att.pk}/"
    assert pages.client("agent").get(wrong).status_code == 404
    assert Attachment.objects.count() == 1


# --- cost ------------------------------------------------------------------------------------


def _page_queries(pages, who, c) -> int:
    with CaptureQueriesContext(connection) as ctx:
        r = pages.get(who, c)
    assert r.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["agent", "handler"])
def test_the_page_costs_the_same_queries_however_long_the_case(
    console, pages, who, django_assert_max_num_queries
):
    c = console.build(State.RESOLVING)
    pages.get(who, c)  # warm caches (policy document, content types)
    before = _page_queries(pages, who, c)
    handler = console.users["handler"]
    for n in range(15):
        c.refresh_from_db()
        records.complaint_add_note(complaint=c, actor=handler, text=f"备注 {n}")
        records.complaint_log_communication(
            complaint=c, actor=handler, channel="phone", direction="out", summary=f"电话 {n}"
        )
        _attach(console, c, f"p{n}.png", PNG, "image/png")
        console.add_task(c)
    assert Event.objects.filter(complaint=c).count() > 60
    after = _page_queries(pages, who, c)
    assert after == before
    with django_assert_max_num_queries(40):
        pages.get(who, c)
