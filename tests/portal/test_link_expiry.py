"""Private portal links that end and can be replaced (issue 7, services.portal_links).

A link works while the complaint is open and for KESU_PORTAL_LINK_DAYS after it is finished
(never less than the reopen window after closure); an ended link is 410 Gone with a page that
says what to do, and changes nothing. Customer service replace a link: the old one is not found
at once, the new one goes to the customer, the timeline records it without either token. No
log line holds a link."""

from __future__ import annotations

import importlib
import io
import json
import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from gunicorn.config import Config
from tests.portal.conftest import DEPT, NOW, browser

from kesu.accounts.models import ApiToken
from kesu.complaints.audit import verify
from kesu.complaints.models import (
    Attachment,
    Communication,
    Complaint,
    Event,
    EventKind,
    new_portal_token,
)
from kesu.complaints.services import transitions
from kesu.complaints.states import State
from kesu.outbox.models import OutboxMessage
from kesu.outbox.rendering import render

DAY = timedelta(days=1)
OWNER = {"customer_name": "陈建国", "customer_phone": "13816620001"}  # people.customer's record


def html(response) -> str:
    return response.content.decode()


def url(c: Complaint, suffix: str = "", token: str | None = None) -> str:
    return f"/portal/c/{token or c.portal_token}/{suffix}"


def signed_in(user):
    client = browser()
    client.force_login(user)
    return client


