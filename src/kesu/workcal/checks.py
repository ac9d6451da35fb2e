"""System check: warn when this or next year has no official holiday arrangement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage
from django.core.checks import Warning as CheckWarning
from django.db import DatabaseError
from django.utils.translation import gettext

from kesu.workcal.calendar import calendar_warnings, shanghai_today
from kesu.workcal.official import OfficialCalendar


def check_official_calendar(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    if app_configs is not None and not any(c.label == "workcal" for c in app_configs):
        return []
    today = shanghai_today()
    try:
        messages = calendar_warnings(today)
    except DatabaseError:
        # Checks also run before `migrate` has created the table: nothing can have been
        # entered yet, so the package alone decides.
        messages = calendar_warnings(today, official=OfficialCalendar())
    hint = gettext(
        "Admin › Business calendar › Official holiday arrangements, or the "
        "`calendar set-year YEAR FILE.yaml` command."
    )
    return [CheckWarning(message, hint=hint, id="kesu.W001") for message in messages]
