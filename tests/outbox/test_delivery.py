from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from django.core import mail
from django.utils import timezone

from kesu.outbox.models import Channel, Notification, OutboxMessage
from kesu.outbox.services import (
    backoff_seconds,
    claim_batch,
    deliver,
    deliver_due,
    notify,
    resend,
)
from kesu.outbox.sms import ConsoleSmsGateway, SmsGateway, get_sms_gateway

pytestmark = pytest.mark.django_db

Status = OutboxMessage.Status
THIS = "tests.outbox.test_delivery"


class FailingGateway:
    calls = 0

    def send(self, phone: str, text: str, message_id: str) -> None:
        FailingGateway.calls += 1
        raise ConnectionError("gateway down")


class RecordingGateway:
    sent: list[tuple[str, str, str]] = []
    stop: threading.Event | None = None

    def send(self, phone: str, text: str, message_id: str) -> None:
        RecordingGateway.sent.append((phone, text, message_id))
        if RecordingGateway.stop is not None:
            RecordingGateway.stop.set()  # as if SIGTERM arrived during this send


@pytest.fixture(autouse=True)
def _email_and_sms(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "kesu@example.com"
    settings.KESU_SMS_GATEWAY = f"{THIS}.RecordingGateway"
    RecordingGateway.sent = []
    RecordingGateway.stop = None
    FailingGateway.calls = 0


@pytest.fixture
def now() -> dt.datetime:
    # A little ahead of the wall clock, so messages queued during the test are already due.
    return timezone.now() + dt.timedelta(seconds=5)


def _about(a: dt.datetime, b: dt.datetime) -> bool:
    # deliver_due adds the time elapsed during its batch to the caller's clock.
    return abs(a - b) < dt.timedelta(seconds=1)


def _one(**kwargs) -> OutboxMessage:
    defaults = {"event": "complaint.received", "complaint_id": None, "context": {"number": "KS-5"}}
    [message] = notify(**{**defaults, **kwargs})
    return message


def test_gateway_selection_by_setting(settings, tmp_path):
    assert isinstance(get_sms_gateway(), RecordingGateway)
    settings.KESU_SMS_GATEWAY = None
    assert isinstance(get_sms_gateway(), ConsoleSmsGateway)
    assert isinstance(get_sms_gateway(), SmsGateway)
    settings.KESU_SMS_GATEWAY = "kesu.outbox.sms.FileSmsGateway"
    settings.KESU_SMS_FILE = str(tmp_path / "out" / "sms.jsonl")
    assert get_sms_gateway().path == tmp_path / "out" / "sms.jsonl"


def test_email_carries_message_id(now):
    message = _one(customer_email="wang@example.com", language="en")
    assert deliver(message, now=now) is True

    [sent] = mail.outbox
    assert sent.to == ["wang@example.com"]
    assert sent.from_email == "kesu@example.com"
    assert sent.subject == "Your complaint has been accepted (no. KS-5)"
    assert sent.extra_headers["Message-ID"] == f"<{message.pk}@kesu>"
    assert sent.extra_headers["X-Kesu-Message-Id"] == str(message.pk)
    assert sent.message()["Message-ID"] == f"<{message.pk}@kesu>"
    assert sent.message()["Auto-Submitted"] == "auto-generated"

    message.refresh_from_db()
    assert message.status == Status.SENT and message.sent_at == now
    assert message.attempts == 1 and message.lease_until is None
    # Delivering a sent message again does nothing.
    assert deliver(message, now=now) is False
    assert len(mail.outbox) == 1


def test_sms_goes_through_the_gateway(now):
    message = _one(customer_phone="13800000000")
    assert deliver(message, now=now)
    [(phone, text, message_id)] = RecordingGateway.sent
    assert phone == "13800000000" and message_id == str(message.pk)
    assert "KS-5" in text and "受理" in text


def test_file_gateway_appends_json_lines(settings, tmp_path, now):
    settings.KESU_SMS_GATEWAY = "kesu.outbox.sms.FileSmsGateway"
    settings.KESU_SMS_FILE = str(tmp_path / "sms.jsonl")
    first = _one(customer_phone="13800000001")
    second = _one(customer_phone="13800000002")
    assert deliver_due(worker_id="w", now=now) == 2
    lines = [json.loads(line) for line in (tmp_path / "sms.jsonl").read_text().splitlines()]
    assert [(r["to"], r["id"]) for r in lines] == [
        ("13800000001", str(first.pk)),
        ("13800000002", str(second.pk)),
    ]


def test_inapp_creates_one_notification_even_when_redelivered(make_user, complaint, now):
    handler = make_user(email="")
    message = _one(
        event="complaint.assigned",
        complaint_id=complaint.pk,
        users=[handler],
        context={"number": "KS-7"},
    )
    assert deliver(message, now=now)
    note = Notification.objects.get()
    assert (note.user, note.message_id, note.complaint_id) == (handler, message.pk, complaint.pk)
    assert note.title.startswith("投诉 KS-7") and note.read_at is None

    # A worker died after the notification committed? It commits with "sent", so a re-delivery
    # can only happen to a message that is delivering again; it finds the same row.
    OutboxMessage.objects.filter(pk=message.pk).update(status=Status.PENDING)
    message.refresh_from_db()
    assert deliver(message, now=now)
    assert Notification.objects.count() == 1


def test_failure_backoff_dead_and_resend(settings, now):
    settings.KESU_SMS_GATEWAY = f"{THIS}.FailingGateway"
    message = _one(customer_phone="13800000000")
    OutboxMessage.objects.filter(pk=message.pk).update(max_attempts=3)

    # Attempt 1 fails: back to pending, due again 30 s later.
    assert deliver_due(worker_id="w", now=now) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 1)
    assert _about(message.available_at, now + dt.timedelta(seconds=30))
    assert message.last_error == "ConnectionError: gateway down"
    assert claim_batch(worker_id="w", now=now + dt.timedelta(seconds=29)) == []

    # Attempt 2 fails: 60 s.
    t2 = now + dt.timedelta(seconds=31)
    assert deliver_due(worker_id="w", now=t2) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 2)
    assert _about(message.available_at, t2 + dt.timedelta(seconds=60))

    # Attempt 3 of 3 fails: dead, never claimed again.
    t3 = t2 + dt.timedelta(seconds=61)
    assert deliver_due(worker_id="w", now=t3) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.DEAD, 3)
    assert deliver_due(worker_id="w", now=t3 + dt.timedelta(days=1)) == 0
    assert FailingGateway.calls == 3

    # Resend: pending, fresh budget; with the gateway back it goes out.
    settings.KESU_SMS_GATEWAY = f"{THIS}.RecordingGateway"
    t4 = t3 + dt.timedelta(hours=2)
    assert resend(message, now=t4) is True
    message.refresh_from_db()
    assert (message.status, message.attempts, message.available_at) == (Status.PENDING, 0, t4)
    assert resend(message) is False  # only dead messages
    assert deliver_due(worker_id="w", now=t4) == 1
    message.refresh_from_db()
    assert message.status == Status.SENT and message.last_error == ""
    assert [m for _, _, m in RecordingGateway.sent] == [str(message.pk)]


