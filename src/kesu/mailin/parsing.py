"""Turning a fetched mail's bytes into what intake needs: sender, subject, text, files."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from kesu.mailin.bodytext import html_to_text, part_text, repair_header

_MSG_ID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class MailFile:
    name: str
    content: bytes


@dataclass
class ParsedMail:
    message: EmailMessage
    message_id: str
    from_address: str
    from_name: str
    subject: str
    text: str
    sent_at: datetime | None
    # Message-IDs this mail answers (In-Reply-To, then References, nearest first).
    answers: list[str] = field(default_factory=list)
    files: list[MailFile] = field(default_factory=list)

    def header(self, name: str) -> str:
        return header_text(self.message, name)


def _raw_header(message: EmailMessage, name: str) -> str | None:
    return next((v for k, v in message.raw_items() if k.lower() == name.lower()), None)


def _eight_bit(value: str | None) -> bool:
    return value is not None and any("\udc80" <= ch <= "\udcff" for ch in value)


def header_text(message: EmailMessage, name: str) -> str:
    """A header as text. RFC 2047 words are decoded by the parser; raw 8-bit text (which
    some Chinese clients send) is decoded here; a malformed header is read raw."""
    raw = _raw_header(message, name)
    if raw is None:
        return ""
    if _eight_bit(raw):
        return repair_header(" ".join(raw.split())).strip()
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # the email package's parse errors
        value = raw
    return str(value).strip() if value is not None else ""


def _sender(message: EmailMessage) -> tuple[str, str]:
    addresses: tuple[Address, ...] = ()
    if not _eight_bit(_raw_header(message, "From")):
        try:
            addresses = message["From"].addresses if message["From"] is not None else ()
        except (AttributeError, ValueError, IndexError, TypeError):
            addresses = ()
    if addresses:
        first = addresses[0]
        return first.addr_spec.strip().lower(), first.display_name.strip()
    pairs = getaddresses([header_text(message, "From")])
    if pairs and "@" in pairs[0][1]:
        return pairs[0][1].strip().lower(), pairs[0][0].strip()
    return "", ""


def _message_ids(value: str) -> list[str]:
    return _MSG_ID.findall(value or "")


def _sent_at(message: EmailMessage) -> datetime | None:
    try:
        moment = parsedate_to_datetime(header_text(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else None


def _body_text(message: EmailMessage) -> tuple[str, EmailMessage | None]:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return "", None
    text = part_text(body)
    if body.get_content_subtype() == "html":
        text = html_to_text(text)
    return text.replace("\r\n", "\n").strip(), body


def _files(message: EmailMessage, body: EmailMessage | None) -> list[MailFile]:
    """Every leaf part that is not the text we read and not an alternative of it: attached
    files and inline pictures alike (phones send photos inline)."""
    files: list[MailFile] = []
    for part in message.walk():
        if part.is_multipart() or part is body:
            continue
        name = part.get_filename()
        if not name and part.get_content_maintype() in ("text", "message"):
            continue  # the other alternative of the body, or a forwarded mail's own text
        content = part.get_payload(decode=True)
        if not isinstance(content, bytes) or not content:
            continue
        files.append(
            MailFile(name=repair_header(name or "") or part.get_content_type(), content=content)
        )
    return files


def parse_mail(raw: bytes) -> ParsedMail:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    ids = _message_ids(header_text(message, "Message-ID"))
    # Without a Message-ID the bytes themselves identify the mail for de-duplication.
    message_id = ids[0] if ids else f"<sha256-{hashlib.sha256(raw).hexdigest()}@kesu.local>"
    if len(message_id) > 255:
        message_id = f"<sha256-{hashlib.sha256(message_id.encode()).hexdigest()}@kesu.long>"
    address, name = _sender(message)
    text, body = _body_text(message)
    answers = _message_ids(header_text(message, "In-Reply-To"))
    answers += list(reversed(_message_ids(header_text(message, "References"))))
    return ParsedMail(
        message=message,
        message_id=message_id,
        from_address=address,
        from_name=name,
        subject=" ".join(header_text(message, "Subject").split()),
        text=text,
        sent_at=_sent_at(message),
        answers=list(dict.fromkeys(answers)),
        files=_files(message, body),
    )
