"""Submitting on the portal without an account: the receipt, and every way a submission is
refused (bad contact, files that are not what they say or too big, too many submissions, a
filled honeypot) with a clear message and nothing stored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.portal.conftest import JPEG, NOW, browser, form, jpeg, pdf, png

from kesu.complaints.models import Attachment, Complaint, Customer, Event, EventKind
from kesu.outbox.models import OutboxMessage
from kesu.portal.models import SubmissionAttempt


def stored() -> tuple[int, int, int, int]:
    return (
        Complaint.objects.count(),
        Customer.objects.count(),
        Attachment.objects.count(),
        OutboxMessage.objects.count(),
    )


@pytest.fixture
def baseline(portal) -> tuple[int, int, int, int]:
    """What is stored before the test submits anything (make_people has two customers)."""
    return stored()


def uploaded_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_form_offers_the_policy_categories(portal):
    r = portal.client.get("/portal/")
    assert r.status_code == 200
    html = r.content.decode()
    for test_id in ("customer-name", "customer-phone", "customer-email", "category", "files"):
        assert f'data-test="{test_id}"' in html
    assert 'data-test="submit"' in html
    assert 'value="late_delivery"' in html and "Late delivery" in html
    assert 'type="file" name="files"' in html and "multiple" in html


def test_a_good_submission_is_recorded_with_its_photos_and_acknowledged(portal, settings):
    data = form(files=[png(), jpeg(), pdf()])
    r = portal.submit(data)
    c = Complaint.objects.get()
    assert r.status_code == 302
    assert r["Location"] == f"/portal/c/{c.portal_token}/sent/"

    assert (c.channel, c.state, c.category, c.received_by) == (
        "web",
        "received",
        "late_delivery",
        None,
    )
    assert c.order_no == "SO-2026-1101" and c.incident_place == "苏州工业园区"
    assert c.demand == "尽快发货并说明原因"
    assert c.incident_at == NOW.replace(day=10, hour=9)
    assert (c.customer.name, c.customer.phone, c.customer.email) == (
        "王小明",
        "13900001111",
        "wang@example.cn",
    )
    # The files, typed by their content, visible to the customer, by nobody (anonymous).
    atts = list(c.attachments.order_by("pk"))
    assert [(a.name, a.content_type) for a in atts] == [
        ("photo.png", "image/png"),
        ("damage.jpg", "image/jpeg"),
        ("receipt.pdf", "application/pdf"),
    ]
    assert all(a.visible_to_customer and a.uploaded_by is None for a in atts)
    assert len(uploaded_files(settings)) == 3
    events = Event.objects.filter(complaint=c, kind=EventKind.ATTACHMENT)
    assert events.count() == 3 and all(e.visible_to_customer and e.actor is None for e in events)
    # The acknowledgment, with the number and the private link, by email and SMS.
    sent = OutboxMessage.objects.filter(event="complaint.received", complaint_id=c.pk)
    assert sorted((m.channel, m.address) for m in sent) == [
        ("email", "wang@example.cn"),
        ("sms", "13900001111"),
    ]
    assert all(c.portal_token in m.context["link"] for m in sent)
    assert all(m.context["number"] == c.number for m in sent)


def test_the_receipt_shows_the_number_and_the_private_link(portal):
    r = portal.submit()
    c = Complaint.objects.get()
    r = portal.client.get(r["Location"])
    assert r.status_code == 200
    html = r.content.decode()
    assert f'data-test="complaint-number">{c.number}<' in html
    assert f'href="/portal/c/{c.portal_token}/" data-test="private-link"' in html
    assert f"http://testserver/portal/c/{c.portal_token}/" in html
    assert "w***@example.cn" in html and "139****1111" in html
    # The link is the key: it must not leak by Referer, caches or search engines.
    assert r["Referrer-Policy"] == "same-origin"
    assert "no-store" in r["Cache-Control"] and "private" in r["Cache-Control"]
    assert "noindex" in r["X-Robots-Tag"]
    # The private link itself opens the complaint.
    assert portal.client.get(f"/portal/c/{c.portal_token}/").status_code == 200


def test_missing_contact_is_refused_and_nothing_stored(portal, baseline):
    r = portal.submit(form(customer_phone="", customer_email="", files=[png()]))
    assert r.status_code == 422
    html = r.content.decode()
    assert 'data-test="error-customer_phone"' in html
    assert "A contact phone number or email is required." in html
    # What the customer typed is still there.
    assert "订单约定11月10日交货" in html
    assert stored() == baseline
    assert SubmissionAttempt.objects.count() == 0


def test_an_email_alone_is_enough(portal):
    r = portal.submit(form(customer_phone=""))
    assert r.status_code == 302
    assert Complaint.objects.get().customer.email == "wang@example.cn"


def test_missing_description_and_category_are_refused(portal, baseline):
    r = portal.submit(form(description=" ", category=""))
    assert r.status_code == 422
    html = r.content.decode()
    assert 'data-test="error-description"' in html and 'data-test="error-category"' in html
    assert stored() == baseline


def test_an_unknown_category_is_refused(portal, baseline):
    r = portal.submit(form(category="not_a_category"))
    assert r.status_code == 422
    assert 'data-test="error-category"' in r.content.decode()
    assert stored() == baseline


def test_a_fake_image_is_refused_with_a_clear_message_and_nothing_stored(
    portal, baseline, settings
):
    fake = jpeg("holiday.jpg", b"this is plain text pretending to be a photo\n" * 10)
    r = portal.submit(form(files=[png(), fake]))
    assert r.status_code == 422
    html = r.content.decode()
    assert 'data-test="error-files"' in html
    assert "“holiday.jpg” is not a photo or PDF we can accept." in html
    assert stored() == baseline
    assert uploaded_files(settings) == []


def test_an_html_file_named_png_is_refused(portal, baseline):
    fake = png("x.png", b"<html><script>alert(1)</script></html>")
    r = portal.submit(form(files=[fake]))
    assert r.status_code == 422
    assert stored() == baseline


def test_a_file_too_large_is_refused(portal, baseline, settings):
    settings.KESU_MAX_UPLOAD_BYTES = 1000
    big = jpeg("big.jpg", JPEG + bytes(1000))
    r = portal.submit(form(files=[big]))
    assert r.status_code == 422
    html = r.content.decode()
    assert "“big.jpg” is larger than 1000\xa0bytes." in html
    assert stored() == baseline
    assert uploaded_files(settings) == []


def test_files_too_large_together_are_refused(portal, baseline, settings):
    settings.KESU_MAX_UPLOAD_BYTES = 1000
    settings.KESU_PORTAL_MAX_TOTAL_BYTES = 1500
    files = [jpeg(f"p{i}.jpg", JPEG + bytes(600)) for i in range(3)]
    r = portal.submit(form(files=files))
    assert r.status_code == 422
    assert "The files together are larger than" in r.content.decode()
    assert stored() == baseline


def test_too_many_files_are_refused(portal, baseline, settings):
    settings.KESU_PORTAL_MAX_FILES = 2
    r = portal.submit(form(files=[png("a.png"), png("b.png"), png("c.png")]))
    assert r.status_code == 422
    assert "Send at most 2 files at once." in r.content.decode()
    assert stored() == baseline


def test_an_incident_in_the_future_is_refused(portal, baseline):
    r = portal.submit(form(incident_at="2026-12-01T09:00"))
    assert r.status_code == 422
    assert 'data-test="error-incident_at"' in r.content.decode()
    assert stored() == baseline


def test_the_sixth_submission_in_ten_minutes_is_refused_with_429(portal, frozen):
    for i in range(5):
        r = portal.submit(form(description=f"第{i}次投诉:货物未到。"))
        assert r.status_code == 302, i
    r = portal.submit(form(description="第六次", files=[png()]))
    assert r.status_code == 429
    html = r.content.decode()
    assert 'data-test="rate-limited"' in html
    assert "Too many complaints were sent from your network in a short time." in html
    assert "try again in 10 minutes" in html
    assert r["Retry-After"] == "600"
    assert Complaint.objects.count() == 5 and Attachment.objects.count() == 0
    # Another network is not affected.
    other = browser(REMOTE_ADDR="198.51.100.7")
    assert portal.submit(form(description="别处"), client=other).status_code == 302
    # Ten minutes after the first ones, there is room again.
    frozen.move_to(NOW + timedelta(minutes=10), tick=False)
    assert portal.submit(form(description="十分钟后")).status_code == 302
    assert Complaint.objects.count() == 7


def test_refused_submissions_do_not_use_up_the_allowance(portal):
    for _ in range(6):
        assert portal.submit(form(customer_phone="", customer_email="")).status_code == 422
    for i in range(5):
        assert portal.submit(form(description=f"投诉{i}")).status_code == 302


def test_an_ipv6_network_counts_as_one_client(portal):
    for i in range(5):
        client = browser(REMOTE_ADDR=f"2001:db8:1:2::{i + 1}")
        assert portal.submit(form(description=f"投诉{i}"), client=client).status_code == 302
    same_line = browser(REMOTE_ADDR="2001:db8:1:2:ffff::9")
    assert portal.submit(form(), client=same_line).status_code == 429
    other_line = browser(REMOTE_ADDR="2001:db8:1:3::1")
    assert portal.submit(form(), client=other_line).status_code == 302


def test_forwarded_for_counts_only_behind_a_trusted_proxy(portal, settings):
    # No proxy trusted: a client cannot dodge the limit by inventing X-Forwarded-For.
    for i in range(5):
        spoof = {"HTTP_X_FORWARDED_FOR": f"203.0.113.{i}"}
        assert portal.submit(form(description=f"投诉{i}"), **spoof).status_code == 302
    assert portal.submit(form(), HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429
    # Behind one proxy (all requests come from it), the address it appends is the client.
    settings.KESU_TRUSTED_PROXIES = 1
    proxied = browser(REMOTE_ADDR="10.0.0.2")
    xff = {"HTTP_X_FORWARDED_FOR": "1.2.3.4, 198.51.100.20"}
    assert portal.submit(form(description="经代理"), client=proxied, **xff).status_code == 302
    assert SubmissionAttempt.objects.count() == 6


def test_a_filled_honeypot_stores_nothing(portal, baseline, settings):
    r = portal.submit(form(website="http://spam.example", files=[png()]))
    assert r.status_code == 400
    assert 'data-test="form-error"' in r.content.decode()
    assert stored() == baseline
    assert uploaded_files(settings) == []


def test_the_honeypot_is_hidden_from_people(portal):
    html = portal.client.get("/portal/").content.decode()
    assert '<div class="hp" aria-hidden="true">' in html
    assert 'name="website"' in html and 'tabindex="-1"' in html


def test_a_signed_in_customer_submits_under_their_own_record(portal):
    customer = portal.people.customer
    client = browser()
    client.force_login(customer)
    page = client.get("/portal/").content.decode()
    assert 'data-test="profile-contact"' in page and 'name="customer_phone"' not in page
    data = {k: v for k, v in form().items() if not k.startswith("customer_")}
    r = portal.submit(data, client=client)
    assert r.status_code == 302
    c = Complaint.objects.get()
    assert c.customer.user == customer and c.customer.name == "陈建国"
    assert Customer.objects.count() == 2  # no new record: the two of make_people
    # It is listed on their page.
    assert c.number in client.get("/portal/mine/").content.decode()


def test_a_follow_up_form_is_filled_from_the_earlier_complaint(portal):
    c = portal.new(order_no="SO-1")
    html = portal.client.get(f"/portal/?after={c.portal_token}").content.decode()
    assert f"Follow-up of complaint {c.number}" in html
    assert 'value="SO-1"' in html and 'value="13900001111"' in html
    # A wrong token fills nothing in.
    html = portal.client.get("/portal/?after=nonsense-token-xxxxxxxxxx").content.decode()
    assert "Follow-up of complaint" not in html


def test_the_page_answers_in_chinese_by_default(portal):
    r = browser(HTTP_ACCEPT_LANGUAGE="zh-CN").get("/portal/")
    assert r.status_code == 200
    assert '<html lang="zh-hans">' in r.content.decode()


@pytest.mark.parametrize(("accept", "language"), [("en", "en"), ("zh-CN,zh;q=0.9", "zh-hans")])
def test_the_customer_hears_in_the_language_of_the_page(portal, accept, language):
    client = browser(HTTP_ACCEPT_LANGUAGE=accept)
    assert portal.submit(client=client).status_code == 302
    c = Complaint.objects.get()
    assert c.customer.language == language
    ack = OutboxMessage.objects.get(event="complaint.received", channel="email")
    assert ack.language == language
