"""A real SMTP server on loopback (aiosmtpd) that records every message it accepts.

    with SmtpServer(delay=0.01) as smtp:
        smtp.configure(settings)        # Django's SMTP backend → this server
        ...                             # or smtp.env() for a child process (settings.py)
        smtp.wait_for(10)
        smtp.stop(); smtp.start()       # down, then back on the same port

A message counts as received when the server answers ``250`` to its DATA, as a real mail
server takes responsibility for it at that moment. ``hold_quit(after=n)`` makes the server
sit on the QUIT of the n-th message until ``release()``: the client has its ``250`` but its
send has not returned, the window in which a killed sender leaves an accepted mail unrecorded.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from typing import Any

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Received:
    """One accepted message: the SMTP envelope and the headers a test looks at, decoded."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message_id: str
    kesu_id: str
    to: str
    subject: str
    body: str
    headers: dict[str, str] = field(repr=False)
    at: float = field(repr=False)


def _decoded(raw: object) -> str:
    # RFC 2047 words decoded and unfolded. (email.policy.default keeps the fold Django puts
    # before a long encoded Subject as a leading space; make_header does not.)
    return str(make_header(decode_header(str(raw)))) if raw is not None else ""


def parse(mail_from: str, rcpt_tos: list[str], content: bytes) -> Received:
    raw = email.message_from_bytes(content, policy=email.policy.compat32)
    msg = email.message_from_bytes(content, policy=email.policy.default)
    body_part = msg.get_body(preferencelist=("plain", "html"))
    body = body_part.get_content() if body_part is not None else ""
    return Received(
        mail_from=mail_from,
        rcpt_tos=tuple(rcpt_tos),
        message_id=str(msg.get("Message-ID", "")),
        kesu_id=str(msg.get("X-Kesu-Message-Id", "")),
        to=_decoded(raw.get("To")),
        subject=_decoded(raw.get("Subject")),
        body=body,
        headers={k: str(v) for k, v in msg.items()},
        at=time.monotonic(),
    )


class _Handler:
    def __init__(self, owner: SmtpServer) -> None:
        self.owner = owner

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.owner.delay:
            await asyncio.sleep(self.owner.delay)
        record = parse(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        index = self.owner._record(record)
        session.kesu_index = index  # the n-th message this server accepted (1-based)
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        owner = self.owner
        if owner._hold_at is not None and getattr(session, "kesu_index", None) == owner._hold_at:
            owner.held.set()
            limit = time.monotonic() + owner.hold_timeout
            while not owner._release.is_set() and time.monotonic() < limit:
                await asyncio.sleep(0.01)
        return "221 Bye"


class SmtpServer:
    """aiosmtpd on 127.0.0.1; ``received`` lists what it accepted, across restarts."""

    def __init__(self, *, port: int | None = None, delay: float = 0.0) -> None:
        self.host = HOST
        self.port = port or free_port()
        self.delay = delay
        self.hold_timeout = 30.0
        self.held = threading.Event()
        self._release = threading.Event()
        self._hold_at: int | None = None
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._controller: Controller | None = None

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SmtpServer:
        # aiosmtpd logs every command at INFO: thousands of records in a load test.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        if self._controller is None:
            controller = Controller(_Handler(self), hostname=self.host, port=self.port)
            controller.start()
            self._controller = controller
        return self

    def stop(self) -> None:
        """Down: the port refuses connections until ``start()``."""
        self._release.set()  # never leave a held session behind
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- faults --------------------------------------------------------------------------

    def hold_quit(self, *, after: int) -> None:
        """Hold the QUIT that follows the ``after``-th accepted message until ``release()``."""
        self.held.clear()
        self._release.clear()
        self._hold_at = after

    def release(self) -> None:
        self._release.set()

    # ---- what arrived --------------------------------------------------------------------

    def _record(self, record: Received) -> int:
        with self._lock:
            self._received.append(record)
            return len(self._received)

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def count(self) -> int:
        with self._lock:
            return len(self._received)

    def by_kesu_id(self) -> Counter[str]:
        return Counter(r.kesu_id for r in self.received)

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        limit = time.monotonic() + timeout
        while time.monotonic() < limit:
            if self.count() >= count:
                return True
            time.sleep(0.01)
        return self.count() >= count

    # ---- clients -------------------------------------------------------------------------

    def configure(self, settings: Any, *, timeout: float = 2.0) -> None:
        """Point Django's SMTP backend at this server (pytest-django's ``settings`` fixture)."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = self.host
        settings.EMAIL_PORT = self.port
        settings.EMAIL_TIMEOUT = timeout
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""

    def env(self, *, timeout: float = 2.0) -> dict[str, str]:
        """The same for a child process (read by ``kesu.settings``)."""
        return {
            "KESU_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "KESU_EMAIL_HOST": self.host,
            "KESU_EMAIL_PORT": str(self.port),
            "KESU_EMAIL_TIMEOUT": str(timeout),
        }
