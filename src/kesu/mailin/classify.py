"""Mail that must never open a complaint or be answered: our own mail coming back (a loop),
bounces, and automatic replies (RFC 3834) and bulk mail. Pure functions over the headers.

Checked before any complaint reference is looked for: an out-of-office reply quoting a
complaint number is an automatic reply, never the customer's answer. Our own mail comes first
(it may carry Auto-Submitted too), then bounces, then the other automatic mail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kesu.mailin.models import InboundMail
from kesu.mailin.parsing import ParsedMail

Outcome = InboundMail.Outcome

# The local parts delivery systems send reports from.
_SYSTEM_SENDERS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})
_BOUNCE_SUBJECT = re.compile(
    r"^(?:undeliver(?:ed|able)|delivery (?:status notification|failure|has failed)"
    r"|mail delivery failed|returned mail|failure notice|系统退信|退信|邮件投递失败|未送达)",
    re.IGNORECASE,
)
_PRECEDENCE_AUTO = frozenset({"bulk", "junk", "list", "auto_reply"})
# Optional "Re:"-style prefixes, then the auto-reply words.
_AUTO_SUBJECT = re.compile(
    r"^(?:(?:re|aw|回复|答复)\s*[:：]\s*)*"
    r"(?:自动回复|自动答复|auto[ -]?reply|automatic reply|auto[ -]?response|autoreply"
    r"|out of (?:the )?office|休假|不在办公室)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Verdict:
    outcome: str
    reason: str


def _local_part(address: str) -> str:
    return address.split("@", 1)[0].lower()


def is_loop(mail: ParsedMail, own_addresses: frozenset[str]) -> str:
    if mail.header("X-Kesu-Message-Id"):
        return "X-Kesu-Message-Id"
    if mail.message_id.lower().endswith("@kesu>"):
        return f"Message-ID {mail.message_id}"
    if mail.from_address and mail.from_address in own_addresses:
        return f"From {mail.from_address}"
    return ""


def is_bounce(mail: ParsedMail) -> str:
    ctype = mail.message.get_content_type()
    report = mail.message.get_param("report-type", "", header="content-type")
    if ctype == "multipart/report" and str(report).lower() != "disposition-notification":
        return f"multipart/report; report-type={report}"
    if _local_part(mail.from_address) in _SYSTEM_SENDERS:
        return f"From {mail.from_address}"
    if mail.header("Return-Path").replace(" ", "") == "<>":
        return "Return-Path <>"
    if mail.header("X-Failed-Recipients"):
        return "X-Failed-Recipients"
    if not mail.from_address and _BOUNCE_SUBJECT.match(mail.subject):
        return f"Subject {mail.subject[:80]}"
    return ""


def is_automatic(mail: ParsedMail, *, allow_lists: bool) -> str:
    auto = mail.header("Auto-Submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        if mail.header(name):
            return name
    if mail.message.get_content_type() == "multipart/report":
        return "read receipt (disposition-notification)"
    precedence = mail.header("Precedence").lower()
    if precedence in _PRECEDENCE_AUTO:
        return f"Precedence: {precedence}"
    if not allow_lists:
        for name in ("List-Id", "List-Unsubscribe"):
            if mail.header(name):
                return name
    if _AUTO_SUBJECT.match(mail.subject):
        return f"Subject {mail.subject[:80]}"
    return ""


def classify(
    mail: ParsedMail, *, own_addresses: frozenset[str], allow_lists: bool = False
) -> Verdict | None:
    """Why this mail is to be ignored, or None if a person wrote it."""
    if reason := is_loop(mail, own_addresses):
        return Verdict(Outcome.IGNORED_LOOP, reason)
    if reason := is_bounce(mail):
        return Verdict(Outcome.IGNORED_BOUNCE, reason)
    if reason := is_automatic(mail, allow_lists=allow_lists):
        return Verdict(Outcome.IGNORED_AUTOREPLY, reason)
    return None
