"""Rate limits every web process shares: fixed-window counters in the database.

Used by the API (requests per token, failed tokens per client network: ``kesu.api.auth``) and
the sign-in (failed sign-ins per client network: ``kesu.web.signin_limit``); see
docs/decisions/0009-api-rate-limit.md. The portal's submission limit (decision 0004) keeps its
own exact sliding window, which suits five submissions in ten minutes, and shares the client
address rules below.

One statement counts: an ``INSERT … ON CONFLICT DO UPDATE … RETURNING count`` on the key's
row (SQLite ≥ 3.35 and PostgreSQL), which starts the count again when a new window begins.
Windows are aligned to multiples of their length in Unix time, so every process agrees on them
without talking to the others. When a key starts a new window, the rows of windows that have
ended are deleted (an indexed range delete that usually finds nothing), so the table holds
about one row per key active in the current windows.

Client addresses: ``KESU_TRUSTED_PROXIES`` (0) is how many reverse proxies in front of the
application append to ``X-Forwarded-For``. With 0 the client is ``REMOTE_ADDR``; behind one
nginx it is the last address nginx appended. Addresses further left are the client's own say
and never trusted.
"""

from __future__ import annotations

import hmac
import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

from kesu.web.models import RateCounter
from kesu.web.rate import Rate


@dataclass(frozen=True)
class Hit:
    """The count of the current window after (or, from ``peek``, before) this event."""

    count: int
    limit: int
    retry_after: int  # whole seconds until the window ends (at least 1)

    @property
    def over(self) -> bool:
        """More events than the limit allows: this one is refused."""
        return self.count > self.limit

    @property
    def full(self) -> bool:
        """The limit is used up: the next event would be refused."""
        return self.count >= self.limit


def _window(rate: Rate, now: datetime | None) -> tuple[int, int]:
    """(the current window's end in Unix seconds, seconds until then, at least 1)."""
    stamp = (now or timezone.now()).timestamp()
    end = (int(stamp) // rate.seconds + 1) * rate.seconds
    return end, max(1, math.ceil(end - stamp))


def _upsert_sql() -> str:
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    # A request of an older window arriving late (clocks of two hosts a second apart) counts
    # in the newer one rather than resetting it.
    return (
        f"INSERT INTO {table} (key, window_end, count) VALUES (%s, %s, 1) "
        f"ON CONFLICT (key) DO UPDATE SET "
        f"count = CASE WHEN {table}.window_end >= excluded.window_end "
        f"THEN {table}.count + 1 ELSE 1 END, "
        f"window_end = CASE WHEN {table}.window_end >= excluded.window_end "
        f"THEN {table}.window_end ELSE excluded.window_end END "
        f"RETURNING count"
    )


def hit(key: str, rate: Rate, now: datetime | None = None) -> Hit:
    """Count one event for ``key`` in the current window of ``rate``: one statement."""
    end, wait = _window(rate, now)
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(), [key, end])
        (count,) = cursor.fetchone()
    if count == 1:
        # A new window for this key: the moment to drop every window that has ended.
        RateCounter.objects.filter(window_end__lte=end - rate.seconds).delete()
    return Hit(count=count, limit=rate.count, retry_after=wait)


def peek(key: str, rate: Rate, now: datetime | None = None) -> Hit:
    """The current window's count for ``key`` without counting: one primary-key read."""
    end, wait = _window(rate, now)
    count = (
        RateCounter.objects.filter(key=key, window_end__gte=end)
        .values_list("count", flat=True)
        .first()
    )
    return Hit(count=count or 0, limit=rate.count, retry_after=wait)


# --- who the client is ------------------------------------------------------------------------


def client_address(request: HttpRequest) -> str:
    """The client's address as far as the trusted proxies vouch for it."""
    proxies = int(getattr(settings, "KESU_TRUSTED_PROXIES", 0))
    address = request.META.get("REMOTE_ADDR", "")
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if hops:
            address = hops[-min(proxies, len(hops))]
    return address


def client_network(request: HttpRequest) -> str:
    """An IPv4 address, or an IPv6 /64: one subscriber line usually has a whole /64 and could
    otherwise change address at every request."""
    try:
        ip = ipaddress.ip_address(client_address(request))
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:192.0.2.1 is the IPv4 client 192.0.2.1
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_key(request: HttpRequest, purpose: str) -> str:
    """A keyed hash of the client's network for one purpose: the tables never hold addresses
    (personal data) and one purpose's keys cannot be matched with another's."""
    message = f"{purpose}|{client_network(request)}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, "sha256").hexdigest()
