"""Send one webhook message: a signed POST, classified, logged in ``WebhookDelivery``.

Called by ``services.deliver`` for channel ``webhook``; the outbox does the claiming, retries
with backoff, dead-lettering and resending. Here: 2xx → sent; 408, 429, 5xx, connection errors
and timeouts → ``WebhookRetry`` (tried again later); anything else (other 4xx such as 410,
redirects, which are never followed) → ``PermanentDeliveryError`` (dead).

Setting read at call time: ``KESU_WEBHOOK_TIMEOUT`` (seconds, default 10).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from kesu.outbox.models import OutboxMessage, WebhookDelivery
from kesu.outbox.services import PermanentDeliveryError
from kesu.outbox.webhooks.queue import PING
from kesu.outbox.webhooks.signing import sign

DEFAULT_TIMEOUT_SECONDS = 10.0
EXCERPT_BYTES = 1024
USER_AGENT = "kesu-webhooks/1"
RETRY_STATUSES = frozenset({408, 429})

Outcome = WebhookDelivery.Outcome


class WebhookRetry(Exception):
    """The receiver could not take it now (5xx, 408, 429, network): try again later."""


@dataclass
class _Response:
    status: int | None = None
    excerpt: str = ""
    error: str = ""


def encode_body(payload: dict[str, Any]) -> bytes:
    # Sorted keys: the same bytes whichever database stored the payload (jsonb reorders keys).
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> _Response:
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    if https:
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname or "", port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname or "", port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        excerpt = response.read(EXCERPT_BYTES).decode("utf-8", errors="replace")
        return _Response(status=response.status, excerpt=excerpt)
    except (OSError, http.client.HTTPException) as exc:  # refused, reset, timeout, TLS
        return _Response(error=f"{type(exc).__name__}: {exc}"[:1000])
    finally:
        conn.close()


def _outcome(response: _Response) -> str:
    status = response.status
    if status is not None and 200 <= status < 300:
        return Outcome.SENT
    if status is None or status in RETRY_STATUSES or 500 <= status < 600:
        return Outcome.RETRY
    return Outcome.FAILED


def send_webhook(message: OutboxMessage, *, now: dt.datetime) -> None:
    """POST the message to its endpoint; returns if the receiver accepted it, else raises.

    Every attempt that reaches the network is logged, failures included. The log row is
    written before raising and outside any transaction of ours, so it stays whatever the
    outbox then does with the message (back to pending, or dead).
    """
    endpoint = message.webhook_endpoint
    if endpoint is None:
        raise PermanentDeliveryError("webhook endpoint deleted")
    if not endpoint.is_active and message.event != PING:
        raise PermanentDeliveryError("webhook endpoint is inactive")
    if urlsplit(endpoint.url).scheme not in ("http", "https"):
        raise PermanentDeliveryError("webhook URL must be http or https")

    body = encode_body(message.context)
    # Wall-clock seconds, not the worker's "now": receivers compare it with their own clock.
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Kesu-Delivery": str(message.pk),
        "X-Kesu-Event": message.event,
        "X-Kesu-Timestamp": str(timestamp),
        "X-Kesu-Signature": sign(endpoint.secret, timestamp, body),
    }
    timeout = float(getattr(settings, "KESU_WEBHOOK_TIMEOUT", DEFAULT_TIMEOUT_SECONDS))
    started = time.monotonic()
    response = _post(endpoint.url, body, headers, timeout)
    duration_ms = int((time.monotonic() - started) * 1000)

    outcome = _outcome(response)
    if outcome == Outcome.RETRY and message.attempts >= message.max_attempts:
        outcome = Outcome.FAILED  # the outbox gives up after this attempt: say so in the log
    WebhookDelivery.objects.create(
        message_id=message.pk,
        endpoint=endpoint,
        attempt=message.attempts,
        at=now,
        duration_ms=duration_ms,
        status_code=response.status,
        outcome=outcome,
        response_excerpt=response.excerpt,
        error=response.error,
    )
    if outcome == Outcome.SENT:
        return
    reason = response.error or f"HTTP {response.status}"
    if response.status is not None and _outcome(response) == Outcome.FAILED:
        raise PermanentDeliveryError(reason)
    raise WebhookRetry(reason)
