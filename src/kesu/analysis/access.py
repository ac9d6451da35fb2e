"""Who may see the analysis (KPIs, the monthly report) and over what: the one place for it.

- executives, quality, administrators and the customer-service manager: everything;
- a department manager: their own department only (the department filter is forced);
- agents, handlers and customers: no (agents and handlers have the dashboard's figures).

Business volume is entered by the customer-service manager, executives and administrators.
"""

from __future__ import annotations

from typing import Any

from kesu.accounts.models import Role
from kesu.analysis.filters import Filters
from kesu.complaints.errors import PermissionDenied

ALL_ROLES = frozenset({Role.EXECUTIVE, Role.QUALITY, Role.ADMIN})


def _active_staff(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _is_cs_manager(user: Any) -> bool:
    return bool(
        user.role == Role.MANAGER and user.department_id and user.department.is_customer_service
    )


def sees_all_analysis(user: Any) -> bool:
    return _active_staff(user) and (user.role in ALL_ROLES or _is_cs_manager(user))


def may_see_analysis(user: Any) -> bool:
    if not _active_staff(user):
        return False
    if sees_all_analysis(user):
        return True
    return user.role == Role.MANAGER and user.department_id is not None


def analysis_filters(user: Any, filters: Filters) -> Filters:
    """The filters ``user`` may read the analysis with: a department manager's are narrowed to
    their department whatever they asked for. Raises PermissionDenied for everyone else."""
    if not may_see_analysis(user):
        raise PermissionDenied()
    if sees_all_analysis(user):
        return filters
    return filters.with_department(user.department)


def may_enter_volume(user: Any) -> bool:
    return _active_staff(user) and (
        user.role in (Role.EXECUTIVE, Role.ADMIN) or _is_cs_manager(user)
    )


def require_volume_entry(user: Any) -> None:
    if not may_enter_volume(user):
        raise PermissionDenied()
