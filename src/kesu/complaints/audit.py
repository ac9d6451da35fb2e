"""The timeline's seal: every event carries its position on its complaint's timeline (``seq``,
from 1) and a SHA-256 hash over its content and the hash of the event before it, so a row
changed, removed or inserted by hand breaks the chain where it happened (SPEC §1: the record
is evidence). ``seal`` runs inside ``services.events`` for every event written; ``verify``
walks every chain (``kesu audit verify``).

The hash is computed in Python over a text form PostgreSQL can reproduce (bench/generate.py
seals the events it loads in SQL): fields joined by ``|``, the time in UTC to the
microsecond, ``data`` as compact JSON with sorted keys.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db.models import OuterRef, Subquery

from kesu.complaints.models import Complaint, Event

GENESIS = ""  # the "previous hash" of a timeline's first event

_FIELDS = (
    "complaint_id",
    "seq",
    "round_no",
    "kind",
    "action",
    "from_state",
    "to_state",
    "actor_id",
    "at",
    "visible_to_customer",
    "data",
    "hash",
)


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def digest(
    previous: str,
    *,
    complaint_id: int,
    seq: int,
    round_no: int,
    kind: str,
    action: str,
    from_state: str,
    to_state: str,
    actor_id: int | None,
    at: datetime,
    visible_to_customer: bool,
    data: Any,
) -> str:
    text = "|".join(
        (
            previous,
            str(complaint_id),
            str(seq),
            str(round_no),
            kind,
            action,
            from_state,
            to_state,
            "" if actor_id is None else str(actor_id),
            _utc(at),
            "1" if visible_to_customer else "0",
            json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _digest_of(event: Event, previous: str) -> str:
    return digest(
        previous,
        complaint_id=event.complaint_id,
        seq=event.seq,
        round_no=event.round_no,
        kind=event.kind,
        action=event.action,
        from_state=event.from_state,
        to_state=event.to_state,
        actor_id=event.actor_id,
        at=event.at,
        visible_to_customer=event.visible_to_customer,
        data=event.data,
    )


def _tips(complaint_ids: set[int]) -> dict[int, tuple[int, str]]:
    """The last sealed (seq, hash) of each complaint's timeline, in one query."""
    if len(complaint_ids) == 1:
        (only,) = complaint_ids
        last = Event.objects.filter(complaint_id=only).order_by("-seq").values_list("seq", "hash")
        found = last.first()
        return {only: found} if found else {}
    newest = Event.objects.filter(complaint_id=OuterRef("complaint_id")).order_by("-seq")
    rows = Event.objects.filter(
        complaint_id__in=complaint_ids, seq=Subquery(newest.values("seq")[:1])
    ).values_list("complaint_id", "seq", "hash")
    return {cid: (seq, h) for cid, seq, h in rows}


def seal(events: Iterable[Event]) -> None:
    """Give unsaved events their place and hash, in order, after what each complaint's
    timeline holds. Call with the complaints locked (as every writer of events does): two
    writers sealing one timeline at once would take the same place, which the unique
    (complaint, seq) constraint refuses rather than fork the chain."""
    events = list(events)
    tips = _tips({e.complaint_id for e in events})
    for event in events:
        seq, previous = tips.get(event.complaint_id, (0, GENESIS))
        event.seq = seq + 1
        event.hash = _digest_of(event, previous)
        tips[event.complaint_id] = (event.seq, event.hash)


@dataclass(frozen=True)
class Break:
    complaint_id: int
    number: str
    seq: int  # the position where the chain breaks
    problem: str  # "altered" (changed or inserted by hand) or "missing" (rows removed)
    expected_seq: int
    kind: str
    at: datetime | None


@dataclass
class Report:
    complaints: int = 0
    events: int = 0
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


def _walk(events: Iterator[dict[str, Any]]) -> Iterator[tuple[int, int, int, str, Any]]:
    """Yields (complaint id, seq, expected seq, problem, event) for every break."""
    current, expected, previous = None, 1, GENESIS
    for row in events:
        if row["complaint_id"] != current:
            current, expected, previous = row["complaint_id"], 1, GENESIS
        if row["seq"] != expected:
            yield current, row["seq"], expected, "missing", row
        fields = {k: v for k, v in row.items() if k != "hash"}
        if digest(previous, **fields) != row["hash"]:
            yield current, row["seq"], expected, "altered", row
        previous, expected = row["hash"], row["seq"] + 1


def verify(*, complaint: Complaint | None = None, chunk: int = 5000) -> Report:
    """Recompute every chain (or one complaint's), reading in (complaint, seq) order, a chunk
    at a time; each break says where it is and what it looks like."""
    qs = Event.objects.order_by("complaint_id", "seq")
    if complaint is not None:
        qs = qs.filter(complaint=complaint)
    report = Report()

    def rows() -> Iterator[dict[str, Any]]:
        last = None
        for row in qs.values(*_FIELDS).iterator(chunk_size=chunk):
            report.events += 1
            if row["complaint_id"] != last:
                last = row["complaint_id"]
                report.complaints += 1
            yield row

    found = list(_walk(rows()))
    numbers = dict(
        Complaint.objects.filter(pk__in={f[0] for f in found}).values_list("pk", "number")
    )
    report.breaks = [
        Break(
            complaint_id=cid,
            number=numbers.get(cid, f"#{cid}"),
            seq=seq,
            problem=problem,
            expected_seq=expected,
            kind=row["kind"],
            at=row["at"],
        )
        for cid, seq, expected, problem, row in found
    ]
    return report
