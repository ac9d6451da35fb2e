"""The few IMAP commands intake needs, over the standard library's imaplib.

UIDs, not sequence numbers, throughout: they stay put while other clients expunge. Mail is
fetched with ``BODY.PEEK[]`` so reading it does not flag it \\Seen; the flag (or the move to
the processed folder) is set only after the mail's transaction committed.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType

from kesu.mailin.config import MailboxConfig, timeout_seconds

_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')


class MailboxError(Exception):
    """The server refused a command (the poll of that mailbox stops and is retried later)."""


@dataclass(frozen=True)
class FetchedMail:
    uid: int
    raw: bytes
    arrived_at: datetime | None  # the server's INTERNALDATE


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(typ: str, data: list, what: str) -> list:
    if typ != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode(errors="replace")
        raise MailboxError(f"{what}: {typ} {detail}".strip())
    return data


def _arrival(meta: bytes) -> datetime | None:
    match = _INTERNALDATE.search(meta)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1).decode().strip(), "%d-%b-%Y %H:%M:%S %z")
    except ValueError:
        return None


class MailboxSession:
    """One logged-in connection with one folder selected; use as a context manager."""

    def __init__(self, config: MailboxConfig) -> None:
        self.config = config
        timeout = timeout_seconds()
        if config.ssl:
            self.imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                config.host, config.port, ssl_context=ssl.create_default_context(), timeout=timeout
            )
        else:
            self.imap = imaplib.IMAP4(config.host, config.port, timeout=timeout)
            if config.starttls:
                self.imap.starttls(ssl.create_default_context())
        try:
            self.imap.login(config.username, config.password)
        except imaplib.IMAP4.error as exc:
            self.imap.shutdown()
            raise MailboxError(f"login refused: {exc}") from None
        self.capabilities = {c.upper() for c in self.imap.capabilities}

    def __enter__(self) -> MailboxSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            self.imap.logout()

    def select(self, folder: str) -> int:
        """Select ``folder`` for reading and writing flags; returns its UIDVALIDITY."""
        _check(*self.imap.select(_quote(folder)), f"select {folder}")
        _typ, data = self.imap.response("UIDVALIDITY")
        if not data or data[0] is None:
            raise MailboxError(f"{folder}: the server gave no UIDVALIDITY")
        return int(data[0])

    def _search(self, *criteria: str) -> list[int]:
        data = _check(*self.imap.uid("SEARCH", *criteria), "search")
        return sorted({int(n) for n in (data[0] or b"").split()})

    def uids_after(self, last_uid: int) -> list[int]:
        # "n:*" always includes the highest UID, even below n: filter here.
        return [u for u in self._search("UID", f"{last_uid + 1}:*") if u > last_uid]

    def unseen_uids(self) -> list[int]:
        return self._search("UNSEEN")

    def fetch(self, uid: int) -> FetchedMail | None:
        """The mail's bytes and arrival time; None if it is gone (expunged meanwhile)."""
        data = _check(*self.imap.uid("FETCH", str(uid), "(INTERNALDATE BODY.PEEK[])"), "fetch")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                return FetchedMail(uid=uid, raw=item[1], arrived_at=_arrival(item[0]))
        return None

    def mark_handled(self, uid: int) -> None:
        """\\Seen, and moved to the processed folder when one is configured."""
        _check(*self.imap.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)"), "store")
        target = self.config.processed_folder
        if not target:
            return
        if "MOVE" in self.capabilities:
            _check(*self.imap.uid("MOVE", str(uid), _quote(target)), "move")
            return
        _check(*self.imap.uid("COPY", str(uid), _quote(target)), "copy")
        _check(*self.imap.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)"), "delete")
        if "UIDPLUS" in self.capabilities:
            _check(*self.imap.uid("EXPUNGE", str(uid)), "expunge")
        else:
            _check(*self.imap.expunge(), "expunge")

    def ensure_folder(self, folder: str) -> None:
        typ, _data = self.imap.create(_quote(folder))
        # NO here mostly means "already exists"; a real problem shows at the first move.
        if typ not in ("OK", "NO"):
            raise MailboxError(f"create {folder}: {typ}")
