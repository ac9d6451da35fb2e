"""Who is calling: a bearer token (integrations) or the Django session (the console).

Tokens are looked up by their hash; revoked tokens and inactive users are refused. A session
caller must pass Django's CSRF check on unsafe methods; an anonymous caller is never asked for
one, so it gets 401, not 403.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from kesu.accounts.models import ApiToken, User, hash_token

# ``last_used_at`` is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_TOKEN_LENGTH = 200


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        token = token.strip()
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        found = (
            ApiToken.objects.select_related("user", "user__department")
            .filter(token_hash=hash_token(token), revoked_at__isnull=True)
            .first()
        )
        if found is None or not found.user.is_active:
            return None
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        return found.user


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
