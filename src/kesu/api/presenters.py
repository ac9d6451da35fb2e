"""Turning a complaint into what one viewer may read (SPEC §1, §8).

Staff get the full record. A customer gets their own case without the internal parts: no
grading suggestion, findings, tasks, callbacks by staff, extension requests, internal
attachments, solutions that were not approved, or events not marked for the customer; staff
appear by role only, except the handler, who appears by display name.

Every function here reads a fixed number of queries, whatever the size of the case.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, prefetch_related_objects

from kesu.accounts.models import Role, User
from kesu.complaints.access import CUSTOMER_EVENT_KEYS, allowed_actions, sees_contact_details
from kesu.complaints.models import (
    Attachment,
    Callback,
    Communication,
    Complaint,
    ComplaintLink,
    DeadlineExtension,
    Event,
    EventKind,
    Meeting,
    Milestone,
    MilestoneStatus,
    Solution,
    SolutionAction,
    SolutionStatus,
    Task,
)
from kesu.complaints.privacy import ContactMask, mask_email, mask_phone
from kesu.complaints.states import State

DETAIL_PREFETCH = (
    "customer__account",
    "department",
    "handler",
    "received_by",
    "merged_into",
    "rounds",
    Prefetch("milestones", queryset=Milestone.objects.select_related("round")),
    Prefetch(
        "solutions",
        queryset=Solution.objects.select_related("proposed_by", "decided_by").prefetch_related(
            Prefetch("actions", queryset=SolutionAction.objects.select_related("owner"))
        ),
    ),
    Prefetch("tasks", queryset=Task.objects.select_related("department", "owner", "created_by")),
    Prefetch("callbacks", queryset=Callback.objects.select_related("round", "by")),
    Prefetch("attachments", queryset=Attachment.objects.select_related("uploaded_by")),
    Prefetch("links_out", queryset=ComplaintLink.objects.select_related("target")),
    Prefetch("links_in", queryset=ComplaintLink.objects.select_related("source")),
)


class Viewer:
    """Who is looking at a complaint, and so what they may read of it."""

    def __init__(self, user: User, complaint: Complaint) -> None:
        self.user = user
        self.complaint = complaint
        self.is_customer = user.role == Role.CUSTOMER

    def person(self, who: User | None) -> dict[str, Any] | None:
        if who is None:
            return None
        if not self.is_customer:
            return {"id": who.pk, "display_name": str(who), "role": who.role}
        if who.pk == self.user.pk or who.pk == self.complaint.handler_id:
            return {"id": None, "display_name": str(who), "role": who.role}
        return {"id": None, "display_name": str(Role(who.role).label), "role": who.role}


CENT = Decimal("0.01")


def money(amount: Decimal | None) -> Decimal | None:
    """Amounts as stored (two decimals), also for objects not re-read from the database."""
    return None if amount is None else Decimal(amount).quantize(CENT)


def department(dept: Any) -> dict[str, Any] | None:
    if dept is None:
        return None
    return {"code": dept.code, "name": dept.name, "name_en": dept.name_en}


def summary(c: Complaint, viewer_user: User) -> dict[str, Any]:
    """A list row: needs ``customer``, ``department`` and ``handler`` selected."""
    viewer = Viewer(viewer_user, c)
    return {
        "number": c.number,
        "title": c.title,
        "state": c.state,
        "state_label": str(State(c.state).label),
        "version": c.version,
        "channel": c.channel,
        "level": c.level,
        "urgent": c.urgent,
        "category": c.category,
        "customer_name": c.customer.name,
        "department": department(c.department),
        "handler": viewer.person(c.handler),
        "received_at": c.received_at,
        "next_due_at": c.next_due_at,
        "is_overdue": c.is_overdue,
        "is_repeat": c.is_repeat,
        "reopen_count": c.reopen_count,
        "round_no": c.round_no,
    }


def milestone(ms: Milestone) -> dict[str, Any]:
    return {
        "id": ms.pk,
        "round_no": ms.round.number,
        "kind": ms.kind,
        "name": ms.name,
        "clock": ms.clock,
        "status": ms.status,
        "started_at": ms.started_at,
        "due_at": ms.due_at,
        "original_due_at": ms.original_due_at,
        "extended": ms.is_extended,
        "met_at": ms.met_at,
        "met_on_time": ms.met_on_time,
        "breached_at": ms.breached_at,
        "paused": ms.status == MilestoneStatus.PAUSED,
    }


def solution_action(act: SolutionAction, viewer: Viewer) -> dict[str, Any]:
    return {
        "id": act.pk,
        "kind": act.kind,
        "description": act.description,
        "owner": None if viewer.is_customer else viewer.person(act.owner),
        "due_at": act.due_at,
        "amount": money(act.amount),
        "done_at": act.done_at,
    }


def solution(sol: Solution, viewer: Viewer) -> dict[str, Any]:
    return {
        "id": sol.pk,
        "round_no": sol.round_no,
        "summary": sol.summary,
        "amount": money(sol.amount),
        "status": sol.status,
        "required_role": None if viewer.is_customer else sol.required_role,
        "proposed_by": viewer.person(sol.proposed_by),
        "proposed_at": sol.proposed_at,
        "decided_by": viewer.person(sol.decided_by),
        "decided_at": sol.decided_at,
        "decision_reason": "" if viewer.is_customer else sol.decision_reason,
        "actions": [solution_action(a, viewer) for a in sol.actions.all()],
    }


def task(t: Task, viewer: Viewer) -> dict[str, Any]:
    return {
        "id": t.pk,
        "round_no": t.round_no,
        "department": t.department.code,
        "owner": viewer.person(t.owner),
        "title": t.title,
        "due_at": t.due_at,
        "required": t.required,
        "status": t.status,
        "result": t.result,
        "created_by": viewer.person(t.created_by),
        "created_at": t.created_at,
        "done_at": t.done_at,
    }


def callback(cb: Callback, viewer: Viewer) -> dict[str, Any]:
    return {
        "id": cb.pk,
        "round_no": cb.round.number,
        "by": viewer.person(cb.by),
        "at": cb.at,
        "method": cb.method,
        "reached": cb.reached,
        "outcome_rating": cb.outcome_rating,
        "process_rating": cb.process_rating,
        "accepted": cb.accepted,
        "notes": cb.notes,
    }


def extension(ext: DeadlineExtension, viewer: Viewer) -> dict[str, Any]:
    return {
        "id": ext.pk,
        "milestone": ext.milestone.kind,
        "status": ext.status,
        "hours": ext.seconds / 3600,
        "reason": ext.reason,
        "requested_by": viewer.person(ext.requested_by),
        "requested_at": ext.requested_at,
        "decided_by": viewer.person(ext.decided_by),
        "decided_at": ext.decided_at,
        "decision_reason": ext.decision_reason,
    }


def attachment(att: Attachment, viewer: Viewer) -> dict[str, Any]:
    return {
        "id": att.pk,
        "name": att.name,
        "content_type": att.content_type,
        "size": att.size,
        "sha256": att.sha256,
        "uploaded_by": viewer.person(att.uploaded_by),
        "uploaded_at": att.uploaded_at,
        "visible_to_customer": att.visible_to_customer,
    }


def communication(comm: Communication, viewer: Viewer) -> dict[str, Any]:
    return {
        "id": comm.pk,
        "round_no": comm.round_no,
        "channel": comm.channel,
        "direction": comm.direction,
        "summary": comm.summary,
        "by": viewer.person(comm.by),
        "at": comm.at,
    }


def meeting(m: Meeting, viewer: Viewer) -> dict[str, Any]:
    return {
        "id": m.pk,
        "held_at": m.held_at,
        "participants": m.participants,
        "decision": m.decision,
        "recorded_by": viewer.person(m.recorded_by),
    }


def event(ev: Event, viewer: Viewer) -> dict[str, Any]:
    data = ev.data if isinstance(ev.data, dict) else {}
    if viewer.is_customer:
        data = {k: v for k, v in data.items() if k in CUSTOMER_EVENT_KEYS}
    return {
        "id": ev.pk,
        "round_no": ev.round_no,
        "kind": ev.kind,
        "kind_label": str(EventKind(ev.kind).label) if ev.kind in EventKind.values else ev.kind,
        "action": ev.action,
        "from_state": ev.from_state,
        "to_state": ev.to_state,
        "actor": viewer.person(ev.actor),
        "at": ev.at,
        "data": data,
    }


def timeline(c: Complaint, user: User) -> list[dict[str, Any]]:
    viewer = Viewer(user, c)
    events = Event.objects.filter(complaint=c).select_related("actor").order_by("at", "id")
    if viewer.is_customer:
        events = events.filter(visible_to_customer=True)
    shown = [event(ev, viewer) for ev in events]
    if viewer.is_customer:
        _own_numbers_only(c, shown)
    return _masked_for(user, c, shown)


# Event data naming another complaint (a merge's two sides).
NUMBER_KEYS = ("into", "merged_from")


def _own_numbers_only(c: Complaint, shown: list[dict[str, Any]]) -> None:
    """A customer reads the numbers of their own complaints only, as ``links`` and
    ``merged_into`` show them: a complaint merged into another customer's does not name it."""

    def numbers(value: Any) -> list[str]:
        found = value if isinstance(value, list) else [value]
        return [n for n in found if isinstance(n, str)]

    named = {n for e in shown for k in NUMBER_KEYS for n in numbers(e["data"].get(k))}
    if not named:
        return
    own = set(
        Complaint.objects.filter(customer_id=c.customer_id, number__in=named).values_list(
            "number", flat=True
        )
    )
    for e in shown:  # the customer's copies: ``event`` filtered the data into new dicts
        for key in NUMBER_KEYS:
            if key not in e["data"]:
                continue
            kept = [n for n in numbers(e["data"][key]) if n in own]
            if not kept:
                del e["data"][key]
            elif isinstance(e["data"][key], list):
                e["data"][key] = kept


