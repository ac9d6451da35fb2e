"""Whose report a reader gets: the analysis access rule (``kesu.analysis.access``) applied to
the report's one filter, the department. Console, API and downloads all ask here."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from kesu.accounts.models import Department
from kesu.analysis.access import may_see_analysis, sees_all_analysis
from kesu.complaints.errors import InvalidInput, PermissionDenied


def may_read_reports(user: Any) -> bool:
    return may_see_analysis(user)


def report_department(user: Any, code: str | None = None) -> Department | None:
    """The department of the report ``user`` reads (None: the whole company). Those who see
    the whole company may narrow it to ``code``; a department manager always gets their own
    department, whatever they ask for. Everyone else is refused."""
    if not may_see_analysis(user):
        raise PermissionDenied()
    if not sees_all_analysis(user):
        return user.department
    if not code:
        return None
    # No code holds a NUL, which PostgreSQL cannot even compare.
    found = None if "\x00" in code else Department.objects.filter(code=code).first()
    if found is None:
        raise InvalidInput(errors={"department": _("Unknown department.")})
    return found
