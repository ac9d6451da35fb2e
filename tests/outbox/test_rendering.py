from __future__ import annotations

import string

import pytest
from django.core.exceptions import ValidationError

from kesu.outbox.default_templates import DEFAULT_TEMPLATES
from kesu.outbox.models import Channel, MessageTemplate
from kesu.outbox.rendering import TemplateMissing, render, render_text

REQUIRED_EVENTS = [
    "complaint.received",
    "complaint.assigned",
    "complaint.reassigned",
    "milestone.warning",
    "milestone.breached",
    "milestone.breached_executive",
    "solution.approval_needed",
    "solution.decided",
    "solution.communicated",
    "info.requested",
    "review.returned",
    "callback.survey",
    "complaint.closed",
    "complaint.rejected",
    "complaint.reopened",
    "complaint.merged",
    "extension.requested",
    "extension.decided",
    "task.assigned",
    "batch.alert",
    "improvement.assigned",
    "improvement.warning",
    "improvement.overdue",
    "improvement.check_due",
]


@pytest.mark.parametrize("event", REQUIRED_EVENTS)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_event_has_a_default_in_both_languages(event, language):
    template = DEFAULT_TEMPLATES[(event, language)]
    assert template["subject"].strip() and template["body"].strip()
    for text in template.values():
        names = {field for _, field, _, _ in string.Formatter().parse(text) if field}
        assert all(name.isidentifier() for name in names), names


def test_render_text_leaves_unknown_placeholders_visible():
    assert render_text("{number} / {deadline}", {"number": "KS-1"}) == "KS-1 / {deadline}"
    assert render_text("{amount:.2f}", {"amount": 3}) == "3.00"
    assert render_text("{amount:.2f}", {"amount": "3"}) == "3"  # wrong type: shown as is
    assert render_text("{missing:>5}", {}) == "{missing:>5}"
    assert render_text("{missing!r}", {}) == "{missing}"
    assert render_text("{{literal}} {x}", {"x": 1}) == "{literal} 1"


def test_render_text_does_not_walk_objects_or_break_on_bad_syntax():
    assert render_text("{number.__class__}", {"number": "KS-1"}) == "{number.__class__}"
    assert render_text("{number[0]}", {"number": "KS-1"}) == "{number[0]}"
    assert render_text("unbalanced { brace", {}) == "unbalanced { brace"


@pytest.mark.django_db
def test_complaint_received_in_chinese_and_english_with_missing_placeholders():
    context = {"number": "KS-20250301-0001", "customer": "王女士", "link": "https://x/p/abc"}
    subject, body = render("complaint.received", Channel.EMAIL, "zh-hans", context)
    assert subject == "您的投诉已受理（编号 KS-20250301-0001）"
    assert "王女士，您好" in body and "https://x/p/abc" in body
    assert "受理" in body and "{deadline}" in body  # not given: visible, no KeyError

    subject, body = render("complaint.received", Channel.SMS, "en", {**context, "deadline": "5pm"})
    assert subject == "Your complaint has been accepted (no. KS-20250301-0001)"
    assert "by 5pm" in body and "{" not in body


@pytest.mark.django_db
def test_admin_template_overrides_default_for_its_channel_only():
    MessageTemplate.objects.create(
        event="complaint.closed",
        channel=Channel.SMS,
        language="zh-hans",
        subject="",
        body="【kesu】投诉{number}已办结，{foo}",
    )
    _, sms = render("complaint.closed", Channel.SMS, "zh-hans", {"number": "KS-9"})
    assert sms == "【kesu】投诉KS-9已办结，{foo}"
    subject, _ = render("complaint.closed", Channel.EMAIL, "zh-hans", {"number": "KS-9"})
    assert subject == "您的投诉 KS-9 已办结"


@pytest.mark.django_db
def test_subject_is_one_line_and_unknown_language_or_event():
    MessageTemplate.objects.create(
        event="x.y", channel=Channel.EMAIL, language="en", subject="a {v}", body="b"
    )
    subject, _ = render("x.y", Channel.EMAIL, "en", {"v": "line\r\nBcc: evil@example.com"})
    assert subject == "a line Bcc: evil@example.com"
    # An English default missing falls back to Chinese; no template at all is an error.
    assert render("complaint.closed", Channel.EMAIL, "fr", {})[0].startswith("您的投诉")
    with pytest.raises(TemplateMissing):
        render("no.such.event", Channel.EMAIL, "en", {})


def test_template_validation_rejects_bad_syntax():
    template = MessageTemplate(event="e", channel=Channel.EMAIL, language="en", body="oops {")
    with pytest.raises(ValidationError):
        template.clean()


@pytest.mark.django_db
def test_decision_worded_in_the_recipients_language():
    from kesu.outbox.rendering import render

    zh = render("extension.decided", "email", "zh-hans", {"decision": "approved"})
    en = render("extension.decided", "email", "en", {"decision": "approved"})
    assert "已批准" in zh[0] + zh[1] and "approved" not in zh[0] + zh[1]
    assert "approved" in en[0] + en[1]