def test_tokens_are_long_random_keys_found_by_a_unique_index():
    tokens = {new_portal_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(len(t) == 32 for t in tokens)  # 24 random bytes: 192 bits
    assert Complaint._meta.get_field("portal_token").unique


def test_a_link_works_while_open_and_for_its_period_after_closure(portal, frozen):
    fresh = portal.new()
    assert fresh.portal_link_expires_at is None
    assert portal.page(fresh).status_code == 200

    c = portal.build(State.CLOSED, **OWNER)
    assert c.portal_link_expires_at == NOW + 90 * DAY  # b2b reopens within 15 days
    assert 'data-test="link-until"' in html(portal.page(c))
    frozen.move_to(NOW + 90 * DAY)
    assert portal.page(c).status_code == 200  # its last moment

    frozen.move_to(NOW + 90 * DAY + timedelta(seconds=1))
    r = portal.page(c)
    page = html(r)
    assert r.status_code == 410 and 'data-test="link-expired"' in page
    assert "This link has expired" in page and f">{c.number}<" in page
    assert 'data-test="expired-signin"' in page  # sign in to "my complaints"
    for private in ("陈建国", "138****0001", "交货期延迟", 'data-test="timeline-item"'):
        assert private not in page
    assert r["Referrer-Policy"] == "same-origin" and "no-store" in r["Cache-Control"]
    zh = browser(HTTP_ACCEPT_LANGUAGE="zh-CN").get(url(c))
    assert zh.status_code == 410 and "此链接已失效" in html(zh)
    for suffix in ("sent/", "attachments/1/"):
        assert portal.client.get(url(c, suffix)).status_code == 410
    # The follow-up form fills in nothing from an ended link.
    follow_up = html(portal.client.get(f"/portal/?after={c.portal_token}"))
    assert "陈建国" not in follow_up and c.number not in follow_up

    # The customer signed in to their account still reads it (the session proves them, and
    # "my complaints" links here); another customer gets the ended page.
    assert signed_in(portal.people.customer).get(url(c)).status_code == 200
    r = signed_in(portal.people.other_customer).get(url(c))
    assert r.status_code == 410 and 'data-test="expired-mine"' in html(r)


def test_an_ended_link_changes_nothing(portal, frozen):
    c = portal.build(State.CLOSED)
    frozen.move_to(NOW + 91 * DAY)

    def state():
        return (
            Complaint.objects.get(pk=c.pk).version,
            Event.objects.filter(complaint=c).count(),
            Communication.objects.filter(complaint=c).count(),
            Attachment.objects.filter(complaint=c).count(),
            OutboxMessage.objects.filter(complaint_id=c.pk).count(),
        )

    before = state()
    for suffix, data in (
        ("info/", {"text": "补充说明"}),
        ("answer/", {"text": "补充说明"}),
        ("rate/", {"outcome_rating": 1, "process_rating": 1, "accepted": "no"}),
        ("reopen/", {"reason": "还是不满意"}),
    ):
        r = portal.post(c, suffix, data)
        assert r.status_code == 410 and 'data-test="link-expired"' in html(r), suffix
    assert state() == before


def test_the_end_follows_the_state_and_never_comes_before_the_reopen_window(
    portal, frozen, settings
):
    settings.KESU_PORTAL_LINK_DAYS = 1
    c = portal.build(State.CLOSED)
    assert c.portal_link_expires_at == NOW + 15 * DAY  # the reopen window, not one day
    frozen.move_to(NOW + 14 * DAY)
    assert portal.post(c, "reopen/", {"reason": "补发的货物又少了两件。"}).status_code == 302
    c.refresh_from_db()
    assert (c.state, c.portal_link_expires_at) == (State.INVESTIGATING, None)

    rejected = portal.new()
    transitions.complaint_reject(complaint=rejected, actor=portal.agent, reason="非本公司业务")
    rejected.refresh_from_db()
    assert rejected.portal_link_expires_at == NOW + 15 * DAY  # rejected: one day after


def test_customer_service_replace_a_link(portal):
    c = portal.build(State.INVESTIGATING)
    old, version = c.portal_token, c.version
    agent = signed_in(portal.agent)
    page = html(agent.get(f"/console/c/{c.number}/"))
    assert 'data-test="renew-portal-link"' in page and old not in page

    r = agent.post(f"/console/c/{c.number}/portal-link/", {"reason": "链接被转发给了他人"})
    assert r.status_code == 302 and r["Location"] == f"/console/c/{c.number}/#portal-link"
    c.refresh_from_db()
    new = c.portal_token
    assert new != old and c.version == version  # nobody's open form goes stale
    assert portal.client.get(url(c, token=old)).status_code == 404
    assert portal.page(c).status_code == 200

    event = Event.objects.get(complaint=c, kind=EventKind.PORTAL_LINK)
    assert event.actor == portal.agent and not event.visible_to_customer
    assert event.data == {"reason": "链接被转发给了他人", "sent_by": ["email", "sms"]}
    assert verify(complaint=c).breaks == []  # sealed into the timeline like any event
    messages = OutboxMessage.objects.filter(event="portal.link_renewed", complaint_id=c.pk)
    assert sorted((m.channel, m.address) for m in messages) == [
        ("email", "wang@example.cn"),
        ("sms", "13900001111"),
    ]
    _subject, body = render("portal.link_renewed", "email", "en", messages[0].context)
    assert f"/portal/c/{new}/" in body and "no longer works" in body

    page = html(agent.get(f"/console/c/{c.number}/"))
    assert "Private link replaced" in page and "链接被转发给了他人" in page
    assert old not in page and new not in page


def test_only_customer_service_may_replace_a_link(portal):
    c = portal.build(State.INVESTIGATING)  # with the logistics department
    token = c.portal_token
    path = f"/console/c/{c.number}/portal-link/"
    people = portal.people
    for user, status in (
        (portal.handler, 403),
        (people.managers[DEPT], 403),
        (people.executive, 403),
        (people.quality, 403),
        (people.customer, 403),
        (people.handlers["sales"], 404),  # may not even see it
    ):
        assert signed_in(user).post(path).status_code == status, user
    handler_page = html(signed_in(portal.handler).get(f"/console/c/{c.number}/"))
    assert 'data-test="portal-link"' in handler_page  # they see until when it works
    assert 'data-test="renew-portal-link"' not in handler_page
    assert Complaint.objects.get(pk=c.pk).portal_token == token
    assert not Event.objects.filter(complaint=c, kind=EventKind.PORTAL_LINK).exists()

    # The customer-service manager, from the page (htmx swaps the panel in place).
    cs_manager = next(m for m in people.managers.values() if m.department.is_customer_service)
    r = signed_in(cs_manager).post(path, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'data-test="portal-link-notice"' in html(r)
    assert Complaint.objects.get(pk=c.pk).portal_token != token


def test_the_api_operation(portal, frozen):
    c = portal.build(State.CLOSED)
    old = c.portal_token
    tokens = {
        who: ApiToken.issue(user=user, name="t")[1]
        for who, user in (
            ("admin", portal.people.admin),
            ("handler", portal.handler),
            ("quality", portal.people.quality),
            ("stranger", portal.people.handlers["sales"]),
        )
    }

    def post(who: str, body=None, number: str = c.number):
        return portal.client.post(
            f"/api/v1/complaints/{number}/portal-link",
            data=json.dumps(body) if body is not None else "",
            content_type="application/json",
            headers={"Authorization": f"Bearer {tokens[who]}"},
        )

    r = post("admin", {"reason": "客户要求"})
    assert r.status_code == 200, r.content
    body = r.json()
    c.refresh_from_db()
    assert body["number"] == c.number and body["sent_by"] == ["email", "sms"]
    assert body["expires_at"].startswith("2027-02-14")  # 90 days after closure
    assert old not in r.content.decode() and c.portal_token not in r.content.decode()
    assert post("handler").json()["code"] == "permission_denied"
    assert post("quality").status_code == 403
    assert post("stranger").status_code == 404
    assert post("admin", number="KS-20991231-9999").status_code == 404
    assert post("admin", {"reason": "长" * 501}).status_code == 422
    assert post("admin", {"link": "mine"}).status_code == 422
    frozen.move_to(NOW + 91 * DAY)
    r = post("admin")
    assert r.status_code == 409 and r.json()["code"] == "rule_not_met"
    assert Event.objects.filter(complaint=c, kind=EventKind.PORTAL_LINK).count() == 1


def test_the_migration_fills_finished_complaints_in_one_statement(portal, settings):
    migration = importlib.import_module("kesu.complaints.migrations.0013_portal_link_expiry")
    closed = portal.build(State.CLOSED)
    rejected = portal.new()
    transitions.complaint_reject(complaint=rejected, actor=portal.agent, reason="非本公司业务")
    still_open = portal.new()
    Complaint.objects.update(portal_link_expires_at=None)  # as before the migration
    settings.KESU_PORTAL_LINK_DAYS = 10
    migration.fill_expiry(apps, None)
    ends = dict(Complaint.objects.values_list("pk", "portal_link_expires_at"))
    rejected.refresh_from_db()
    assert ends[closed.pk] == closed.closed_at + 15 * DAY  # the policy's reopen window
    assert ends[rejected.pk] == rejected.updated_at + 10 * DAY
    assert ends[still_open.pk] is None


@pytest.fixture
def console_log():
    """What the console handler (settings.LOGGING) writes, in place of stderr."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_no_log_line_holds_a_private_link(portal, frozen, console_log, capsys):
    c = portal.build(State.CLOSED)
    frozen.move_to(NOW + 91 * DAY)
    assert portal.page(c).status_code == 410  # Django logs "Gone: <path>"
    assert portal.client.get("/portal/c/NotATokenButSecretLooking1/").status_code == 404
    logged = console_log.getvalue()
    assert "/portal/c/…/" in logged
    assert c.portal_token not in logged and "SecretLooking" not in logged

    from kesu.gunicorn_conf import JsonLogger, PrivateLinkLogger

    cfg = Config()
    cfg.set("accesslog", "-")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": f"/portal/c/{c.portal_token}/",
        "RAW_URI": f"/portal/?after={c.portal_token}",
        "QUERY_STRING": f"after={c.portal_token}",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    resp = SimpleNamespace(status="410 Gone", sent=10, headers=[])
    for logger_class in (PrivateLinkLogger, JsonLogger):
        logger_class(cfg).access(resp, SimpleNamespace(headers=[]), environ, DAY / 86400)
    out = capsys.readouterr().out
    assert c.portal_token not in out
    assert '"GET /portal/?after=… HTTP/1.1"' in out  # gunicorn's text line: the request line
    assert '"path": "/portal/c/…/"' in out  # the JSON line
