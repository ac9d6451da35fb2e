"""The lifecycle transitions (SPEC §3): one service function per action of the table in
``kesu.complaints.lifecycle``. Each runs in one transaction through ``complaint_change``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils.translation import gettext as _

from kesu.accounts.models import Department, Role, User
from kesu.complaints.access import Actor, callback_refused_to
from kesu.complaints.errors import GuardFailed, InvalidInput, PermissionDenied
from kesu.complaints.models import (
    Callback,
    CommunicationDirection,
    Complaint,
    ComplaintLink,
    EventKind,
    HandlingRound,
    LinkKind,
    Solution,
    SolutionAction,
    SolutionStatus,
    Task,
)
from kesu.complaints.services import deadlines
from kesu.complaints.services.case_fields import apply_root_cause, set_level
from kesu.complaints.services.change import Change, complaint_change
from kesu.complaints.services.inputs import (
    check_handler,
    clean_text,
    contact_channel,
    department_ref,
)
from kesu.complaints.services.notifications import managers_of, owners_of, users_with_role
from kesu.complaints.states import State

ROLE_ORDER = ("handler", "manager", "executive")


def _start_round(ch: Change, *, reason: str) -> HandlingRound:
    """A reopen (二次处理): a new round with its own milestones, callback and survey."""
    c = ch.complaint
    number = c.round_no + 1
    # The earlier round ends here (at the unsatisfied callback), or ended at closure.
    HandlingRound.objects.filter(complaint=c, number=c.round_no, closed_at__isnull=True).update(
        closed_at=ch.now
    )
    ch.set(round_no=number, reopen_count=c.reopen_count + 1, closed_at=None, close_reason="")
    rnd = HandlingRound.objects.create(complaint=c, number=number, started_at=ch.now, reason=reason)
    deadlines.cancel_running(c)
    deadlines.start_milestones(c, ch.policy, start="dispatched", at=ch.now)
    return rnd


def suggest_route(c: Complaint, policy) -> tuple[Department, User | None]:
    """Where a complaint goes by default: the account owner's department and the owner
    himself when the policy says 'whose customer, whose responsibility' (seed 004), else the
    category's department."""
    account = c.customer.account if c.customer.account_id else None
    owner = account.owner if account is not None and account.owner_id else None
    if (
        policy.route_to_account_owner
        and owner is not None
        and owner.is_active
        and owner.department_id
        and owner.role in (Role.HANDLER, Role.MANAGER)
    ):
        return owner.department, owner
    return department_ref(policy.category(c.category).department), None


# --- intake to handling --------------------------------------------------------------------


