"""Outgoing webhooks against a real HTTP receiver on loopback (docs/webhooks.md)."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from kesu.complaints.models import EventKind
from kesu.complaints.services.events import record_event
from kesu.outbox.models import Channel, OutboxMessage, WebhookDelivery, WebhookEndpoint
from kesu.outbox.services import deliver_due
from kesu.outbox.webhooks.queue import queue_ping
from kesu.outbox.webhooks.signing import sign, verify_signature
from tests.outbox.loopback import Answer, LoopbackServer, closed_port_url

pytestmark = pytest.mark.django_db

Status = OutboxMessage.Status
Outcome = WebhookDelivery.Outcome


@pytest.fixture
def receiver():
    with LoopbackServer() as server:
        yield server


@pytest.fixture
def now() -> dt.datetime:
    # A little ahead of the wall clock, so messages queued during the test are already due.
    return timezone.now() + dt.timedelta(seconds=5)


def _endpoint(url: str, **fields) -> WebhookEndpoint:
    fields.setdefault("name", "crm")
    return WebhookEndpoint.objects.create(url=url, **fields)


def _event(complaint, kind: str = EventKind.NOTE, **fields):
    fields.setdefault("action", "add_note")
    return record_event(complaint=complaint, kind=kind, at=timezone.now(), **fields)


def _webhooks() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(channel=Channel.WEBHOOK).order_by("created_at"))


def test_signed_post_that_receivers_can_verify(receiver, complaint, now):
    endpoint = _endpoint(receiver.url + "/hooks/kesu?src=1")
    _event(complaint, EventKind.TRANSITION, from_state="received", to_state="assigned")
    [message] = _webhooks()
    assert (message.event, message.webhook_endpoint, message.complaint) == (
        "complaint.transition",
        endpoint,
        complaint,
    )

    assert deliver_due(worker_id="w", now=now) == 1
    [request] = receiver.requests
    assert (request.method, request.path) == ("POST", "/hooks/kesu?src=1")
    headers = request.headers
    assert headers["content-type"] == "application/json"
    assert headers["x-kesu-delivery"] == str(message.pk)
    assert headers["x-kesu-event"] == "complaint.transition"
    timestamp = headers["x-kesu-timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    signature = headers["x-kesu-signature"]
    assert signature.startswith("sha256=")

    assert verify_signature(endpoint.secret, timestamp, request.body, signature)
    assert not verify_signature("wrong-secret", timestamp, request.body, signature)
    assert not verify_signature(endpoint.secret, timestamp, request.body + b" ", signature)
    assert not verify_signature(endpoint.secret, int(timestamp) + 1, request.body, signature)
    # A replay ten minutes later is refused even with the right secret.
    assert not verify_signature(
        endpoint.secret, timestamp, request.body, signature, now=int(timestamp) + 600
    )

    payload = json.loads(request.body.decode("utf-8"))
    assert payload["id"] == str(message.pk)
    assert payload["type"] == "complaint.transition"
    assert dt.datetime.fromisoformat(payload["occurred_at"]).utcoffset() is not None
    assert payload["complaint"] == {
        "number": "KS-20250301-0001",
        "state": complaint.state,
        "level": "B",
        "category": "quality",
        "department": None,
        "channel": "web",
        "received_at": timezone.localtime(complaint.received_at).isoformat(),
        "url": f"http://127.0.0.1:8000/console/c/{complaint.number}/",
    }
    assert payload["event"] == {
        "kind": "transition",
        "action": "add_note",
        "from_state": "received",
        "to_state": "assigned",
        "round": 1,
    }
    # Privacy: no contact details of the customer.
    assert "13800000000" not in request.body.decode()

    message.refresh_from_db()
    assert message.status == Status.SENT
    [log] = WebhookDelivery.objects.all()
    assert (log.message, log.endpoint, log.attempt, log.status_code, log.outcome) == (
        message,
        endpoint,
        1,
        200,
        Outcome.SENT,
    )
    assert log.response_excerpt == "ok" and log.error == ""


def test_sign_matches_the_documented_recipe():
    import hashlib
    import hmac

    body = b'{"id":"x"}'
    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("s3cret", 1700000000, body) == f"sha256={expected}"
    assert verify_signature("s3cret", "1700000000", body, f"sha256={expected}", now=1700000100)
    assert not verify_signature("s3cret", "soon", body, f"sha256={expected}", now=1700000100)
    assert not verify_signature("s3cret", "1700000000", body, expected, now=1700000100)


def test_server_error_is_retried_with_backoff_then_delivered(receiver, complaint, now):
    receiver.answers = [Answer(500, b"database is down")]
    _endpoint(receiver.url)
    _event(complaint)
    [message] = _webhooks()

    assert deliver_due(worker_id="w", now=now) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 1)
    assert abs(message.available_at - (now + dt.timedelta(seconds=30))) < dt.timedelta(seconds=1)
    assert message.last_error == "WebhookRetry: HTTP 500"
    assert deliver_due(worker_id="w", now=now + dt.timedelta(seconds=29)) == 0

    assert deliver_due(worker_id="w", now=now + dt.timedelta(seconds=31)) == 1
    message.refresh_from_db()
    assert message.status == Status.SENT

    first, second = receiver.requests
    # The same delivery id and body on every try: receivers drop the repeat by the id.
    assert first.headers["x-kesu-delivery"] == second.headers["x-kesu-delivery"] == str(message.pk)
    assert first.body == second.body
    logs = list(WebhookDelivery.objects.order_by("attempt"))
    assert [(d.attempt, d.status_code, d.outcome) for d in logs] == [
        (1, 500, Outcome.RETRY),
        (2, 200, Outcome.SENT),
    ]
    assert logs[0].response_excerpt == "database is down"


@pytest.mark.parametrize("status", [408, 429, 503])
def test_temporary_statuses(receiver, complaint, now, status):
    receiver.answers = [Answer(status)]
    _endpoint(receiver.url)
    _event(complaint)
    deliver_due(worker_id="w", now=now)
    [message] = _webhooks()
    assert message.status == Status.PENDING


def test_gone_is_permanent_and_resend_works(receiver, complaint, now, admin_client):
    receiver.answers = [Answer(410, b"x" * 5000)]
    _endpoint(receiver.url)
    _event(complaint)
    [message] = _webhooks()

    assert deliver_due(worker_id="w", now=now) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.DEAD, 1)
    assert message.last_error == "PermanentDeliveryError: HTTP 410"
    [log] = WebhookDelivery.objects.all()
    assert (log.status_code, log.outcome) == (410, Outcome.FAILED)
    assert len(log.response_excerpt) == 1024  # the first 1 KB only

    # The receiver is fixed; the administrator resends the dead message from the outbox admin.
    response = admin_client.post(
        reverse("admin:outbox_outboxmessage_changelist"),
        {"action": "resend_dead", "_selected_action": [str(message.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    assert deliver_due(worker_id="w", now=now + dt.timedelta(seconds=1)) == 1
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert [r.headers["x-kesu-delivery"] for r in receiver.requests] == [str(message.pk)] * 2
    assert WebhookDelivery.objects.count() == 2


@pytest.mark.parametrize("status", [400, 404, 302])
def test_other_client_errors_and_redirects_are_permanent(receiver, complaint, now, status):
    receiver.answers = [Answer(status, headers={"Location": receiver.url + "/elsewhere"})]
    _endpoint(receiver.url)
    _event(complaint)
    deliver_due(worker_id="w", now=now)
    [message] = _webhooks()
    assert message.status == Status.DEAD
    assert len(receiver.requests) == 1  # a redirect is not followed


def test_connection_refused_is_retried_and_logged(complaint, now):
    _endpoint(closed_port_url())
    _event(complaint)
    deliver_due(worker_id="w", now=now)
    [message] = _webhooks()
    assert message.status == Status.PENDING
    [log] = WebhookDelivery.objects.all()
    assert log.status_code is None and log.outcome == Outcome.RETRY
    assert "Connection" in log.error


def test_timeout_is_retried(receiver, complaint, now, settings):
    settings.KESU_WEBHOOK_TIMEOUT = 0.2
    receiver.answers = [Answer(200, delay=1.0)]
    _endpoint(receiver.url)
    _event(complaint)
    deliver_due(worker_id="w", now=now)
    [message] = _webhooks()
    assert message.status == Status.PENDING
    [log] = WebhookDelivery.objects.all()
    assert log.outcome == Outcome.RETRY and "timed out" in log.error


def test_last_attempt_is_logged_as_failed(receiver, complaint, now):
    receiver.answers = [Answer(503)]
    _endpoint(receiver.url)
    _event(complaint)
    OutboxMessage.objects.update(max_attempts=1)
    deliver_due(worker_id="w", now=now)
    [message] = _webhooks()
    assert message.status == Status.DEAD
    assert WebhookDelivery.objects.get().outcome == Outcome.FAILED


def test_event_filter_and_inactive_endpoints(receiver, complaint):
    transitions = _endpoint(receiver.url, name="transitions", events=[EventKind.TRANSITION])
    everything = _endpoint(receiver.url, name="all")
    _endpoint(receiver.url, name="off", is_active=False)

    _event(complaint, EventKind.NOTE)
    assert [m.webhook_endpoint for m in _webhooks()] == [everything]
    _event(complaint, EventKind.TRANSITION)
    assert sorted(m.webhook_endpoint.name for m in _webhooks()) == ["all", "all", "transitions"]
    assert transitions.wants("transition") and not transitions.wants("note")


def test_endpoint_deactivated_after_queueing_is_not_called(receiver, complaint, now):
    endpoint = _endpoint(receiver.url)
    _event(complaint)
    endpoint.is_active = False
    endpoint.save()
    deliver_due(worker_id="w", now=now)
    [message] = _webhooks()
    assert message.status == Status.DEAD and "inactive" in message.last_error
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()


def test_no_endpoint_costs_one_query_per_transaction(complaint, django_assert_num_queries):
    # Per event: the timeline's last seal (kesu.complaints.audit) and the insert; the
    # endpoints looked for once.
    with django_assert_num_queries(5):
        _event(complaint)
        _event(complaint)
    assert _webhooks() == []


def test_endpoints_cost_one_insert_per_event(receiver, complaint, django_assert_num_queries):
    _endpoint(receiver.url, name="a")
    _endpoint(receiver.url, name="b")
    # Per event: the timeline's last seal, its insert and one bulk insert of its webhook rows;
    # the endpoints once.
    with django_assert_num_queries(7):
        _event(complaint)
        _event(complaint)
    assert len(_webhooks()) == 4


def test_the_endpoint_list_lasts_one_transaction(receiver, complaint, django_assert_num_queries):
    _endpoint(receiver.url)
    # Savepoint, last seal, event, endpoints, webhook row, rollback to and release the
    # savepoint.
    with django_assert_num_queries(7), pytest.raises(RuntimeError), transaction.atomic():
        _event(complaint)
        raise RuntimeError("rolled back")
    assert _webhooks() == []
    with django_assert_num_queries(
        4
    ):  # a new transaction looks again: seal, event, endpoints, webhook row
        _event(complaint)
    assert len(_webhooks()) == 1


def test_a_new_endpoint_is_seen_at_once(receiver, complaint):
    _event(complaint)
    assert _webhooks() == []
    _endpoint(receiver.url)
    _event(complaint)
    assert len(_webhooks()) == 1


def test_intake_and_dispatch_queue_webhooks_in_their_transaction(preset, receiver, now):
    from kesu.complaints.services import transitions
    from kesu.complaints.services.intake import NewComplaint, complaint_create
    from tests.conftest import make_people

    preset("b2b")
    people = make_people()
    _endpoint(receiver.url)
    data = NewComplaint(
        customer_name="孙丽",
        customer_phone="13655556666",
        customer_email="sun@example.cn",
        channel="email",
        category="late_delivery",
        description="货还没到。",
    )

    # The intake rolls back (here: its caller fails after it): no webhook was queued.
    with pytest.raises(RuntimeError), transaction.atomic():
        complaint_create(data=data, actor=people.agent)
        assert _webhooks()
        raise RuntimeError("caller failed")
    assert _webhooks() == []

    complaint, _ = complaint_create(data=data, actor=people.agent)
    created = _webhooks()
    assert "complaint.created" in [m.event for m in created]
    assert all(m.complaint_id == complaint.pk for m in created)

    transitions.complaint_dispatch(
        complaint=complaint, actor=people.agent, department="logistics", level="C"
    )
    dispatched = [m for m in _webhooks() if m not in created]
    [moved] = [m for m in dispatched if m.event == "complaint.transition"]
    assert moved.context["complaint"]["department"] == "logistics"
    assert moved.context["complaint"]["level"] == "C"
    assert moved.context["event"]["action"] == "dispatch"

    deliver_due(worker_id="w", now=now)
    webhooks = _webhooks()
    assert {m.status for m in webhooks} == {Status.SENT}
    assert len(receiver.requests) == len(webhooks)
    bodies = b"".join(r.body for r in receiver.requests).decode()
    assert "13655556666" not in bodies and "sun@example.cn" not in bodies


def test_url_must_be_http_or_https():
    endpoint = WebhookEndpoint(name="x", url="ftp://example.com/hook")
    with pytest.raises(ValidationError) as exc:
        endpoint.full_clean()
    assert "url" in exc.value.message_dict
    endpoint = WebhookEndpoint(name="x", url="https://example.com/hook", events=["nope"])
    with pytest.raises(ValidationError) as exc:
        endpoint.full_clean()
    assert "events" in exc.value.message_dict
    WebhookEndpoint(name="x", url="https://example.com/hook", events=["transition"]).full_clean()


def test_secret_is_generated_and_unique():
    a = _endpoint("https://a.example.com/")
    b = _endpoint("https://b.example.com/")
    assert len(a.secret) >= 40 and a.secret != b.secret


def test_admin_creates_shows_secret_once_and_pings(receiver, admin_client, now):
    response = admin_client.post(
        reverse("admin:outbox_webhookendpoint_add"),
        {"name": "crm", "url": receiver.url, "events": ["transition", "note"], "is_active": "on"},
        follow=True,
    )
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["transition", "note"]
    notices = " ".join(str(m) for m in response.context["messages"])
    assert endpoint.secret in notices

    change = admin_client.get(reverse("admin:outbox_webhookendpoint_change", args=[endpoint.pk]))
    assert endpoint.secret not in change.content.decode()

    response = admin_client.post(
        reverse("admin:outbox_webhookendpoint_changelist"),
        {"action": "send_test_ping", "_selected_action": [str(endpoint.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    [ping] = _webhooks()
    assert ping.event == "ping" and ping.context["endpoint"] == "crm"
    assert deliver_due(worker_id="w", now=now) == 1
    [request] = receiver.requests
    assert request.headers["x-kesu-event"] == "ping"
    assert verify_signature(
        endpoint.secret,
        request.headers["x-kesu-timestamp"],
        request.body,
        request.headers["x-kesu-signature"],
    )

    for name in ("webhookendpoint", "webhookdelivery"):
        page = admin_client.get(reverse(f"admin:outbox_{name}_changelist"))
        assert page.status_code == 200, name
    log = admin_client.get(
        reverse("admin:outbox_webhookdelivery_changelist"), {"endpoint__id__exact": endpoint.pk}
    )
    assert log.status_code == 200 and "ping" in log.content.decode()

    old = endpoint.secret
    response = admin_client.post(
        reverse("admin:outbox_webhookendpoint_changelist"),
        {"action": "generate_new_secret", "_selected_action": [str(endpoint.pk)]},
        follow=True,
    )
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert endpoint.secret in " ".join(str(m) for m in response.context["messages"])


def test_ping_reaches_an_inactive_endpoint(receiver, now):
    endpoint = _endpoint(receiver.url, is_active=False)
    queue_ping(endpoint)
    assert deliver_due(worker_id="w", now=now) == 1
    assert len(receiver.requests) == 1
