"""Response headers for pages reached by a private link: the link is the key to the case, so
it must not leak through the Referer header, caches or search engines."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


def keep_private(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private
    # Not "no-referrer": browsers then send "Origin: null" with the page's own forms, which
    # CSRF protection refuses. "same-origin" keeps the link from every other site.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def private_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return keep_private(view(request, *args, **kwargs))

    return wrapper
