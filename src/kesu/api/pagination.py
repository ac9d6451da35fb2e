"""Keyset pagination over the queue order: next deadline first (none last), then the time
received, then id. A page costs the same at row ten million as at row ten.

The order and its signed cursors live in :mod:`kesu.complaints.queues`, shared with the
console's queues; a cursor only ever narrows a queryset already limited to what the caller
may see.
"""

from __future__ import annotations

from django.db.models import QuerySet

from kesu.complaints.models import Complaint
from kesu.complaints.queues import QUEUE_ORDER
from kesu.complaints.queues import page as keyset_page


def page(
    qs: QuerySet[Complaint], *, after: str | None, limit: int
) -> tuple[list[Complaint], str | None]:
    """One page of ``qs`` in queue order and the cursor of the next page (None at the end)."""
    result = keyset_page(qs, after=after, limit=limit, order=QUEUE_ORDER)
    return result.rows, result.next
