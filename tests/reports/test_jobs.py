"""The worker's monthly report: last month's PDF and workbook kept once, one message per
recipient and channel however often the job runs, the PDF attached to the emails of those
who see the whole company."""

from __future__ import annotations

from django.core import mail

from kesu.outbox.models import OutboxMessage
from kesu.outbox.services import deliver
from kesu.outbox.worker import DEFAULT_JOBS
from kesu.reports.jobs import EVENT, monthly_report
from kesu.reports.models import ReportRun
from tests.conftest import at


def test_scheduled_on_the_first_of_the_month():
    assert ("kesu.reports.jobs.monthly_report", "monthly 1 08:00") in DEFAULT_JOBS


def test_runs_once_and_tells_management_once(october, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    first = monthly_report(now=at("2026-11-01 08:00"))
    again = monthly_report(now=at("2026-11-01 08:05"))
    assert first.month == "2026-10"
    runs = ReportRun.objects.filter(source="worker")
    assert sorted(runs.values_list("format", flat=True)) == ["pdf", "xlsx"]
    assert again.runs == first.runs and again.messages == 0

    messages = OutboxMessage.objects.filter(event=EVENT)
    people = october.people
    told = {m.recipient.username for m in messages}
    expected = {people.executive.username, people.quality.username}
    expected |= {m.username for m in people.managers.values()}
    assert told == expected  # handlers, agents, admins and customers are not told
    assert messages.count() == first.messages == 2 * len(expected)  # in-app and email each

    # The executive's email carries the PDF; a department manager's only the links.
    exec_mail = messages.get(recipient=people.executive, channel="email")
    assert deliver(exec_mail, now=at("2026-11-01 08:01"))
    sent = mail.outbox[-1]
    assert "2026-10" in sent.subject
    assert "/console/reports/monthly/2026-10/" in sent.body
    assert "/api/v1/reports/monthly/2026-10.pdf" in sent.body
    (name, content, kind) = sent.attachments[0]
    assert name == "kesu-monthly-2026-10.pdf" and kind == "application/pdf"
    assert content.startswith(b"%PDF")

    ops_mail = messages.get(recipient=people.managers["operations"], channel="email")
    assert deliver(ops_mail, now=at("2026-11-01 08:01"))
    assert mail.outbox[-1].attachments == []
