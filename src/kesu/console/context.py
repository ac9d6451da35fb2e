"""The staff console's queues for the navigation bar (``console_queues``) and for the views.

Everything is read lazily and at most once per request: a page that never shows the bar (an
htmx fragment, a portal page) runs no query for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise, SimpleLazyObject

from kesu.complaints.access import handles_data_requests, may_import
from kesu.complaints.queues import (
    COUNT_CAP,
    PolicyRules,
    Queue,
    policy_rules,
    queue_counts,
    queues_for,
)
from kesu.outbox.inbox import unread_count
from kesu.reports.scope import may_read_reports
from kesu.web.access import is_staff_user


@dataclass(frozen=True)
class NavQueue:
    slug: str
    label: str | Promise
    count: int | None
    alarm: bool

    @property
    def shown(self) -> str:
        """The count as the navigation prints it: capped counts read "1000+"."""
        if self.count is None:
            return ""
        return f"{COUNT_CAP}+" if self.count > COUNT_CAP else str(self.count)


class Board:
    """One staff member's queues at one moment."""

    def __init__(self, user: Any, *, now: datetime | None = None) -> None:
        self.user = user
        self.now = now or timezone.now()

    @cached_property
    def rules(self) -> PolicyRules:
        return policy_rules()

    @cached_property
    def queues(self) -> list[Queue]:
        return queues_for(self.user, self.rules)

    @cached_property
    def counts(self) -> dict[str, int]:
        return queue_counts(self.user, self.queues, now=self.now, rules=self.rules)

    @cached_property
    def nav(self) -> list[NavQueue]:
        return [NavQueue(q.slug, q.label, self.counts[q.slug], q.alarm) for q in self.queues]


def board(request: HttpRequest) -> Board:
    """The request's board, made once."""
    found = getattr(request, "_kesu_board", None)
    if found is None:
        found = Board(request.user)
        request._kesu_board = found  # type: ignore[attr-defined]
    return found


def console_queues(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the signed-in staff member's queues with their counts."""
    user = getattr(request, "user", None)
    if user is None or not is_staff_user(user):
        return {}
    return {
        "console_queues": SimpleLazyObject(lambda: board(request).nav),
        "console_may_import": SimpleLazyObject(lambda: may_import(user)),
        "console_unread": SimpleLazyObject(lambda: unread_count(user)),
        "console_may_analyse": SimpleLazyObject(lambda: may_read_reports(user)),
        "console_data_requests": SimpleLazyObject(lambda: handles_data_requests(user)),
    }
