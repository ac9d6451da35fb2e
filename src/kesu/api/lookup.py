"""Turning what a request names (a complaint number, a user id, a task id) into objects.

A complaint always comes through ``complaint_for_user``: one the caller may not see is not
found, so numbers cannot be probed.
"""

from __future__ import annotations

import re

from django.http import HttpRequest
from django.utils.translation import gettext as _

from kesu.accounts.models import User
from kesu.api.auth import user_of
from kesu.complaints.access import complaint_for_user
from kesu.complaints.errors import InvalidInput, NotFound
from kesu.complaints.models import Complaint

NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-]{0,31}$")


def complaint_of(request: HttpRequest, number: str, *, version: int | None = None) -> Complaint:
    """The caller's complaint ``number``. With ``version``, the copy claims that version, so
    a service refuses it as stale if the row has moved on since the client read it."""
    if not NUMBER.match(number):
        raise NotFound()
    complaint = complaint_for_user(user_of(request), number=number)
    if version is not None:
        complaint.version = version
    return complaint


def active_user(user_id: int | None, field: str) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).select_related("department").first()
    if user is None:
        raise InvalidInput(errors={field: _("Unknown user.")})
    return user
