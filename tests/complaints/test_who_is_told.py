"""Who gets what, from the policy (SPEC §8): the customer's messages and channels, the delivery
budget, staff email copies, each recipient's own language, and the executive told of a
top-level complaint at once."""

from __future__ import annotations

import pytest

from kesu.complaints.models import Customer
from kesu.complaints.services import records, transitions
from kesu.complaints.services.intake import NewComplaint, complaint_create
from kesu.outbox.models import OutboxMessage
from kesu.outbox.rendering import render
from kesu.policy.loader import policy_activate, read_policy_file
from tests.conftest import at, make_people

pytestmark = pytest.mark.django_db


def load_b2b(**notifications):
    doc, source = read_policy_file("b2b")
    if notifications:
        doc = doc.model_copy(
            update={"notifications": doc.notifications.model_copy(update=notifications)}
        )
    return policy_activate(doc=doc, source=source).doc


def record(p, *, description="交货晚了两天。", email="qian@example.cn", language="zh-hans"):
    # A known customer: the record keeps the language they want to hear in.
    Customer.objects.get_or_create(
        name="钱伟", phone="13577778888", defaults={"email": email, "language": language}
    )
    c, _ = complaint_create(
        data=NewComplaint(
            customer_name="钱伟",
            customer_phone="13577778888",
            customer_email=email,
            channel="web",
            category="late_delivery",
            description=description,
        ),
        actor=p.agent,
        now=at("2026-11-16 09:00"),
    )
    return c


def to_customer(event: str) -> set[str]:
    rows = OutboxMessage.objects.filter(event=event, recipient__isnull=True)
    return {m.channel for m in rows}


def test_default_customer_hears_by_email_and_sms_and_progress_on_dispatch():
    load_b2b()
    p = make_people()
    c = record(p)
    assert to_customer("complaint.received") == {"email", "sms"}
    assert to_customer("complaint.progress") == set()
    transitions.complaint_dispatch(
        complaint=c, actor=p.agent, department="logistics", level="C", now=at("2026-11-16 09:10")
    )
    progress = OutboxMessage.objects.get(event="complaint.progress", channel="email")
    subject, body = render(progress.event, progress.channel, progress.language, progress.context)
    assert subject == f"您的投诉 {c.number} 已交由物流与计划部处理"
    assert "/portal/c/" in body  # the customer's private link, not the console


def test_policy_narrows_customer_messages_and_channels():
    load_b2b(customer_channels=["email"], customer_events=["complaint.received"])
    p = make_people()
    c = record(p)
    assert to_customer("complaint.received") == {"email"}
    transitions.complaint_dispatch(
        complaint=c, actor=p.agent, department="logistics", level="C", now=at("2026-11-16 09:10")
    )
    assert to_customer("complaint.progress") == set()
    # Staff messages are the procedure's escalation: never switched off.
    assert OutboxMessage.objects.filter(event="complaint.assigned").exists()


def test_unknown_customer_event_is_refused_by_the_policy_loader():
    from kesu.policy.loader import PolicyError, parse_policy

    doc, _ = read_policy_file("b2b")
    data = doc.model_dump()
    data["notifications"]["customer_events"] = ["complaint.received", "complaint.exploded"]
    with pytest.raises(PolicyError) as refused:
        parse_policy(data)
    assert "notifications.customer_events: unknown customer events complaint.exploded" in str(
        refused.value
    )


def test_delivery_budget_and_staff_email_come_from_the_policy():
    load_b2b(max_attempts=2, staff_email=False)
    p = make_people()
    c = record(p)
    transitions.complaint_dispatch(
        complaint=c,
        actor=p.agent,
        department="logistics",
        handler=p.handlers["logistics"],
        level="C",
        now=at("2026-11-16 09:10"),
    )
    assigned = OutboxMessage.objects.filter(event="complaint.assigned")
    assert {m.channel for m in assigned} == {"inapp"}
    assert set(OutboxMessage.objects.values_list("max_attempts", flat=True)) == {2}


