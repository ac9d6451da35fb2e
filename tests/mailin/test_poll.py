"""Email intake end to end against a real IMAP server: mail is put in the mailbox with IMAP
APPEND, ``poll_mailboxes`` runs, and the database and the server's flags are checked."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from kesu.complaints.models import (
    Attachment,
    Communication,
    Complaint,
    Event,
    EventKind,
)
from kesu.complaints.services import transitions
from kesu.complaints.states import State
from kesu.mailin.models import InboundMail, Mailbox
from kesu.mailin.poll import poll_mailboxes
from kesu.outbox.models import OutboxMessage
from tests.mailin.conftest import CUSTOMER, PDF, PNG, mail

Outcome = InboundMail.Outcome


def poll():
    result = poll_mailboxes(now=timezone.now())
    assert not result.errors, result.errors
    return result


def only_complaint() -> Complaint:
    return Complaint.objects.select_related("customer", "policy").get()


def acknowledgments_to(address: str) -> list[OutboxMessage]:
    return list(
        OutboxMessage.objects.filter(event="complaint.received", channel="email", address=address)
    )


def test_a_new_mail_opens_a_complaint_with_its_files_and_is_acknowledged(world, account):
    arrived = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    account.append(
        mail(files=[("破损照片.png", PNG, "image/png"), ("签收单.pdf", PDF, "application/pdf")]),
        when=arrived,
    )
    result = poll()

    assert (result.handled, dict(result.outcomes)) == (1, {Outcome.CREATED: 1})
    c = only_complaint()
    assert (c.channel, c.state, c.received_by) == ("email", State.RECEIVED, None)
    assert (c.customer.name, c.customer.email) == ("张伟", CUSTOMER)
    assert c.title == "货物延迟交付投诉"
    assert "SO-2026-1101" in c.description
    # The clocks start when the mail reached the server, not when the worker got to it.
    assert c.received_at == arrived
    files = {a.name: a.content_type for a in Attachment.objects.filter(complaint=c)}
    assert files == {"破损照片.png": "image/png", "签收单.pdf": "application/pdf"}
    [ack] = acknowledgments_to(CUSTOMER)
    assert (ack.language, c.customer.language) == ("zh-hans", "zh-hans")

    row = InboundMail.objects.get()
    assert (row.outcome, row.complaint_id, row.from_address) == (Outcome.CREATED, c.pk, CUSTOMER)
    assert row.arrived_at == arrived
    assert "\\Seen" in account.flags()[1]


def test_a_mail_in_english_is_answered_in_english(world, account):
    account.append(
        mail(
            subject="Late delivery",
            body="Order SO-2026-1101 is two weeks late.",
            sender=f"Ann Lee <{CUSTOMER}>",
        )
    )
    poll()
    c = only_complaint()
    assert c.customer.language == "en"
    [ack] = acknowledgments_to(CUSTOMER)
    assert ack.language == "en"


def test_files_that_are_not_photos_or_pdfs_are_listed_not_kept(world, account):
    account.append(mail(files=[("setup.exe", b"MZ\x90\x00" + bytes(40), "application/x-msdos")]))
    poll()
    c = only_complaint()
    assert not Attachment.objects.filter(complaint=c).exists()
    assert "setup.exe" in c.description
    assert InboundMail.objects.get().skipped_files[0]["name"] == "setup.exe"


def test_a_gbk_mail_with_an_encoded_subject_reads_as_chinese(world, account):
    subject = "=?GBK?B?" + base64.b64encode("冷链货物化冻变质".encode("gbk")).decode() + "?="
    body = "尊敬的客服：昨天送到的冻品全部化冻，箱子湿透。请尽快处理。".encode("gbk")
    raw = (
        b"From: =?GB2312?B?"
        + base64.b64encode("李娜".encode("gb2312"))
        + b"?= <lina@example.cn>\r\n"
        b"To: service@kesu.example.cn\r\n"
        b"Subject: " + subject.encode() + b"\r\n"
        b"Message-ID: <gbk-1@mail.example.cn>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=GBK\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(body)
    )
    account.append(raw)
    poll()
    c = only_complaint()
    assert (c.title, c.customer.name) == ("冷链货物化冻变质", "李娜")
    assert c.description == body.decode("gbk")


def test_an_html_only_mail_becomes_readable_text(world, account):
    html = (
        "<html><head><style>p{color:red}</style></head><body>"
        "<p>您好，</p><p>货物<b>外包装破损</b>，内件缺少两件。</p>"
        "<ul><li>订单 SO-77</li><li>运单 YT-88</li></ul><script>alert(1)</script></body></html>"
    )
    account.append(mail(html=html))
    poll()
    text = only_complaint().description
    assert "货物外包装破损，内件缺少两件。" in text
    assert "- 订单 SO-77\n" in text and "- 运单 YT-88" in text
    assert "<" not in text and "color" not in text and "alert" not in text


def _first_complaint(account) -> Complaint:
    account.append(mail())
    poll()
    return only_complaint()


def test_a_reply_quoting_the_number_lands_on_its_complaint(world, account):
    c = _first_complaint(account)
    reply = mail(
        subject=f"Re: 您的投诉已受理（编号 {c.number}）",
        body="补充：货物是11月12日才发出的。\n\n> 我们已收到并受理您的投诉\n> 链接 …",
        files=[("物流单.png", PNG, "image/png")],
    )
    account.append(reply)
    result = poll()

    assert dict(result.outcomes) == {Outcome.REPLY: 1}
    assert Complaint.objects.count() == 1
    info = Event.objects.get(complaint=c, kind=EventKind.CUSTOMER_INFO)
    assert info.data["text"] == "补充：货物是11月12日才发出的。"
    assert Communication.objects.get(complaint=c, direction="in").channel == "email"
    assert Attachment.objects.filter(complaint=c, name="物流单.png").exists()
    assert InboundMail.objects.get(outcome=Outcome.REPLY).complaint_id == c.pk
    # No answer goes back to the customer for their reply (staff are told in-app).
    assert len(acknowledgments_to(CUSTOMER)) == 1


def test_an_answer_to_a_request_for_information_resumes_the_case(world, account):
    c = _first_complaint(account)
    transitions.complaint_dispatch(complaint=c, actor=world.agent)
    c.refresh_from_db()
    handler = world.handlers[c.department.code]
    transitions.complaint_accept(complaint=c, actor=handler)
    c.refresh_from_db()
    transitions.complaint_request_info(complaint=c, actor=handler, message="请提供签收单照片")
    account.append(
        mail(
            subject=f"回复：{c.number} 补充材料",
            body="",
            files=[("签收单.pdf", PDF, "application/pdf")],
        )
    )
    poll()
    c.refresh_from_db()
    assert c.state == State.INVESTIGATING
    info = Event.objects.get(complaint=c, kind=EventKind.CUSTOMER_INFO)
    assert "签收单.pdf" in info.data["text"]


def test_the_same_reply_from_a_stranger_is_not_attached(world, account):
    c = _first_complaint(account)
    account.append(mail(subject=f"Re: {c.number}", sender="someone@other.example.com"))
    result = poll()
    assert dict(result.outcomes) == {Outcome.IGNORED_UNKNOWN_SENDER: 1}
    assert Complaint.objects.count() == 1
    assert not Event.objects.filter(complaint=c, kind=EventKind.CUSTOMER_INFO).exists()
    row = InboundMail.objects.get(outcome=Outcome.IGNORED_UNKNOWN_SENDER)
    assert c.number in row.reason and row.complaint_id is None
    assert not OutboxMessage.objects.filter(address="someone@other.example.com").exists()


def test_a_reply_is_matched_by_in_reply_to_our_message_id(world, account):
    c = _first_complaint(account)
    ack = acknowledgments_to(CUSTOMER)[0]
    account.append(
        mail(
            subject="Re: 您的投诉已受理",
            body="谢谢，我周五前在家。",
            headers={"In-Reply-To": ack.message_id_header, "References": ack.message_id_header},
        )
    )
    assert dict(poll().outcomes) == {Outcome.REPLY: 1}
    assert Event.objects.get(complaint=c, kind=EventKind.CUSTOMER_INFO).data["text"] == (
        "谢谢，我周五前在家。"
    )


def test_a_mail_about_a_finished_complaint_opens_a_new_one(world, account):
    c = _first_complaint(account)
    Complaint.objects.filter(pk=c.pk).update(state=State.CLOSED, closed_at=timezone.now())
    account.append(mail(subject=f"Re: {c.number}", body="问题又出现了。"))
    assert dict(poll().outcomes) == {Outcome.CREATED: 1}
    assert Complaint.objects.count() == 2
    assert c.number in InboundMail.objects.get(outcome=Outcome.CREATED, uid=2).reason


BOUNCE = (
    b"From: Mail Delivery System <MAILER-DAEMON@mx.example.cn>\r\n"
    b"To: service@kesu.example.cn\r\n"
    b"Subject: Undelivered Mail Returned to Sender\r\n"
    b"Message-ID: <bounce-1@mx.example.cn>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
    b"--B\r\nContent-Type: text/plain\r\n\r\nThis is the mail system. KS-20261116-0001\r\n"
    b"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
    b"Reporting-MTA: dns; mx.example.cn\r\n\r\nFinal-Recipient: rfc822; x@y.cn\r\n"
    b"Action: failed\r\nStatus: 5.1.1\r\n\r\n--B--\r\n"
)


@pytest.mark.parametrize(
    ("raw", "outcome"),
    [
        (BOUNCE, Outcome.IGNORED_BOUNCE),
        (
            mail(headers={"Auto-Submitted": "auto-replied"}, subject="Re: 货物延迟"),
            Outcome.IGNORED_AUTOREPLY,
        ),
        (mail(subject="自动回复: 您的投诉已受理"), Outcome.IGNORED_AUTOREPLY),
        (mail(subject="Out of Office: complaint"), Outcome.IGNORED_AUTOREPLY),
        (mail(headers={"Precedence": "bulk"}), Outcome.IGNORED_AUTOREPLY),
        (mail(headers={"List-Id": "<news.example.cn>"}), Outcome.IGNORED_AUTOREPLY),
        (mail(sender="kesu <service@kesu.example.cn>"), Outcome.IGNORED_LOOP),
        (mail(headers={"X-Kesu-Message-Id": "0b0c"}), Outcome.IGNORED_LOOP),
    ],
    ids=["bounce", "auto-submitted", "zh-subject", "ooo", "bulk", "list", "from-us", "our-id"],
)
def test_automatic_mail_opens_nothing_and_is_not_answered(world, account, raw, outcome):
    account.append(raw)
    result = poll()
    assert dict(result.outcomes) == {outcome: 1}
    assert not Complaint.objects.exists()
    assert not OutboxMessage.objects.exists()
    assert InboundMail.objects.get().reason
    assert "\\Seen" in account.flags()[1]


def test_polling_again_handles_nothing_twice(world, account):
    account.append(mail())
    account.append(mail(subject="另一件事", body="发票开错了。"))
    assert poll().handled == 2
    assert poll().handled == 0
    assert (Complaint.objects.count(), InboundMail.objects.count()) == (2, 2)
    assert Mailbox.objects.get().last_uid == 2


def test_a_crash_before_the_mail_is_flagged_makes_no_second_complaint(world, account):
    account.append(mail())
    poll()
    # As if the worker died after the commit but before \Seen and the position were saved.
    account.unflag_seen()
    Mailbox.objects.update(last_uid=0)
    assert poll().handled == 0
    assert Complaint.objects.count() == 1
    assert "\\Seen" in account.flags()[1]


def test_a_renumbered_folder_falls_back_to_message_ids(world, account):
    account.append(mail())
    poll()
    account.unflag_seen()
    Mailbox.objects.update(uidvalidity=1, last_uid=99)
    account.append(mail(subject="新的投诉", body="司机态度恶劣。"))
    result = poll()
    assert dict(result.outcomes) == {Outcome.CREATED: 1}
    assert Complaint.objects.count() == 2


def test_a_first_poll_takes_only_unseen_mail(world, account):
    account.append(mail(subject="去年的旧邮件", body="早已处理。"), flags=r"\Seen")
    account.append(mail())
    assert poll().handled == 1
    assert only_complaint().title == "货物延迟交付投诉"


def test_handled_mail_moves_to_the_processed_folder(world, account, settings):
    settings.KESU_MAILBOXES = [account.settings_entry(processed_folder="Kesu Done")]
    account.append(mail())
    poll()
    assert account.flags() == {}
    [moved] = account.flags("Kesu Done").values()
    assert "\\Seen" in moved


def test_a_failing_mail_is_retried_a_few_times_then_left_to_staff(
    world, account, settings, monkeypatch
):
    settings.KESU_MAILIN_MAX_ATTEMPTS = 2

    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr("kesu.mailin.process.complaint_create", broken)
    account.append(mail())
    for attempts in (1, 2, 2):
        poll()
        row = InboundMail.objects.get()
        assert (row.outcome, row.attempts) == (Outcome.FAILED, attempts)
    assert "database hiccup" in row.error
    assert "\\Seen" not in account.flags()[1]  # left in the inbox for people to see
    monkeypatch.undo()
    settings.KESU_MAILIN_MAX_ATTEMPTS = 3
    poll()
    assert InboundMail.objects.get().outcome == Outcome.CREATED


def test_an_unreachable_server_is_recorded_on_the_mailbox(world, account, settings):
    settings.KESU_MAILBOXES = [account.settings_entry(password="wrong")]
    result = poll_mailboxes(now=timezone.now())
    assert "login refused" in result.errors[account.username]
    assert "login refused" in Mailbox.objects.get().last_error


def test_the_worker_polls_the_mailbox(world, account, mailoutbox):
    from kesu.outbox.worker import run_worker

    account.append(mail())
    assert run_worker(once=True, worker_id="w1") == 0
    c = only_complaint()
    assert c.channel == "email"
    # The same loop delivered the acknowledgment.
    assert [m.to for m in mailoutbox] == [[CUSTOMER]]
    assert c.number in mailoutbox[0].subject


def test_the_command_prints_a_summary(world, account, capsys):
    account.append(mail())
    account.append(mail(headers={"Auto-Submitted": "auto-replied"}))
    call_command("mailin", "poll")
    out = capsys.readouterr().out
    assert "mails handled: 2" in out
    assert "created: 1" in out and "ignored_autoreply: 1" in out


def test_staff_see_ignored_mail_in_the_admin(world, account, client, django_user_model):
    admin_client = client
    admin_client.force_login(
        django_user_model.objects.create_superuser("mail-admin", "ma@example.cn", "x-pass-1")
    )
    account.append(mail(subject="自动回复：休假中"))
    poll()
    page = admin_client.get("/admin/mailin/inboundmail/?outcome=ignored_autoreply")
    assert page.status_code == 200
    assert "休假中" in page.content.decode()
    assert admin_client.get("/admin/mailin/mailbox/").status_code == 200
