"""Keyset pagination over the queue order: next deadline first (none last), then the time
received, then id. A page costs the same at row ten million as at row ten.

The cursor is the last row's sort key, signed so a client cannot hand-craft one; it only ever
narrows a queryset already limited to what the caller may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core import signing
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from kesu.complaints.errors import InvalidInput
from kesu.complaints.models import Complaint

SALT = "kesu.api.complaints.cursor"
QUEUE_ORDER = (F("next_due_at").asc(nulls_last=True), F("received_at").asc(), F("id").asc())


@dataclass(frozen=True)
class Cursor:
    next_due_at: datetime | None
    received_at: datetime
    id: int

    @classmethod
    def of(cls, complaint: Complaint) -> Cursor:
        return cls(complaint.next_due_at, complaint.received_at, complaint.pk)

    def encode(self) -> str:
        due = self.next_due_at.isoformat() if self.next_due_at else None
        return signing.dumps([due, self.received_at.isoformat(), self.id], salt=SALT)

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            due, received, pk = signing.loads(token, salt=SALT)
            return cls(
                datetime.fromisoformat(due) if due is not None else None,
                datetime.fromisoformat(received),
                int(pk),
            )
        except (signing.BadSignature, ValueError, TypeError):
            raise InvalidInput(errors={"after": _("This cursor is not valid.")}) from None

    def after(self) -> Q:
        """Rows that come after this one in ``QUEUE_ORDER``."""
        later_in_tie = Q(received_at__gt=self.received_at) | Q(
            received_at=self.received_at, id__gt=self.id
        )
        if self.next_due_at is None:
            return Q(next_due_at__isnull=True) & later_in_tie
        return (
            Q(next_due_at__gt=self.next_due_at)
            | Q(next_due_at=self.next_due_at) & later_in_tie
            | Q(next_due_at__isnull=True)
        )


def page(
    qs: QuerySet[Complaint], *, after: str | None, limit: int
) -> tuple[list[Complaint], str | None]:
    """One page of ``qs`` in queue order and the cursor of the next page (None at the end)."""
    if after:
        qs = qs.filter(Cursor.decode(after).after())
    rows = list(qs.order_by(*QUEUE_ORDER)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, Cursor.of(rows[-1]).encode() if more and rows else None