def complaint_dispatch(
    *,
    complaint: Complaint,
    actor: User,
    department: str | int | None = None,
    handler: User | None = None,
    level: str | None = None,
    urgent: bool | None = None,
    category: str | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Complaint:
    """Grade and dispatch (定级与任务分派): level, urgency, category, department, handler.
    Without a department, the policy's routing decides (category, or the account owner)."""
    with complaint_change(complaint, actor=actor, action="dispatch", now=now) as ch:
        c, policy = ch.complaint, ch.policy
        if category and category != c.category:
            if policy.category(category) is None:
                raise InvalidInput(errors={"category": _("Unknown category.")})
            ch.set(category=category)
        if department is None:
            dept, routed_handler = suggest_route(c, policy)
            handler = handler or routed_handler
        else:
            dept = department_ref(department)
        check_handler(handler, dept)
        ch.set(department=dept, handler=handler)
        set_level(ch, level, urgent)
        deadlines.meet(c, policy, ["dispatch"], at=ch.now)
        deadlines.start_milestones(c, policy, start="dispatched", at=ch.now)
        ch.move_to(
            State.ASSIGNED,
            data={
                "department": dept.code,
                "handler": handler.pk if handler else None,
                "level": c.level,
                "urgent": c.urgent,
                "category": c.category,
                "note": note,
            },
        )
        ch.notify("complaint.assigned", users=[handler] if handler else managers_of(c))
        ch.notify("complaint.progress", customer=True)
    return complaint


def complaint_accept(*, complaint: Complaint, actor: User, now: datetime | None = None):
    """The department takes the case on (调查处理中)."""
    with complaint_change(complaint, actor=actor, action="accept", now=now) as ch:
        c = ch.complaint
        if c.handler_id and c.handler_id != actor.pk and actor.role != Role.MANAGER:
            raise PermissionDenied(_("This complaint is assigned to a colleague."))
        if c.handler_id is None:
            ch.set(handler=actor)
        ch.move_to(State.INVESTIGATING, data={"handler": c.handler_id})
    return complaint


def complaint_request_info(
    *, complaint: Complaint, actor: User, message: str, now: datetime | None = None
):
    """Ask the customer for information or evidence; resolution clocks pause."""
    message = clean_text(message, "message")
    with complaint_change(complaint, actor=actor, action="request_info", now=now) as ch:
        c = ch.complaint
        ch.communication(
            channel="portal",
            direction=CommunicationDirection.OUTBOUND,
            summary=message,
        )
        deadlines.meet(c, ch.policy, ["ack", "contact"], at=ch.now)
        paused = deadlines.pause(c, at=ch.now)
        ch.move_to(State.AWAITING_CUSTOMER, data={"message": message, "paused": paused})
        ch.notify("info.requested", customer=True, context={"reason": message})
    return complaint


def complaint_provide_info(
    *,
    complaint: Complaint,
    actor: Actor,
    text: str,
    channel: str | None = None,
    now: datetime | None = None,
):
    """The customer's information arrived (entered by them or by staff, or by email);
    clocks resume. ``channel`` default: the portal for the customer, else the phone."""
    text = clean_text(text, "text")
    with complaint_change(complaint, actor=actor, action="provide_info", now=now) as ch:
        c = ch.complaint
        ch.communication(
            channel=channel or ("portal" if actor.role == Role.CUSTOMER else "phone"),
            direction=CommunicationDirection.INBOUND,
            summary=text,
        )
        ch.event(EventKind.CUSTOMER_INFO, data={"text": text}, visible_to_customer=True)
        deadlines.resume(c, ch.policy, at=ch.now)
        ch.move_to(State.INVESTIGATING)
        ch.notify("customer.info", users=owners_of(c))
    return complaint


# --- solution and approval -------------------------------------------------------------------


@dataclass
class ActionInput:
    kind: str
    description: str = ""
    owner: User | None = None
    due_at: datetime | None = None
    amount: Decimal = Decimal("0")


def may_approve(user: User, required_role: str) -> bool:
    if user.role not in ROLE_ORDER:
        return False
    return ROLE_ORDER.index(user.role) >= ROLE_ORDER.index(required_role)


def _communicate_solution(ch: Change, solution: Solution) -> None:
    c = ch.complaint
    deadlines.meet(c, ch.policy, ["ack", "contact", "solution"], at=ch.now)
    ch.move_to(State.RESOLVING, data={"solution": solution.pk})
    ch.notify(
        "solution.communicated",
        customer=True,
        context={"solution": solution.summary, "amount": solution.amount},
    )


def complaint_propose_solution(
    *,
    complaint: Complaint,
    actor: User,
    summary: str,
    actions: list[ActionInput],
    root_cause: str | None = None,
    root_cause_text: str | None = None,
    findings: str | None = None,
    amount: Decimal | None = None,
    now: datetime | None = None,
) -> Solution:
    """Propose the solution. Within the proposer's authority it is communicated at once;
    above it, it waits for approval (方案审批) by the tier the amount and level need."""
    summary = clean_text(summary, "summary")
    if not actions:
        raise InvalidInput(errors={"actions": _("A solution needs at least one action.")})
    total = amount if amount is not None else sum((a.amount for a in actions), Decimal("0"))
    if total < 0 or any(a.amount < 0 for a in actions):
        raise InvalidInput(errors={"amount": _("The amount cannot be negative.")})
    kinds = set(SolutionAction.Kind.values)
    if any(a.kind not in kinds for a in actions):
        raise InvalidInput(errors={"actions": _("Unknown kind of action.")})
    with complaint_change(complaint, actor=actor, action="propose_solution", now=now) as ch:
        c, policy = ch.complaint, ch.policy
        if root_cause is not None:
            apply_root_cause(ch, root_cause, root_cause_text, findings)
        if not c.root_cause:
            raise GuardFailed(_("Record the root cause before proposing a solution."))
        Solution.objects.filter(complaint=c, status=SolutionStatus.PENDING_APPROVAL).update(
            status=SolutionStatus.SUPERSEDED
        )
        required = policy.required_approval_role(total, c.level)
        approved = may_approve(actor, required)
        solution = Solution.objects.create(
            complaint=c,
            round_no=c.round_no,
            summary=summary,
            amount=total,
            proposed_by=actor,
            proposed_at=ch.now,
            required_role=required,
            status=SolutionStatus.APPROVED if approved else SolutionStatus.PENDING_APPROVAL,
            decided_by=actor if approved else None,
            decided_at=ch.now if approved else None,
        )
        SolutionAction.objects.bulk_create(
            [
                SolutionAction(
                    solution=solution,
                    kind=a.kind,
                    description=a.description,
                    owner=a.owner,
                    due_at=a.due_at,
                    amount=a.amount,
                )
                for a in actions
            ]
        )
        ch.event(
            EventKind.SOLUTION,
            data={
                "solution": solution.pk,
                "summary": summary,
                "amount": total,
                "required_role": required,
                "actions": [a.kind for a in actions],
            },
        )
        if approved:
            _communicate_solution(ch, solution)
        else:
            ch.move_to(State.PENDING_APPROVAL, data={"solution": solution.pk}, visible=False)
            approvers = (
                users_with_role(Role.EXECUTIVE) if required == "executive" else managers_of(c)
            )
            ch.notify("solution.approval_needed", users=approvers, context={"amount": total})
    return solution


def _pending_solution(c: Complaint) -> Solution:
    solution = (
        Solution.objects.filter(complaint=c, status=SolutionStatus.PENDING_APPROVAL)
        .order_by("-proposed_at")
        .first()
    )
    if solution is None:
        raise GuardFailed(_("There is no solution awaiting approval."))
    return solution


def complaint_approve_solution(
    *, complaint: Complaint, actor: User, reason: str = "", now: datetime | None = None
) -> Solution:
    with complaint_change(complaint, actor=actor, action="approve_solution", now=now) as ch:
        c = ch.complaint
        solution = _pending_solution(c)
        if not may_approve(actor, solution.required_role):
            raise PermissionDenied(
                _("This solution needs approval by: %(role)s.")
                % {"role": Role(solution.required_role).label}
            )
        solution.status = SolutionStatus.APPROVED
        solution.decided_by, solution.decided_at = actor, ch.now
        solution.decision_reason = reason.strip()
        solution.save()
        ch.event(
            EventKind.APPROVAL,
            data={"solution": solution.pk, "decision": "approved", "reason": reason},
        )
        _communicate_solution(ch, solution)
        ch.notify(
            "solution.decided",
            users=[solution.proposed_by],
            context={"reason": reason, "decision": "approved"},
        )
    return solution


def complaint_refuse_solution(
    *, complaint: Complaint, actor: User, reason: str, now: datetime | None = None
) -> Solution:
    reason = clean_text(reason, "reason")
    with complaint_change(complaint, actor=actor, action="refuse_solution", now=now) as ch:
        c = ch.complaint
        solution = _pending_solution(c)
        if not may_approve(actor, solution.required_role):
            raise PermissionDenied(
                _("This solution needs approval by: %(role)s.")
                % {"role": Role(solution.required_role).label}
            )
        solution.status = SolutionStatus.REJECTED
        solution.decided_by, solution.decided_at = actor, ch.now
        solution.decision_reason = reason
        solution.save()
        ch.event(
            EventKind.APPROVAL,
            data={"solution": solution.pk, "decision": "refused", "reason": reason},
        )
        ch.move_to(State.INVESTIGATING, visible=False)
        ch.notify(
            "solution.decided",
            users=[solution.proposed_by],
            context={"reason": reason, "decision": "refused"},
        )
    return solution


# --- resolution, review, callback ----------------------------------------------------------


def _enter_callback(ch: Change) -> None:
    c = ch.complaint
    deadlines.start_milestones(c, ch.policy, start="resolved", at=ch.now)
    ch.move_to(State.PENDING_CALLBACK)
    ch.notify("callback.survey", customer=True)


def complaint_report_resolved(
    *, complaint: Complaint, actor: User, summary: str = "", now: datetime | None = None
):
    """The handler reports the solution carried out. Required tasks must be done first."""
    with complaint_change(complaint, actor=actor, action="report_resolved", now=now) as ch:
        c = ch.complaint
        open_tasks = list(
            Task.objects.filter(complaint=c, required=True, status=Task.Status.OPEN).values_list(
                "title", flat=True
            )
        )
        if open_tasks:
            raise GuardFailed(
                _("Required tasks are still open: %(tasks)s") % {"tasks": "; ".join(open_tasks)}
            )
        HandlingRound.objects.filter(complaint=c, number=c.round_no).update(resolved_at=ch.now)
        deadlines.meet(c, ch.policy, [r.kind for r in ch.policy.channel_rules], at=ch.now)
        data = {"summary": summary.strip()}
        if ch.policy.review_step:
            ch.move_to(State.PENDING_REVIEW, data=data)
            ch.notify("review.needed", users=users_with_role(Role.AGENT)[:20])
        else:
            ch.event(EventKind.NOTE, data=data)
            _enter_callback(ch)
    return complaint


def complaint_pass_review(
    *, complaint: Complaint, actor: User, note: str = "", now: datetime | None = None
):
    """Customer service reviews the result: standards met, process complete, records present."""
    with complaint_change(complaint, actor=actor, action="pass_review", now=now) as ch:
        ch.event(EventKind.NOTE, data={"review": "passed", "note": note.strip()})
        _enter_callback(ch)
    return complaint


def complaint_return_for_rework(
    *, complaint: Complaint, actor: User, reason: str, now: datetime | None = None
):
    reason = clean_text(reason, "reason")
    with complaint_change(complaint, actor=actor, action="return_for_rework", now=now) as ch:
        c = ch.complaint
        HandlingRound.objects.filter(complaint=c, number=c.round_no).update(resolved_at=None)
        ch.move_to(State.RESOLVING, data={"review": "returned", "reason": reason}, visible=False)
        ch.notify("review.returned", users=owners_of(c), context={"reason": reason})
    return complaint


def _close(ch: Change, *, reason: str) -> None:
    c = ch.complaint
    deadlines.cancel_running(c)
    HandlingRound.objects.filter(complaint=c, number=c.round_no).update(closed_at=ch.now)
    ch.set(closed_at=ch.now, close_reason=reason, is_overdue=False)
    ch.move_to(State.CLOSED, data={"reason": reason})
    ch.notify("complaint.closed", customer=True)


def complaint_record_callback(
    *,
    complaint: Complaint,
    actor: User,
    reached: bool,
    method: str = "phone",
    outcome_rating: int | None = None,
    process_rating: int | None = None,
    accepted: bool | None = None,
    notes: str = "",
    now: datetime | None = None,
) -> Callback:
    """A callback attempt by someone other than the handler (回访, seed 001 非原处理人).

    Reached and accepted: closed. Reached and not accepted: a new handling round. Not
    reached: counted; after the policy's attempts the case closes as unreachable."""
    contact_channel(method, "method")
    if reached:
        errors = {}
        for name, value in (("outcome_rating", outcome_rating), ("process_rating", process_rating)):
            if value is None or not 1 <= int(value) <= 5:
                errors[name] = _("Give a rating from 1 to 5.")
        if accepted is None:
            errors["accepted"] = _("Say whether the customer accepts the outcome.")
        if errors:
            raise InvalidInput(errors=errors)
    with complaint_change(complaint, actor=actor, action="record_callback", now=now) as ch:
        return _callback(
            ch,
            reached=reached,
            method=method,
            outcome_rating=outcome_rating,
            process_rating=process_rating,
            accepted=accepted,
            notes=notes,
        )


def _callback(
    ch: Change,
    *,
    reached: bool,
    method: str,
    outcome_rating: int | None,
    process_rating: int | None,
    accepted: bool | None,
    notes: str,
) -> Callback:
    c, policy, actor = ch.complaint, ch.policy, ch.actor
    if actor is not None and callback_refused_to(actor, c):
        raise GuardFailed(_("The callback must be made by someone other than the handler."))
    rnd = HandlingRound.objects.get(complaint=c, number=c.round_no)
    cb = Callback.objects.create(
        complaint=c,
        round=rnd,
        by=ch.by,
        at=ch.now,
        method=method,
        reached=reached,
        outcome_rating=outcome_rating if reached else None,
        process_rating=process_rating if reached else None,
        accepted=accepted if reached else None,
        notes=notes.strip(),
    )
    data = {
        "callback": cb.pk,
        "reached": reached,
        "outcome_rating": outcome_rating,
        "process_rating": process_rating,
        "accepted": accepted,
    }
    ch.event(EventKind.CALLBACK, data=data)
    if reached:
        ch.communication(
            channel=method,
            direction=CommunicationDirection.OUTBOUND,
            summary=notes.strip() or _("Callback"),
        )
        rnd.outcome_rating, rnd.process_rating, rnd.satisfied = (
            outcome_rating,
            process_rating,
            accepted,
        )
        rnd.save(update_fields=["outcome_rating", "process_rating", "satisfied"])
        deadlines.meet(c, policy, ["callback"], at=ch.now)
        if accepted:
            _close(ch, reason="satisfied")
        else:
            _start_round(ch, reason=notes.strip() or _("Not satisfied at callback"))
            ch.move_to(State.INVESTIGATING, data={"reopened": True, "round": c.round_no})
            ch.notify("complaint.reopened", users=owners_of(c))
        return cb
    failed = Callback.objects.filter(complaint=c, round=rnd, reached=False).count()
    if failed >= policy.callback.max_attempts:
        deadlines.meet(c, policy, ["callback"], at=ch.now)
        _close(ch, reason="unreachable")
    return cb


def complaint_rate(
    *,
    complaint: Complaint,
    actor: Actor,
    outcome_rating: int,
    process_rating: int,
    accepted: bool,
    comment: str = "",
    now: datetime | None = None,
) -> Callback:
    """The customer answers the callback survey on the portal."""
    errors = {}
    for name, value in (("outcome_rating", outcome_rating), ("process_rating", process_rating)):
        if value is None or not 1 <= int(value) <= 5:
            errors[name] = _("Give a rating from 1 to 5.")
    if errors:
        raise InvalidInput(errors=errors)
    with complaint_change(complaint, actor=actor, action="rate", now=now) as ch:
        return _callback(
            ch,
            reached=True,
            method="portal",
            outcome_rating=outcome_rating,
            process_rating=process_rating,
            accepted=accepted,
            notes=comment,
        )


def reopen_deadline(complaint: Complaint) -> datetime | None:
    """Until when a closed complaint may be reopened (the policy's reopen window), if at all."""
    if complaint.state != State.CLOSED or complaint.closed_at is None:
        return None
    return complaint.closed_at + timedelta(days=complaint.policy.doc.reopen_window_days)


def complaint_reopen(
    *, complaint: Complaint, actor: Actor, reason: str, now: datetime | None = None
):
    """Secondary handling (二次处理) within the policy's reopen window after closure."""
    reason = clean_text(reason, "reason")
    with complaint_change(complaint, actor=actor, action="reopen", now=now) as ch:
        c = ch.complaint
        deadline = reopen_deadline(c)
        if deadline is None or ch.now > deadline:
            raise GuardFailed(
                _("The reopen window has passed: record a new complaint linked to this one.")
            )
        _start_round(ch, reason=reason)
        ch.move_to(State.INVESTIGATING, data={"reopened": True, "reason": reason})
        ch.notify("complaint.reopened", users=owners_of(c), context={"reason": reason})
    return complaint


def complaint_reject(
    *,
    complaint: Complaint,
    actor: User,
    reason: str,
    recourse: str = "",
    now: datetime | None = None,
):
    """Not a complaint for this company (不予受理): the customer is told why, with the
    recourse still open to them."""
    reason = clean_text(reason, "reason")
    with complaint_change(complaint, actor=actor, action="reject", now=now) as ch:
        c = ch.complaint
        recourse = recourse.strip() or ch.policy.rejection_recourse
        deadlines.meet(c, ch.policy, [r.kind for r in ch.policy.channel_rules], at=ch.now)
        deadlines.cancel_running(c)
        ch.set(rejection_reason=reason, rejection_recourse=recourse, is_overdue=False)
        ch.move_to(State.REJECTED, data={"reason": reason, "recourse": recourse})
        ch.notify(
            "complaint.rejected", customer=True, context={"reason": reason, "recourse": recourse}
        )
    return complaint


def complaint_merge(
    *, complaint: Complaint, actor: User, into: Complaint, now: datetime | None = None
):
    """Fold a duplicate into another complaint, which keeps both histories linked."""
    if into.pk == complaint.pk:
        raise InvalidInput(errors={"into": _("A complaint cannot be merged into itself.")})
    with complaint_change(complaint, actor=actor, action="merge", now=now) as ch:
        c = ch.complaint
        target = Complaint.objects.select_for_update().get(pk=into.pk)
        if target.state in State.terminal():
            raise GuardFailed(_("The complaint to merge into must be open."))
        deadlines.cancel_running(c)
        ch.set(merged_into=target, is_overdue=False)
        ComplaintLink.objects.get_or_create(
            source=c, target=target, kind=LinkKind.MERGED, defaults={"created_at": ch.now}
        )
        ch.move_to(State.MERGED, data={"into": target.number})
        ch.event(EventKind.LINKED, data={"merged_from": c.number}, complaint=target)
        ch.notify("complaint.merged", customer=True, context={"target_number": target.number})
    return complaint
