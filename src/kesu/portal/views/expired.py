"""The page a private link shows once it has ended (services.portal_links): 410 Gone, in the
visitor's language, saying what to do instead. Nothing of the case is shown but its number,
which the customer quotes when they call."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from kesu.accounts.models import Role
from kesu.complaints.errors import LinkExpired
from kesu.portal.views.headers import keep_private


def expired_page(request: HttpRequest, exc: LinkExpired) -> HttpResponse:
    user = request.user
    context = {
        "title": _("This link has expired"),
        "number": exc.details.get("number", ""),
        # A signed-in customer reaches their complaints from "my complaints" instead.
        "customer": user.is_authenticated and user.role == Role.CUSTOMER,
    }
    return keep_private(render(request, "portal/expired.html", context, status=410))


def follows_link(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page reached by a private link: an ended link gets the expired page, whatever the
    method (a form posted to it changes nothing)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except LinkExpired as exc:
            return expired_page(request, exc)

    return wrapper
