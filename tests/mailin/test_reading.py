"""Reading mail without a server: charsets, HTML, quoted replies and the classification."""

from __future__ import annotations

import pytest

from kesu.mailin.bodytext import decode_bytes, html_to_text, strip_quoted
from kesu.mailin.classify import classify
from kesu.mailin.models import InboundMail
from kesu.mailin.parsing import parse_mail
from kesu.mailin.references import NUMBER

Outcome = InboundMail.Outcome
OWN = frozenset({"service@kesu.example.cn"})


def test_gb2312_labelled_text_with_gbk_only_characters_decodes():
    text = "镕基与喆"  # 镕 and 喆 are outside GB2312
    assert decode_bytes(text.encode("gb18030"), "gb2312") == text


def test_raw_eight_bit_headers_are_repaired():
    raw = "Subject: 投诉 运费多收\r\nFrom: 王 <w@example.cn>\r\n\r\nx\r\n".encode("gbk")
    mail = parse_mail(raw)
    assert (mail.subject, mail.from_address) == ("投诉 运费多收", "w@example.cn")


@pytest.mark.parametrize(
    "separator",
    [
        "On Mon, 16 Nov 2026 at 10:00, kesu <service@kesu.example.cn> wrote:",
        "------------------ 原始邮件 ------------------",
        "-----Original Message-----",
        "发件人: kesu <service@kesu.example.cn>",
        "在 2026年11月16日 10:00，kesu 写道：",
    ],
)
def test_the_quoted_earlier_message_is_cut_off(separator):
    body = f"收到，谢谢。\n\n{separator}\n您的投诉已受理（编号 KS-20261116-0001）\n链接 http://x/"
    assert strip_quoted(body) == "收到，谢谢。"


def test_html_tables_and_breaks_become_lines():
    text = html_to_text("<table><tr><td>订单</td><td>SO-1</td></tr></table>a<br>b&amp;c")
    assert [line for line in text.splitlines() if line] == ["订单 SO-1", "a", "b&c"]


def test_numbers_are_found_whole():
    text = "Re: [KS-20261005-0001] 编号KS-20261005-0002） ks-20261005-0003 KS-2026100-0004"
    assert NUMBER.findall(text) == ["KS-20261005-0001", "KS-20261005-0002"]


def _classified(headers: str, body: str = "x") -> str | None:
    raw = f"From: a <a@example.cn>\r\nSubject: s\r\n{headers}\r\n{body}\r\n".encode()
    verdict = classify(parse_mail(raw), own_addresses=OWN)
    return verdict.outcome if verdict else None


@pytest.mark.parametrize(
    ("headers", "outcome"),
    [
        ("Auto-Submitted: no\r\n", None),
        ("Auto-Submitted: auto-generated\r\n", Outcome.IGNORED_AUTOREPLY),
        ("X-Autoreply: yes\r\n", Outcome.IGNORED_AUTOREPLY),
        ("Precedence: list\r\n", Outcome.IGNORED_AUTOREPLY),
        ("List-Unsubscribe: <mailto:u@example.cn>\r\n", Outcome.IGNORED_AUTOREPLY),
        ("Return-Path: <>\r\n", Outcome.IGNORED_BOUNCE),
        ("X-Failed-Recipients: b@example.cn\r\n", Outcome.IGNORED_BOUNCE),
        ("Message-ID: <0b0c-11@kesu>\r\n", Outcome.IGNORED_LOOP),
        (
            "Content-Type: multipart/report; report-type=disposition-notification;"
            ' boundary="b"\r\n',
            Outcome.IGNORED_AUTOREPLY,
        ),
    ],
)
def test_classification_by_headers(headers, outcome):
    assert _classified(headers) == outcome


def test_list_mail_may_open_complaints_where_the_mailbox_is_a_group():
    raw = b"From: a@example.cn\r\nSubject: s\r\nList-Id: <desk.example.cn>\r\n\r\nx\r\n"
    assert classify(parse_mail(raw), own_addresses=OWN, allow_lists=True) is None
