"""Who is calling: a bearer token (integrations) or the Django session (the console).

Tokens are looked up by their hash; revoked tokens and inactive users are refused. A session
caller must pass Django's CSRF check on unsafe methods; an anonymous caller is never asked for
one, so it gets 401, not 403.

Bearer requests are rate-limited (docs/decisions/0009-api-rate-limit.md), on database counters
every web process shares (``kesu.web.ratelimit``): per token, reads (``KESU_API_RATE``) and
writes (``KESU_API_WRITE_RATE``) apart; and per client network, failed tokens
(``KESU_API_TOKEN_FAILURES``): once those are used up, bearer requests from that network are
refused before any token is looked up, so guessing stops rather than slows. Over a limit the
answer is 429 with ``Retry-After`` (``kesu.api.throttle``). A request costs one primary-key
read and one counting statement besides the token look-up.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError, Throttled
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from kesu.accounts.models import ApiToken, User, hash_token
from kesu.web import ratelimit

# ``last_used_at`` is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _failures_key(request: HttpRequest) -> str:
    return f"api-fail:{ratelimit.client_key(request, 'api-token-failures')}"


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        failures = _failures_key(request)
        blocked = ratelimit.peek(failures, settings.KESU_API_TOKEN_FAILURES)
        if blocked.full:
            raise Throttled(wait=blocked.retry_after)
        found = self._lookup(token.strip())
        if found is None:
            failed = ratelimit.hit(failures, settings.KESU_API_TOKEN_FAILURES)
            if failed.over:  # another request of the same network got there first
                raise Throttled(wait=failed.retry_after)
            return None
        if request.method in READ_METHODS:
            used = ratelimit.hit(f"api-read:{found.pk}", settings.KESU_API_RATE)
        else:
            used = ratelimit.hit(f"api-write:{found.pk}", settings.KESU_API_WRITE_RATE)
        if used.over:
            raise Throttled(wait=used.retry_after)
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        return found.user

    @staticmethod
    def _lookup(token: str) -> ApiToken | None:
        """The live token of an active user, or None."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        found = (
            ApiToken.objects.select_related("user", "user__department")
            .filter(token_hash=hash_token(token), revoked_at__isnull=True)
            .first()
        )
        if found is None or not found.user.is_active:
            return None
        return found


class ConsoleSession(APIKeyCookie):
    """Django's session login, with CSRF checked for a signed-in user only."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> User | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, "CSRF check failed")
        return user

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        return None  # __call__ does the work


def user_of(request: HttpRequest) -> User:
    """The authenticated caller (every operation but the catch-all requires one)."""
    return request.auth  # type: ignore[attr-defined, no-any-return]
