"""Email intake's world: one private Dovecot for the session, a fresh account per test that
``KESU_MAILBOXES`` points at, the b2b preset, and builders for the mails customers send."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from django.utils import timezone

from tests.conftest import People, make_people
from tests.mailin.dovecot import DOVECOT, Account, Dovecot

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
CUSTOMER = "zhang.wei@example.cn"


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot()
    try:
        server.start()
        yield server
    except FileNotFoundError:
        pytest.fail(f"{DOVECOT} is missing: run scripts/test.sh, which installs dovecot-imapd")
    finally:
        server.stop()


@pytest.fixture
def account(dovecot: Dovecot, settings) -> Account:
    """An empty mailbox, configured as kesu's only intake mailbox."""
    acc = dovecot.new_account()
    settings.KESU_MAILBOXES = [acc.settings_entry()]
    settings.DEFAULT_FROM_EMAIL = "kesu <service@kesu.example.cn>"
    return acc


@pytest.fixture
def world(preset, account) -> People:
    preset("b2b")
    return make_people()


def mail(
    *,
    subject: str = "货物延迟交付投诉",
    body: str = "订单 SO-2026-1101 约定11月10日交货，至今未到，影响生产。",
    sender: str = f"张伟 <{CUSTOMER}>",
    headers: dict[str, str] | None = None,
    files: list[tuple[str, bytes, str]] = (),
    html: str = "",
) -> bytes:
    """A mail as a customer's client sends it (UTF-8, encoded headers, files attached)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "service@kesu.example.cn"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(timezone.now())
    msg["Message-ID"] = make_msgid(domain="customer.example.cn")
    for name, value in (headers or {}).items():
        msg[name] = value
    if html:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body)
    for name, content, ctype in files:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()
