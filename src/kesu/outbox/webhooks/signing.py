"""HMAC-SHA256 signatures of webhook bodies (docs/webhooks.md).

The signed string is ``f"{timestamp}.{body}"``: the timestamp is part of what is signed, so a
captured request cannot be replayed later with a fresh timestamp, and the receiver refuses old
timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_PREFIX = "sha256="
DEFAULT_TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``X-Kesu-Signature`` header value for ``body`` sent at ``timestamp``."""
    signed = str(timestamp).encode("ascii") + b"." + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify_signature(
    secret: str,
    timestamp: int | str,
    body: bytes,
    header: str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    *,
    now: float | None = None,
) -> bool:
    """True if ``header`` (``X-Kesu-Signature``) signs ``body`` with ``secret`` at
    ``timestamp`` (``X-Kesu-Timestamp``), and that timestamp is within ``tolerance`` seconds of
    ``now`` (default: the clock). Receivers call it with the raw request body."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance:
        return False
    if not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    return hmac.compare_digest(sign(secret, sent_at, body), header.strip())
