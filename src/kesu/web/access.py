"""Gates for pages: who may open the staff console and where each role lands."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from kesu.accounts.models import STAFF_ROLES, Role

# What each role needs first when it signs in (SPEC §1, §8).
LANDING = {
    Role.AGENT: ("console:queue", "unassigned"),
    Role.HANDLER: ("console:queue", "mine"),
    Role.MANAGER: ("console:queue", "department"),
    Role.EXECUTIVE: ("console:dashboard", None),
    Role.QUALITY: ("console:dashboard", None),
    Role.ADMIN: ("console:dashboard", None),
    Role.CUSTOMER: ("portal:mine", None),
}


def landing_url(user: Any) -> str:
    name, arg = LANDING.get(user.role, ("console:dashboard", None))
    return reverse(name, args=[arg] if arg else [])


def is_staff_user(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in STAFF_ROLES)


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in staff only: anonymous users go to the sign-in page, customers are refused."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff_user(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