def test_each_recipient_reads_their_own_language_with_the_policy_names():
    load_b2b()
    p = make_people()
    handler = p.handlers["logistics"]
    handler.language = "en"
    handler.save(update_fields=["language"])
    c = record(p, language="en")
    transitions.complaint_dispatch(
        complaint=c,
        actor=p.agent,
        department="logistics",
        handler=handler,
        level="B",
        now=at("2026-11-16 09:10"),
    )
    mail = OutboxMessage.objects.get(event="complaint.assigned", channel="email")
    assert mail.language == "en"
    subject, body = render(mail.event, mail.channel, mail.language, mail.context)
    assert subject == f"Complaint {c.number} (level B (serious)) assigned to you"
    assert "Complaint " + c.number + " (level B (serious), Logistics and planning)" in body

    customer = OutboxMessage.objects.get(event="complaint.received", channel="email")
    assert customer.language == "en"
    subject, _ = render(customer.event, customer.channel, customer.language, customer.context)
    assert subject == f"Your complaint has been accepted (no. {c.number})"
    # The agent kept Chinese: the same complaint's names reach them in Chinese.
    assigned_cn = OutboxMessage.objects.filter(event="complaint.progress").first()
    assert assigned_cn is not None and assigned_cn.language == "en"  # the customer's
    manager_mail = render("complaint.assigned", "email", "zh-hans", mail.context)[0]
    assert manager_mail == f"投诉 {c.number}（B级(严重)）已分派给您"


def test_top_level_complaint_reaches_the_executive_once():
    load_b2b()  # executive_levels: [A]
    p = make_people()
    c = record(p, description="再不解决我们就起诉。")  # 起诉: keyword rule → level A
    assert c.level == "A"
    told = OutboxMessage.objects.filter(event="complaint.top_level", recipient=p.executive)
    assert {m.channel for m in told} == {"inapp", "email"}
    subject, body = render("complaint.top_level", "inapp", "zh-hans", told.first().context)
    assert subject == f"【重大投诉】{c.number}（A级(紧急)）"
    assert "/console/c/" in body
    # Dispatch at the same level: no second notice.
    transitions.complaint_dispatch(
        complaint=c, actor=p.agent, department="logistics", level="A", now=at("2026-11-16 09:10")
    )
    assert told.count() == 2


def test_raising_the_level_tells_the_executive_and_lowering_does_not():
    load_b2b()
    p = make_people()
    c = record(p)
    handler = p.handlers["logistics"]
    transitions.complaint_dispatch(
        complaint=c,
        actor=p.agent,
        department="logistics",
        handler=handler,
        level="C",
        now=at("2026-11-16 09:10"),
    )
    assert not OutboxMessage.objects.filter(event="complaint.top_level").exists()
    transitions.complaint_accept(complaint=c, actor=handler, now=at("2026-11-16 09:20"))
    records.complaint_change_level(
        complaint=c,
        actor=p.managers["logistics"],
        level="A",
        reason="客户威胁曝光",
        now=at("2026-11-16 10:00"),
    )
    told = OutboxMessage.objects.filter(event="complaint.top_level", channel="inapp")
    assert [m.recipient for m in told] == [p.executive]
    assert told.get().context["handler"] == str(handler)
    records.complaint_change_level(
        complaint=c,
        actor=p.managers["logistics"],
        level="B",
        reason="已缓和",
        now=at("2026-11-16 11:00"),
    )
    assert told.count() == 1


def test_missing_department_and_handler_are_said_not_left_blank():
    load_b2b()  # executive_levels: [A]
    p = make_people()
    record(p, description="再不解决我们就起诉。")
    told = OutboxMessage.objects.get(event="complaint.top_level", channel="inapp")
    _, chinese = render(told.event, "inapp", "zh-hans", told.context)
    _, english = render(told.event, "inapp", "en", told.context)
    assert "责任部门：尚未分派；处理人：尚未指定。" in chinese
    assert "department: not dispatched yet; handler: not named yet." in english


def test_webhooks_get_the_policys_attempts_too():
    from kesu.outbox.models import WebhookEndpoint

    load_b2b(max_attempts=2)
    WebhookEndpoint.objects.create(name="erp", url="http://127.0.0.1:9/hook")
    p = make_people()
    record(p)
    hooks = OutboxMessage.objects.filter(channel="webhook")
    assert hooks.exists()
    assert set(hooks.values_list("max_attempts", flat=True)) == {2}
