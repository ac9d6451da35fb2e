"""Complaint notifications delivered over real SMTP to a server on loopback (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kesu.complaints.services import transitions
from kesu.complaints.services.intake import NewComplaint, complaint_create
from kesu.outbox.models import OutboxMessage
from kesu.outbox.worker import run_worker
from tests.conftest import make_people
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.django_db

Status = OutboxMessage.Status


@pytest.fixture
def smtp(settings) -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        server.configure(settings)
        settings.DEFAULT_FROM_EMAIL = "kesu@example.cn"
        settings.KESU_BASE_URL = "https://kesu.example.cn"
        yield server


def _complaint(people, email: str):
    complaint, _ = complaint_create(
        data=NewComplaint(
            customer_name="钱伟",
            customer_phone="13577778888",
            customer_email=email,
            channel="email",
            category="late_delivery",
            description="交货晚了两天。",
        ),
        actor=people.agent,
    )
    return complaint


def test_acknowledgment_reaches_the_customer_by_smtp(preset, smtp):
    preset("b2b")
    people = make_people()
    complaint = _complaint(people, "qian@example.cn")
    row = OutboxMessage.objects.get(event="complaint.received", channel="email")
    assert smtp.received == []  # queued, not sent: only the worker sends

    assert run_worker(worker_id="smtp-test", once=True, jobs=[]) == 0

    [mail] = smtp.received
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 1
    assert mail.mail_from == "kesu@example.cn"
    assert mail.rcpt_tos == ("qian@example.cn",) and mail.to == "qian@example.cn"
    assert mail.subject == f"您的投诉已受理（编号 {complaint.number}）"
    assert complaint.number in mail.body
    assert f"https://kesu.example.cn/portal/c/{complaint.portal_token}/" in mail.body
    assert "我们已收到并受理您的投诉" in mail.body
    # The outbox row's UUID is the Message-ID: a repeat after a crash is recognisable.
    assert mail.message_id == f"<{row.pk}@kesu>"
    assert mail.kesu_id == str(row.pk)
    assert mail.headers["Auto-Submitted"] == "auto-generated"
    assert mail.headers["X-Kesu-Event"] == "complaint.received"

    # A second loop finds nothing to send.
    assert run_worker(worker_id="smtp-test", once=True, jobs=[]) == 0
    assert len(smtp.received) == 1


def test_staff_get_the_console_link_never_the_private_one(preset, smtp):
    preset("b2b")
    people = make_people()
    complaint = _complaint(people, "qian@example.cn")
    handler = people.handlers["logistics"]
    transitions.complaint_dispatch(
        complaint=complaint, actor=people.agent, department="logistics", handler=handler
    )
    assert run_worker(worker_id="smtp-test", once=True, jobs=[]) == 0

    emails = OutboxMessage.objects.filter(channel="email")
    assert set(emails.values_list("status", flat=True)) == {Status.SENT}
    received = {m.kesu_id: m for m in smtp.received}
    assert set(received) == {str(pk) for pk in emails.values_list("pk", flat=True)}
    to_handler = [m for m in smtp.received if m.to == handler.email]
    assert to_handler, [m.to for m in smtp.received]
    for mail in to_handler:
        assert f"https://kesu.example.cn/console/c/{complaint.number}/" in mail.body
        assert complaint.portal_token not in mail.body
        assert mail.message_id == f"<{mail.kesu_id}@kesu>"
