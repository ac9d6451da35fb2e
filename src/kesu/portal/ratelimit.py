"""The portal's submission rate limit: so many complaints per client network per window.

Counted in the database (``SubmissionAttempt``), so every web process sees the same count; see
``docs/decisions/0004-portal-rate-limit.md`` for why not a cache.

Settings, read at call time:

- ``KESU_PORTAL_SUBMISSIONS`` (5) per ``KESU_PORTAL_WINDOW_SECONDS`` (600) per client;
- ``KESU_TRUSTED_PROXIES`` (0): who the client is, as for every limit (``kesu.web.ratelimit``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.http import HttpRequest

from kesu.portal.models import SubmissionAttempt
from kesu.web import ratelimit as shared


@dataclass(frozen=True)
class Limit:
    count: int
    window: timedelta

    @classmethod
    def from_settings(cls) -> Limit:
        return cls(
            count=int(getattr(settings, "KESU_PORTAL_SUBMISSIONS", 5)),
            window=timedelta(seconds=int(getattr(settings, "KESU_PORTAL_WINDOW_SECONDS", 600))),
        )


def client_key(request: HttpRequest) -> str:
    """A keyed hash of the client's network (an IPv4 address or an IPv6 /64): the shared rules
    of ``kesu.web.ratelimit``, which never store the address itself."""
    return shared.client_key(request, "portal-submit")


def _recent(client: str, now: datetime, limit: Limit) -> int:
    return SubmissionAttempt.objects.filter(client=client, at__gt=now - limit.window).count()


def is_limited(client: str, now: datetime, limit: Limit | None = None) -> bool:
    """Whether ``client`` has used up its submissions for now (one read, no write)."""
    limit = limit or Limit.from_settings()
    return _recent(client, now, limit) >= limit.count


def retry_after(client: str, now: datetime, limit: Limit) -> int:
    """Seconds until the oldest counted submission leaves the window (at least 1)."""
    oldest = (
        SubmissionAttempt.objects.filter(client=client, at__gt=now - limit.window)
        .order_by("at")
        .values_list("at", flat=True)
        .first()
    )
    if oldest is None:
        return 1
    return max(1, math.ceil((oldest + limit.window - now).total_seconds()))


def take_slot(client: str, now: datetime, limit: Limit | None = None) -> SubmissionAttempt | None:
    """Count one submission for ``client``, or return None when the limit is reached.

    Runs outside a transaction: the row is committed before it is counted, so each request's
    count includes every row let through before it, and never more than ``count`` pass within
    a window. Two requests racing for the last place may both step back: the safe side."""
    limit = limit or Limit.from_settings()
    if is_limited(client, now, limit):
        return None  # refused without writing anything: a flood costs one read per request
    SubmissionAttempt.objects.filter(at__lte=now - limit.window).delete()
    slot = SubmissionAttempt.objects.create(client=client, at=now)
    if _recent(client, now, limit) > limit.count:
        slot.delete()
        return None
    return slot


def give_back(slot: SubmissionAttempt | None) -> None:
    """The submission did not go through (invalid after all): it does not count."""
    if slot is not None and slot.pk is not None:
        SubmissionAttempt.objects.filter(pk=slot.pk).delete()