def _masked_for(user: User, c: Complaint, payload: Any) -> Any:
    """Free text (description, contact summaries, notes …) may quote the customer's phone or
    email: masked there too for a reader who sees them masked (docs/privacy.md)."""
    if sees_contact_details(user, c):
        return payload
    return ContactMask.of(c.customer).data(payload)


def links(c: Complaint, viewer: Viewer) -> list[dict[str, Any]]:
    """Repeat / same batch / merged / follow-up links; a customer sees only links between
    their own complaints (a repeat by order number may join another customer's case)."""
    pairs = [("out", ln.kind, ln.target) for ln in c.links_out.all()]
    pairs += [("in", ln.kind, ln.source) for ln in c.links_in.all()]
    return [
        {"kind": kind, "direction": direction, "number": other.number}
        for direction, kind, other in pairs
        if not viewer.is_customer or other.customer_id == c.customer_id
    ]


def detail(c: Complaint, user: User) -> dict[str, Any]:
    """The complaint as ``user`` may read it. ``c`` comes from ``complaint_for_user``."""
    prefetch_related_objects([c], *DETAIL_PREFETCH)
    viewer = Viewer(user, c)
    staff = not viewer.is_customer
    customer = c.customer
    clear = sees_contact_details(user, c)
    solutions = [s for s in c.solutions.all() if staff or s.status == SolutionStatus.APPROVED]
    extensions = (
        DeadlineExtension.objects.filter(milestone__complaint=c)
        .select_related("milestone", "requested_by", "decided_by")
        .order_by("requested_at", "id")
        if staff
        else []
    )
    grading = {
        "level": {"chosen": c.level, "suggested": c.suggested_level},
        "category": {"chosen": c.category, "suggested": c.suggested_category},
        "urgent": {"chosen": c.urgent, "suggested": c.suggested_urgent},
        "reasons": c.suggestion_reasons or [],
    }
    shown = {
        "number": c.number,
        "title": c.title,
        "description": c.description,
        "demand": c.demand,
        "state": c.state,
        "state_label": str(State(c.state).label),
        "version": c.version,
        "policy": f"{c.policy.name} v{c.policy.version}",
        "channel": c.channel,
        "platform_case_no": c.platform_case_no,
        "received_at": c.received_at,
        "recorded_at": c.recorded_at,
        "received_by": viewer.person(c.received_by) if staff else None,
        "level": c.level,
        "urgent": c.urgent,
        "category": c.category,
        "grading": grading if staff else None,
        "claimed_amount": money(c.claimed_amount),
        "order_no": c.order_no,
        "waybill_no": c.waybill_no,
        "contract_no": c.contract_no,
        "goods": c.goods,
        "origin": c.origin,
        "destination": c.destination,
        "product": c.product,
        "batch_no": c.batch_no,
        "incident_at": c.incident_at,
        "incident_place": c.incident_place,
        "customer": {
            "name": customer.name,
            "company": customer.company,
            "phone": customer.phone if clear else mask_phone(customer.phone),
            "email": customer.email if clear else mask_email(customer.email),
            "account": customer.account.code if customer.account else None,
            "key_customer": bool(customer.account and customer.account.is_key),
        },
        "department": department(c.department),
        "handler": viewer.person(c.handler),
        "findings": c.findings if staff else None,
        "root_cause": c.root_cause if staff else None,
        "root_cause_text": c.root_cause_text if staff else None,
        "round_no": c.round_no,
        "reopen_count": c.reopen_count,
        "is_repeat": c.is_repeat,
        "is_overdue": c.is_overdue,
        "breach_count": c.breach_count,
        "next_due_at": c.next_due_at,
        "closed_at": c.closed_at,
        "close_reason": c.close_reason,
        "rejection_reason": c.rejection_reason,
        "rejection_recourse": c.rejection_recourse,
        "merged_into": (
            c.merged_into.number
            if c.merged_into and (staff or c.merged_into.customer_id == c.customer_id)
            else None
        ),
        "milestones": [milestone(ms) for ms in c.milestones.all()],
        "rounds": [
            {
                "number": r.number,
                "started_at": r.started_at,
                "reason": r.reason,
                "resolved_at": r.resolved_at,
                "closed_at": r.closed_at,
                "outcome_rating": r.outcome_rating,
                "process_rating": r.process_rating,
                "satisfied": r.satisfied,
            }
            for r in c.rounds.all()
        ],
        "solutions": [solution(s, viewer) for s in solutions],
        "tasks": [task(t, viewer) for t in c.tasks.all()] if staff else [],
        "callbacks": [callback(cb, viewer) for cb in c.callbacks.all()] if staff else [],
        "extensions": [extension(e, viewer) for e in extensions],
        "attachments": [
            attachment(a, viewer) for a in c.attachments.all() if staff or a.visible_to_customer
        ],
        "links": links(c, viewer),
        "allowed_actions": allowed_actions(user, c),
    }
    return shown if clear else ContactMask.of(customer).data(shown)