def test_backoff_is_capped(settings):
    assert [backoff_seconds(n) for n in (1, 2, 3, 7, 8, 20)] == [30, 60, 120, 1920, 3600, 3600]
    settings.KESU_OUTBOX_BACKOFF_SECONDS = 5
    settings.KESU_OUTBOX_BACKOFF_MAX_SECONDS = 15
    assert [backoff_seconds(n) for n in (1, 2, 3)] == [5, 10, 15]


def test_permanent_errors_go_dead_at_once(make_user, now):
    unknown = _one(event="no.such.event", customer_email="a@example.com")
    assert deliver(unknown, now=now) is False
    unknown.refresh_from_db()
    assert unknown.status == Status.DEAD and "TemplateMissing" in unknown.last_error

    user = make_user(email="")
    orphan = _one(event="complaint.assigned", users=[user])
    user.delete()  # recipient FK is SET_NULL
    orphan.refresh_from_db()
    assert deliver(orphan, now=now) is False
    orphan.refresh_from_db()
    assert orphan.status == Status.DEAD and "without a recipient" in orphan.last_error


def test_lease_lost_means_no_send(now):
    message = _one(customer_email="a@example.com")
    [claimed] = claim_batch(worker_id="slow", now=now, lease_seconds=60)
    # The lease expired and another worker took the message over.
    later = now + dt.timedelta(seconds=61)
    [taken] = claim_batch(worker_id="fast", now=later)
    assert taken.pk == message.pk and taken.attempts == 2
    assert deliver(claimed, now=later) is False
    assert mail.outbox == []
    assert deliver(taken, now=later) is True
    assert len(mail.outbox) == 1


def test_worker_that_always_dies_ends_dead(now):
    message = _one(customer_email="a@example.com")
    OutboxMessage.objects.filter(pk=message.pk).update(max_attempts=2)
    t = now
    for _ in range(2):  # claimed, then the worker "dies": the lease just expires
        assert claim_batch(worker_id="w", now=t, lease_seconds=10)
        t += dt.timedelta(seconds=11)
    [last] = claim_batch(worker_id="w", now=t)
    assert deliver(last, now=t) is False
    last.refresh_from_db()
    assert last.status == Status.DEAD and mail.outbox == []


def test_stop_during_a_batch_releases_the_rest(now):
    stop = threading.Event()
    RecordingGateway.stop = stop
    messages = [_one(customer_phone=f"1380000000{i}") for i in range(3)]
    assert deliver_due(worker_id="w", now=now, stop=stop) == 3
    assert len(RecordingGateway.sent) == 1  # finished the current message, then stopped
    states = dict(OutboxMessage.objects.values_list("pk", "status"))
    assert states[messages[0].pk] == Status.SENT
    rest = OutboxMessage.objects.filter(pk__in=[m.pk for m in messages[1:]])
    assert {(m.status, m.attempts, m.leased_by) for m in rest} == {(Status.PENDING, 0, "")}
    assert deliver_due(worker_id="w", now=now, stop=stop) == 0  # stopped: claims nothing


def test_channels_are_recorded():
    assert {c.value for c in Channel} == {"email", "sms", "inapp", "webhook"}
