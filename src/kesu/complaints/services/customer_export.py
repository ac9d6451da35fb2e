"""The export of one customer's data on their request (PIPL art. 45, GDPR art. 15): a zip
holding ``customer.json`` (everything kesu holds about the person) and the files of their
complaints that are theirs (uploaded by them, or given to them).

What is in it, and what is not and why, is in docs/privacy.md. In short: the customer record
and portal account; each complaint as filed, its outcome, the timeline the customer sees,
every logged contact with them (staff's summaries included: they record the processing of the
person's data), callbacks with their ratings and the callers' notes, approved solutions, the
messages sent to them and the mails received from them. Not in it: the company's internal
working records (internal notes, tasks, meetings, findings, grading, approvals and deadline
extensions), which are about the company's staff and suppliers rather than the person.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.accounts.models import Role, User
from kesu.complaints.access import CUSTOMER_EVENT_KEYS, require_data_requests
from kesu.complaints.models import (
    Attachment,
    Callback,
    Communication,
    Complaint,
    Customer,
    CustomerDataLog,
    Event,
    HandlingRound,
    Solution,
    SolutionStatus,
)
from kesu.complaints.queues import PolicyNames
from kesu.complaints.states import State

FORMAT = "kesu-customer-export"
VERSION = 1
JSON_NAME = "customer.json"


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value is not None else None


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _role(user: User | None) -> str | None:
    """Staff appear by role, as the portal shows them; the customer as "customer"."""
    return user.role if user is not None else None


def _safe_name(name: str) -> str:
    kept = "".join(ch for ch in name if ch.isprintable() and ch not in '/\\:*?"<>|')
    return kept.strip(". ")[:120] or "file"


class _Export:
    """Everything about one customer, read in a fixed number of queries per kind of row."""

    def __init__(self, customer: Customer) -> None:
        self.customer = customer
        self.user = customer.user
        self.complaints = list(
            Complaint.objects.filter(customer=customer)
            .select_related("department", "handler", "merged_into")
            .order_by("received_at", "pk")
        )
        self.ids = [c.pk for c in self.complaints]
        self.names = PolicyNames(c.policy_id for c in self.complaints)
        self.files: list[tuple[str, Attachment]] = []

    def _by_complaint(self, rows: Any) -> dict[int, list[Any]]:
        out: dict[int, list[Any]] = {pk: [] for pk in self.ids}
        for row in rows:
            out[row.complaint_id].append(row)
        return out

    def document(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "generated_at": _iso(timezone.now()),
            "customer": self.person(),
            "portal_account": self.account(),
            "complaints": self.complaint_rows(),
            "messages_sent": self.messages(),
            "mails_received": self.mails(),
            "data_requests": [
                {"kind": log.kind, "via": log.via, "at": _iso(log.at)}
                for log in self.customer.data_log.order_by("at", "pk")
            ],
            "not_included": _(
                "Kept out: the company's internal working records of the cases (internal "
                "notes, tasks for other departments, meetings, investigation findings and root "
                "causes, grading, approvals and deadline extensions), which concern its staff "
                "and suppliers. Ask customer service if you need any of them."
            ),
        }

    def person(self) -> dict[str, Any]:
        c = self.customer
        return {
            "id": c.pk,
            "name": c.name,
            "company": c.company,
            "phone": c.phone,
            "email": c.email,
            "language": c.language,
            "account": ({"code": c.account.code, "name": c.account.name} if c.account else None),
            "created_at": _iso(c.created_at),
            "erased_at": _iso(c.erased_at),
        }

    def account(self) -> dict[str, Any] | None:
        u = self.user
        if u is None or u.role != Role.CUSTOMER:
            return None
        return {
            "username": u.username,
            "display_name": u.display_name,
            "first_name": u.first_name,
            "last_name": u.last_name,
            "email": u.email,
            "phone": u.phone,
            "language": u.language,
            "date_joined": _iso(u.date_joined),
            "last_login": _iso(u.last_login),
            "is_active": u.is_active,
        }

    def complaint_rows(self) -> list[dict[str, Any]]:
        ids = self.ids
        events = self._by_complaint(
            Event.objects.filter(complaint_id__in=ids, visible_to_customer=True)
            .select_related("actor")
            .order_by("complaint_id", "seq")
        )
        comms = self._by_complaint(
            Communication.objects.filter(complaint_id__in=ids).select_related("by")
        )
        callbacks = self._by_complaint(
            Callback.objects.filter(complaint_id__in=ids).select_related("round", "by")
        )
        rounds = self._by_complaint(HandlingRound.objects.filter(complaint_id__in=ids))
        solutions = self._by_complaint(
            Solution.objects.filter(
                complaint_id__in=ids, status=SolutionStatus.APPROVED
            ).prefetch_related("actions")
        )
        owned = Q(uploaded_by__isnull=True)
        if self.user is not None:
            owned |= Q(uploaded_by=self.user)
        attachments = self._by_complaint(
            Attachment.objects.filter(complaint_id__in=ids)
            .filter(owned | Q(visible_to_customer=True))
            .order_by("uploaded_at", "pk")
        )
        return [
            {
                **self.record(c),
                "rounds": [self.round(r) for r in rounds[c.pk]],
                "timeline": [self.event(e) for e in events[c.pk]],
                "communications": [
                    {
                        "at": _iso(m.at),
                        "channel": m.channel,
                        "direction": m.direction,
                        "summary": m.summary,
                        "by": _role(m.by),
                    }
                    for m in comms[c.pk]
                ],
                "callbacks": [
                    {
                        "round": cb.round.number,
                        "at": _iso(cb.at),
                        "method": cb.method,
                        "reached": cb.reached,
                        "outcome_rating": cb.outcome_rating,
                        "process_rating": cb.process_rating,
                        "accepted": cb.accepted,
                        "notes": cb.notes,
                    }
                    for cb in callbacks[c.pk]
                ],
                "solutions": [self.solution(s) for s in solutions[c.pk]],
                "attachments": [self.attachment(c, a) for a in attachments[c.pk]],
            }
            for c in self.complaints
        ]

    def record(self, c: Complaint) -> dict[str, Any]:
        return {
            "number": c.number,
            "received_at": _iso(c.received_at),
            "channel": c.channel,
            "state": c.state,
            "state_label": str(State(c.state).label) if c.state in State.values else c.state,
            "category": self.names.category(c.policy_id, c.category),
            "level": self.names.level(c.policy_id, c.level)[0],
            "urgent": c.urgent,
            "title": c.title,
            "description": c.description,
            "demand": c.demand,
            "claimed_amount": _money(c.claimed_amount),
            "order_no": c.order_no,
            "waybill_no": c.waybill_no,
            "contract_no": c.contract_no,
            "goods": c.goods,
            "origin": c.origin,
            "destination": c.destination,
            "product": c.product,
            "batch_no": c.batch_no,
            "incident_at": _iso(c.incident_at),
            "incident_place": c.incident_place,
            "platform_case_no": c.platform_case_no,
            "department": c.department.name if c.department else None,
            "handler": str(c.handler) if c.handler else None,
            "reopen_count": c.reopen_count,
            "closed_at": _iso(c.closed_at),
            "close_reason": c.close_reason,
            "rejection_reason": c.rejection_reason,
            "rejection_recourse": c.rejection_recourse,
            "merged_into": c.merged_into.number if c.merged_into else None,
        }

    @staticmethod
    def round(r: HandlingRound) -> dict[str, Any]:
        return {
            "number": r.number,
            "started_at": _iso(r.started_at),
            "reason": r.reason,
            "resolved_at": _iso(r.resolved_at),
            "closed_at": _iso(r.closed_at),
            "outcome_rating": r.outcome_rating,
            "process_rating": r.process_rating,
            "satisfied": r.satisfied,
        }

    @staticmethod
    def event(e: Event) -> dict[str, Any]:
        data = e.data if isinstance(e.data, dict) else {}
        return {
            "at": _iso(e.at),
            "round": e.round_no,
            "kind": e.kind,
            "from_state": e.from_state,
            "to_state": e.to_state,
            "by": _role(e.actor),
            "data": {k: v for k, v in data.items() if k in CUSTOMER_EVENT_KEYS},
        }

    @staticmethod
    def solution(s: Solution) -> dict[str, Any]:
        return {
            "round": s.round_no,
            "summary": s.summary,
            "amount": _money(s.amount),
            "decided_at": _iso(s.decided_at),
            "actions": [
                {
                    "kind": a.kind,
                    "description": a.description,
                    "amount": _money(a.amount),
                    "done_at": _iso(a.done_at),
                }
                for a in s.actions.all()
            ],
        }

    def attachment(self, c: Complaint, a: Attachment) -> dict[str, Any]:
        path = f"attachments/{c.number}/{a.pk}-{_safe_name(a.name)}"
        self.files.append((path, a))
        by_customer = a.uploaded_by_id is None or a.uploaded_by_id == getattr(self.user, "pk", -1)
        return {
            "name": a.name,
            "content_type": a.content_type,
            "size": a.size,
            "sha256": a.sha256,
            "uploaded_at": _iso(a.uploaded_at),
            "uploaded_by_customer": by_customer,
            "file": path,
        }

    def messages(self) -> list[dict[str, Any]]:
        from kesu.outbox.models import OutboxMessage

        contacts = [v for v in (self.customer.phone, self.customer.email) if v]
        to_them = Q(complaint_id__in=self.ids, address__in=contacts) if contacts else Q()
        if self.user is not None:
            to_them |= Q(recipient=self.user)
        if not to_them:
            return []
        rows = (
            OutboxMessage.objects.filter(to_them)
            .select_related("complaint")
            .order_by("created_at", "pk")
        )
        return [
            {
                "complaint": m.complaint.number if m.complaint else None,
                "event": m.event,
                "channel": m.channel,
                "address": m.address,
                "status": m.status,
                "created_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
            }
            for m in rows
        ]

    def mails(self) -> list[dict[str, Any]]:
        from kesu.mailin.models import InboundMail

        theirs = Q(complaint_id__in=self.ids)
        if self.customer.email:  # and the mails from them that opened nothing
            theirs |= Q(complaint__isnull=True, from_address__iexact=self.customer.email)
        rows = InboundMail.objects.filter(theirs).select_related("complaint")
        return [
            {
                "complaint": m.complaint.number if m.complaint else None,
                "from": m.from_address,
                "from_name": m.from_name,
                "subject": m.subject,
                "sent_at": _iso(m.sent_at),
                "processed_at": _iso(m.processed_at),
                "outcome": m.outcome,
            }
            for m in rows.order_by("processed_at", "pk")
        ]


def _zip(document: dict[str, Any], files: list[tuple[str, Attachment]]) -> tuple[bytes, int]:
    """The zip and the number of files that made it in (a file missing from the storage is
    listed in the JSON but cannot be included)."""
    buffer = io.BytesIO()
    included = 0
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, att in files:
            try:
                with att.file.open("rb") as handle:
                    archive.writestr(path, handle.read())
                included += 1
            except (FileNotFoundError, OSError, ValueError):
                document_file_missing(document, path)
        text = json.dumps(document, ensure_ascii=False, indent=2, default=str)
        archive.writestr(JSON_NAME, text)
    return buffer.getvalue(), included


def document_file_missing(document: dict[str, Any], path: str) -> None:
    for complaint in document["complaints"]:
        for att in complaint["attachments"]:
            if att["file"] == path:
                att["file"] = None


def export_customer_data(
    customer: Customer, *, actor: User, via: str, now: datetime | None = None
) -> bytes:
    """The zip of everything kesu holds about ``customer``, logged as an export by ``actor``
    (``via``: a ``CustomerDataLog.Via``)."""
    require_data_requests(actor)
    export = _Export(customer)
    document = export.document()
    content, included = _zip(document, export.files)
    with transaction.atomic():
        CustomerDataLog.objects.create(
            customer=customer,
            kind=CustomerDataLog.Kind.EXPORT,
            via=via,
            actor=actor,
            at=now or timezone.now(),
            summary={
                "complaints": len(export.complaints),
                "files": included,
                "bytes": len(content),
            },
        )
    return content
