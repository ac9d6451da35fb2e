"""Following a complaint by its private link: what the customer sees (and does not), and what
they may do, each only when the state allows it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from tests.portal.conftest import NOW, PDF, browser, jpeg, pdf, png

from kesu.complaints.models import (
    Attachment,
    Callback,
    Communication,
    Complaint,
    Event,
    EventKind,
    HandlingRound,
    Milestone,
)
from kesu.complaints.services import records, transitions
from kesu.complaints.services.transitions import ActionInput
from kesu.complaints.states import State
from kesu.outbox.models import OutboxMessage

INTERNAL = "内部备注:客户脾气急,先别承诺赔偿"


def html(response) -> str:
    return response.content.decode()


def test_the_page_shows_the_status_and_only_what_the_customer_may_see(portal):
    c = portal.build(State.INVESTIGATING)
    records.complaint_add_note(complaint=c, actor=portal.handler, text=INTERNAL)
    records.complaint_log_communication(
        complaint=c,
        actor=portal.handler,
        channel="phone",
        direction="out",
        summary="电话沟通内容:内部口径",
    )
    records.complaint_add_attachment(
        complaint=c,
        actor=portal.handler,
        name="internal-report.pdf",
        content=PDF,
        content_type="application/pdf",
        visible_to_customer=False,
    )
    r = portal.page(c)
    assert r.status_code == 200
    page = html(r)
    assert f'data-test="complaint-number">{c.number}<' in page
    assert 'data-test="state" data-state="investigating"' in page
    assert "We are looking into what happened." in page
    # The next answer the customer waits for: the solution (C: 3 working days).
    assert 'data-test="next-answer"' in page and "We tell you our solution" in page
    # The customer-visible timeline.
    assert page.count('data-test="timeline-item"') == 3  # received, assigned, investigating
    # Nothing internal: notes, contacts' summaries, internal files, grading, staff names.
    for secret in (INTERNAL, "电话沟通内容", "internal-report.pdf", "h_logistics", "agent"):
        assert secret not in page
    assert "operation_error" not in page and "suggest" not in page.lower()
    # Contact details masked on a page anyone with the link could open.
    assert "139****1111" in page and "13900001111" not in page
    # Add information is offered; nothing else is.
    assert 'data-test="add-info-form"' in page
    for form in ("provide-form", "rate-form", "reopen-form"):
        assert f'data-test="{form}"' not in page
    assert r["Referrer-Policy"] == "same-origin" and "no-store" in r["Cache-Control"]


@pytest.mark.parametrize(
    "token",
    ["x" * 32, "short", "bad token with spaces!!!!!!!!!", "a\x00" * 10],
)
def test_a_wrong_token_is_not_found(portal, token):
    portal.new()
    assert portal.client.get(f"/portal/c/{token}/").status_code == 404
    assert portal.client.get(f"/portal/c/{token}/sent/").status_code == 404


def test_a_wrong_token_cannot_act(portal):
    c = portal.new()
    before = Complaint.objects.get(pk=c.pk).version
    bad = "y" * 32
    for suffix, data in (
        ("info/", {"text": "hello"}),
        ("answer/", {"text": "hello"}),
        ("rate/", {"outcome_rating": 5, "process_rating": 5, "accepted": "yes"}),
        ("reopen/", {"reason": "不满意"}),
    ):
        assert portal.client.post(f"/portal/c/{bad}/{suffix}", data).status_code == 404
    assert Complaint.objects.get(pk=c.pk).version == before


def test_added_information_appears_on_the_timeline(portal):
    c = portal.build(State.INVESTIGATING)
    r = portal.post(c, "info/", {"text": "补充:货物外箱有水渍。", "files": [jpeg()]})
    assert r.status_code == 302 and r["Location"] == f"/portal/c/{c.portal_token}/"
    page = html(portal.client.get(r["Location"]))
    assert "Your information was added to the complaint." in page
    assert "补充:货物外箱有水渍。" in page and "File added: damage.jpg" in page
    info = Event.objects.get(complaint=c, kind=EventKind.CUSTOMER_INFO)
    assert info.visible_to_customer and info.actor is None  # an anonymous customer
    comm = Communication.objects.get(complaint=c, direction="in")
    assert (comm.channel, comm.summary, comm.by) == ("portal", "补充:货物外箱有水渍。", None)
    att = Attachment.objects.get(complaint=c)
    assert (att.content_type, att.visible_to_customer, att.uploaded_by) == (
        "image/jpeg",
        True,
        None,
    )
    # The handler is told.
    assert OutboxMessage.objects.filter(
        event="customer.info", complaint_id=c.pk, recipient=portal.handler
    ).exists()
    # The case did not move.
    assert Complaint.objects.get(pk=c.pk).state == State.INVESTIGATING


def test_a_customer_with_a_login_is_named_on_what_they_add(portal):
    c = portal.build(State.INVESTIGATING, customer_name="陈建国", customer_phone="13816620001")
    assert c.customer.user == portal.people.customer
    portal.post(c, "info/", {"text": "补充说明"})
    info = Event.objects.get(complaint=c, kind=EventKind.CUSTOMER_INFO)
    assert info.actor == portal.people.customer


def test_files_alone_may_be_added(portal):
    c = portal.build(State.ASSIGNED)
    r = portal.post(c, "info/", {"text": "", "files": [png(), pdf()]})
    assert r.status_code == 302
    assert Attachment.objects.filter(complaint=c).count() == 2
    assert not Event.objects.filter(complaint=c, kind=EventKind.CUSTOMER_INFO).exists()


def test_empty_information_and_bad_files_are_refused(portal, settings):
    c = portal.build(State.INVESTIGATING)
    version = Complaint.objects.get(pk=c.pk).version
    r = portal.post(c, "info/", {"text": "  "})
    assert r.status_code == 422
    assert "Write what you want to add, or choose a file." in html(r)
    assert 'data-test="add-info-form"' in html(r)
    fake = jpeg("x.jpg", b"just text" * 20)
    r = portal.post(c, "info/", {"text": "看照片", "files": [png(), fake]})
    assert r.status_code == 422
    assert "“x.jpg” is not a photo or PDF we can accept." in html(r)
    assert "看照片" in html(r)  # what the customer typed is kept
    assert Complaint.objects.get(pk=c.pk).version == version
    assert not Attachment.objects.filter(complaint=c).exists()
    assert not Event.objects.filter(complaint=c, kind=EventKind.CUSTOMER_INFO).exists()


def test_providing_the_requested_information_resumes_the_case(portal):
    c = portal.build(State.AWAITING_CUSTOMER)
    page = html(portal.page(c))
    assert 'data-test="requested-info">请提供签收单照片。<' in page
    assert 'data-test="provide-form"' in page and 'data-test="paused"' in page
    assert 'data-test="add-info-form"' not in page  # the answer is what we need now
    solution = Milestone.objects.get(complaint=c, kind="solution")
    assert solution.status == "paused"

    r = portal.post(c, "answer/", {"text": "签收单照片见附件。", "files": [jpeg("签收单.jpg")]})
    assert r.status_code == 302
    c.refresh_from_db()
    assert c.state == State.INVESTIGATING
    solution.refresh_from_db()
    assert solution.status == "open"
    page = html(portal.client.get(r["Location"]))
    assert "签收单照片见附件。" in page and "File added: 签收单.jpg" in page
    assert 'data-test="provide-form"' not in page
    assert OutboxMessage.objects.filter(event="customer.info", recipient=portal.handler).exists()


def test_an_answer_of_files_alone_names_them(portal):
    c = portal.build(State.AWAITING_CUSTOMER)
    assert portal.post(c, "answer/", {"text": "", "files": [png("sign.png")]}).status_code == 302
    info = Event.objects.get(complaint=c, kind=EventKind.CUSTOMER_INFO)
    assert info.data["text"] == "Files sent: sign.png"


def test_providing_information_when_not_asked_is_refused(portal):
    c = portal.build(State.INVESTIGATING)
    r = portal.post(c, "answer/", {"text": "我来补充"})
    assert r.status_code == 409
    assert "This action is not possible in the complaint&#x27;s current state." in html(r)
    assert Complaint.objects.get(pk=c.pk).state == State.INVESTIGATING


def rate(portal, c, **answers):
    data = {"outcome_rating": 4, "process_rating": 5, "accepted": "yes", "comment": ""}
    return portal.post(c, "rate/", {**data, **answers})


def test_rating_at_callback_and_accepting_closes_the_case(portal):
    c = portal.build(State.PENDING_CALLBACK)
    page = html(portal.page(c))
    assert 'data-test="rate-form"' in page
    assert 'data-test="outcome-rating"' in page and 'data-test="process-rating"' in page
    assert 'data-test="accepted"' in page
    r = rate(portal, c, comment="处理得不错")
    assert r.status_code == 302
    c.refresh_from_db()
    assert c.state == State.CLOSED and c.close_reason == "satisfied"
    rnd = HandlingRound.objects.get(complaint=c, number=1)
    assert (rnd.outcome_rating, rnd.process_rating, rnd.satisfied) == (4, 5, True)
    cb = Callback.objects.get(complaint=c)
    assert (cb.method, cb.by, cb.notes) == ("portal", None, "处理得不错")
    page = html(portal.client.get(r["Location"]))
    assert "Your complaint is closed." in page
    assert "You accepted the outcome." in page and ">satisfied<" not in page
    assert 'data-test="ratings"' in page and 'data-test="rate-form"' not in page
    # Within the reopen window the customer may ask for secondary handling.
    assert 'data-test="reopen-form"' in page


def test_rating_without_accepting_starts_round_two(portal):
    c = portal.build(State.PENDING_CALLBACK)
    r = rate(portal, c, outcome_rating=2, process_rating=3, accepted="no", comment="补发的也坏了")
    assert r.status_code == 302
    c.refresh_from_db()
    assert (c.state, c.round_no, c.reopen_count) == (State.INVESTIGATING, 2, 1)
    first = HandlingRound.objects.get(complaint=c, number=1)
    assert (first.outcome_rating, first.process_rating, first.satisfied) == (2, 3, False)
    page = html(portal.client.get(r["Location"]))
    assert "your complaint is being handled again" in page
    assert 'data-test="round"' in page and "Handled again (round 2)" in page


def test_the_rating_needs_both_questions_and_the_decision(portal):
    c = portal.build(State.PENDING_CALLBACK)
    r = portal.post(c, "rate/", {"outcome_rating": 4})
    assert r.status_code == 422
    page = html(r)
    assert 'data-test="error-process_rating"' in page and 'data-test="error-accepted"' in page
    r = rate(portal, c, outcome_rating=9)
    assert r.status_code == 422
    assert Complaint.objects.get(pk=c.pk).state == State.PENDING_CALLBACK


def test_rating_before_the_callback_is_refused(portal):
    c = portal.build(State.INVESTIGATING)
    assert 'data-test="rate-form"' not in html(portal.page(c))
    r = rate(portal, c)
    assert r.status_code == 409
    assert Complaint.objects.get(pk=c.pk).state == State.INVESTIGATING
    assert not Callback.objects.filter(complaint=c).exists()


def test_reopening_within_the_window_starts_a_new_round(portal, frozen):
    c = portal.build(State.CLOSED)
    frozen.move_to(NOW + timedelta(days=14), tick=False)
    page = html(portal.page(c))
    assert 'data-test="reopen-form"' in page
    r = portal.post(c, "reopen/", {"reason": "补发的货物又少了两件。"})
    assert r.status_code == 302
    c.refresh_from_db()
    assert (c.state, c.round_no, c.reopen_count) == (State.INVESTIGATING, 2, 1)
    assert HandlingRound.objects.get(complaint=c, number=2).reason == "补发的货物又少了两件。"
    page = html(portal.client.get(r["Location"]))
    assert "补发的货物又少了两件。" in page
    assert OutboxMessage.objects.filter(event="complaint.reopened", complaint_id=c.pk).exists()


def test_after_the_window_a_new_linked_complaint_is_explained(portal, frozen):
    c = portal.build(State.CLOSED)
    frozen.move_to(NOW + timedelta(days=16), tick=False)
    page = html(portal.page(c))
    assert 'data-test="reopen-form"' not in page
    assert 'data-test="reopen-passed"' in page
    assert "within 15 days of its closure" in page
    assert f'href="/portal/?after={c.portal_token}"' in page
    r = portal.post(c, "reopen/", {"reason": "还是不满意"})
    assert r.status_code == 409
    assert "The reopen window has passed" in html(r)
    c.refresh_from_db()
    assert (c.state, c.round_no) == (State.CLOSED, 1)


def test_a_reopen_needs_a_reason(portal):
    c = portal.build(State.CLOSED)
    r = portal.post(c, "reopen/", {"reason": ""})
    assert r.status_code == 422
    assert 'data-test="error-reason"' in html(r)
    assert Complaint.objects.get(pk=c.pk).state == State.CLOSED


def test_a_page_left_open_while_staff_acted_is_told_so(portal):
    c = portal.build(State.INVESTIGATING)
    seen = Complaint.objects.get(pk=c.pk).version
    records.complaint_add_note(complaint=c, actor=portal.handler, text="note")
    r = portal.client.post(f"/portal/c/{c.portal_token}/info/", {"text": "补充", "version": seen})
    assert r.status_code == 409
    assert "changed by someone else" in html(r)
    assert not Event.objects.filter(complaint=c, kind=EventKind.CUSTOMER_INFO).exists()


def test_the_approved_solution_is_shown_but_not_one_awaiting_approval(portal):
    c = portal.build(State.INVESTIGATING)
    transitions.complaint_propose_solution(
        complaint=c,
        actor=portal.handler,
        summary="赔偿五千元(待审批)",
        actions=[ActionInput(kind="compensation", amount=Decimal("5000"))],
        root_cause="operation_error",
    )
    c.refresh_from_db()
    assert c.state == State.PENDING_APPROVAL
    page = html(portal.page(c))
    assert "赔偿五千元" not in page and 'data-test="solutions"' not in page
    transitions.complaint_approve_solution(complaint=c, actor=portal.people.managers["logistics"])
    page = html(portal.page(c))
    assert 'data-test="solution"' in page and "赔偿五千元(待审批)" in page
    assert "Amount: 5000.00 CNY" in page and "Compensation" in page


def test_a_rejected_complaint_shows_the_reason_and_the_recourse(portal):
    c = portal.new()
    transitions.complaint_reject(
        complaint=c, actor=portal.agent, reason="不属于本公司业务", recourse="请联系承运商。"
    )
    page = html(portal.page(c))
    assert 'data-state="rejected"' in page and 'data-test="rejection"' in page
    assert "不属于本公司业务" in page and "请联系承运商。" in page
    assert 'data-test="add-info-form"' not in page


def test_attachments_are_served_through_the_token_with_safe_headers(portal):
    c = portal.new()
    portal.post(c, "info/", {"files": [png("p.png"), pdf("r.pdf")]})
    photo, doc = Attachment.objects.filter(complaint=c).order_by("pk")
    r = portal.page(c, f"attachments/{photo.pk}/")
    assert r.status_code == 200
    assert r["Content-Type"] == "image/png"
    assert r["Content-Disposition"].startswith("inline")
    assert r["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in r["Content-Security-Policy"]
    assert r["Referrer-Policy"] == "same-origin" and "no-store" in r["Cache-Control"]
    assert b"".join(r.streaming_content).startswith(b"\x89PNG")
    r = portal.page(c, f"attachments/{doc.pk}/")
    assert r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"].startswith("attachment")
    # The page lists and links them.
    page = html(portal.page(c))
    assert f"/portal/c/{c.portal_token}/attachments/{photo.pk}/" in page


def test_attachments_of_staff_or_of_another_complaint_are_not_served(portal):
    c, other = portal.new(), portal.new(customer_name="李四", customer_phone="13700000000")
    internal = records.complaint_add_attachment(
        complaint=c,
        actor=portal.agent,
        name="internal.pdf",
        content=PDF,
        content_type="application/pdf",
        visible_to_customer=False,
    )
    portal.post(other, "info/", {"files": [png()]})
    theirs = Attachment.objects.get(complaint=other)
    assert portal.page(c, f"attachments/{internal.pk}/").status_code == 404
    assert portal.page(c, f"attachments/{theirs.pk}/").status_code == 404
    assert portal.page(other, f"attachments/{theirs.pk}/").status_code == 200


def test_the_page_is_the_same_for_a_signed_in_stranger(portal):
    """The token proves the customer; a signed-in user of another account gets no more."""
    c = portal.build(State.INVESTIGATING)
    records.complaint_add_note(complaint=c, actor=portal.handler, text=INTERNAL)
    stranger = browser()
    stranger.force_login(portal.people.other_customer)
    page = html(portal.page(c, client=stranger))
    assert INTERNAL not in page and c.number in page


def test_the_forms_pass_csrf_protection_as_a_browser_sends_them(portal):
    """The page's own forms post with its CSRF token and the same-origin Origin header the
    Referrer-Policy lets the browser send (with "no-referrer" it would send "Origin: null")."""
    c = portal.build(State.INVESTIGATING)
    strict = browser(enforce_csrf_checks=True)
    page = html(portal.page(c, client=strict))
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    r = portal.post(
        c,
        "info/",
        {"text": "补充", "csrfmiddlewaretoken": token},
        client=strict,
    )
    assert r.status_code == 302
    r = strict.post(
        f"/portal/c/{c.portal_token}/info/",
        {"text": "补充", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="null",
    )
    assert r.status_code == 403
