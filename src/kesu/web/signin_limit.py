"""Failed sign-ins per client network: the limit against password spraying.

django-axes locks a *username* after a few wrong passwords (docs/decisions/0008). Someone who
tries one or two passwords on each of many usernames never trips that lock; this second limit,
much higher so that an office behind one address is not troubled by its own typos, counts
every failed sign-in from one client network (``KESU_SIGNIN_ADDRESS_FAILURES``, 30 per 15
minutes) on the database counter of ``kesu.web.ratelimit``. Once it is used up, sign-in
attempts from that network (the console's and the admin's) are answered 429 with the lock-out
page until the window ends, before any password is checked. A good sign-in does not clear it:
a sprayer could otherwise mix in their own account's sign-ins.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kesu.web import ratelimit

PURPOSE = "signin-failures"


def _key(request: HttpRequest) -> str:
    return f"signin:{ratelimit.client_key(request, PURPOSE)}"


@cache
def _signin_paths() -> frozenset[str]:
    return frozenset({reverse("login"), reverse("admin:login")})


@receiver(user_login_failed, dispatch_uid="kesu.web.signin_limit.count_failure")
def count_failure(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """Every failed ``authenticate()`` with a request (wrong password, unknown user, a username
    axes has locked) counts against the client's network."""
    if request is not None:
        ratelimit.hit(_key(request), settings.KESU_SIGNIN_ADDRESS_FAILURES)


def locked_page(request: HttpRequest, retry_after: int) -> HttpResponse:
    rate = settings.KESU_SIGNIN_ADDRESS_FAILURES
    context = {
        "title": _("Sign-in locked"),
        "by_address": True,
        "failure_limit": rate.count,
        "window_minutes": max(1, rate.seconds // 60),
        "lock_minutes": max(1, math.ceil(retry_after / 60)),
    }
    response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


class SigninAddressLimitMiddleware:
    """Answers a sign-in POST from a network that has used up its failures with the lock-out
    page; one primary-key read on sign-in POSTs, nothing on any other request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path in _signin_paths():
            state = ratelimit.peek(_key(request), settings.KESU_SIGNIN_ADDRESS_FAILURES)
            if state.full:
                return locked_page(request, state.retry_after)
        return self.get_response(request)
