"""The configured mailboxes, read from ``settings.KESU_MAILBOXES`` at call time.

Secrets (the IMAP password) come from the environment through the settings, never from the
database; the database only keeps each mailbox's progress (``models.Mailbox``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class MailboxConfig:
    name: str
    host: str
    username: str
    password: str
    port: int = 993
    ssl: bool = True
    starttls: bool = False
    folder: str = "INBOX"
    # Handled mail is moved there (created if missing); empty: it is only flagged \Seen.
    processed_folder: str = ""
    # A mailbox fed by a mailing list or group address receives customers' mail with List-Id;
    # only then may list mail open complaints.
    allow_lists: bool = False
    # The category when the policy's keywords suggest none; empty: the policy's "other".
    category: str = ""

    @property
    def own_address(self) -> str:
        """The mailbox's own address when the login is one (mail from it is our own)."""
        return self.username.lower() if "@" in self.username else ""


_FIELDS = set(MailboxConfig.__dataclass_fields__)


def _one(raw: Any, index: int) -> MailboxConfig:
    if not isinstance(raw, dict):
        raise ImproperlyConfigured(f"KESU_MAILBOXES[{index}] must be an object")
    unknown = set(raw) - _FIELDS
    missing = {"name", "host", "username", "password"} - set(raw)
    if unknown or missing:
        raise ImproperlyConfigured(
            f"KESU_MAILBOXES[{index}]: unknown keys {sorted(unknown)}, missing {sorted(missing)}"
        )
    config = MailboxConfig(**raw)
    if config.ssl and config.starttls:
        raise ImproperlyConfigured(f"mailbox {config.name!r}: choose ssl or starttls, not both")
    return config


def configured_mailboxes() -> list[MailboxConfig]:
    raw = getattr(settings, "KESU_MAILBOXES", []) or []
    configs = [_one(item, i) for i, item in enumerate(raw)]
    names = [c.name for c in configs]
    if len(set(names)) != len(names):
        raise ImproperlyConfigured("KESU_MAILBOXES: every mailbox needs its own name")
    return configs


def max_attempts() -> int:
    """How many polls try a mail whose processing fails before it is left to staff."""
    return int(getattr(settings, "KESU_MAILIN_MAX_ATTEMPTS", 3))


def batch_size() -> int:
    """Mails handled per mailbox and poll; the rest wait for the next poll."""
    return int(getattr(settings, "KESU_MAILIN_BATCH", 50))


def timeout_seconds() -> float:
    return float(getattr(settings, "KESU_MAILIN_TIMEOUT", 30))
