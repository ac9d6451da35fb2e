"""Turning what a request names (a complaint number, a user id, a task id) into objects.

A complaint always comes through ``complaint_for_user``: one the caller may not see is not
found, so numbers cannot be probed.
"""

from __future__ import annotations

from django.http import HttpRequest

from kesu.api.auth import user_of
from kesu.complaints.access import complaint_for_user
from kesu.complaints.errors import NotFound
from kesu.complaints.models import Complaint
from kesu.complaints.services.perform import NUMBER, active_user

__all__ = ["NUMBER", "active_user", "complaint_of"]


def complaint_of(request: HttpRequest, number: str, *, version: int | None = None) -> Complaint:
    """The caller's complaint ``number``. With ``version``, the copy claims that version, so
    a service refuses it as stale if the row has moved on since the client read it."""
    if not NUMBER.match(number):
        raise NotFound()
    complaint = complaint_for_user(user_of(request), number=number)
    if version is not None:
        complaint.version = version
    return complaint
