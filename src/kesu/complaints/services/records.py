"""Work on a complaint that does not move it along: acknowledgment, notes, contacts,
attachments, reassignment, level changes, root cause, tasks, meetings, deadline extensions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.accounts.models import Role, User
from kesu.complaints import filetypes
from kesu.complaints.access import Actor
from kesu.complaints.errors import GuardFailed, InvalidInput, PermissionDenied
from kesu.complaints.lifecycle import IN_HANDLING
from kesu.complaints.models import (
    Attachment,
    Communication,
    CommunicationDirection,
    Complaint,
    DeadlineExtension,
    EventKind,
    Meeting,
    Milestone,
    MilestoneStatus,
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
from kesu.complaints.services.notifications import managers_of, owners_of
from kesu.complaints.states import State

# What staff may attach, as found from the content (kesu.complaints.filetypes).
ALLOWED_UPLOAD_TYPES = frozenset(
    {
        filetypes.JPEG,
        filetypes.PNG,
        filetypes.GIF,
        filetypes.WEBP,
        filetypes.PDF,
        filetypes.TEXT,
        filetypes.DOCX,
        filetypes.XLSX,
        filetypes.DOC,
        filetypes.XLS,
        filetypes.MP3,
        filetypes.WAV,
    }
)


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _meet_contact_kinds(ch: Change, *, direction: str) -> list[str]:
    """An outbound contact acknowledges the complaint, and once dispatched it is the
    handler's first contact."""
    if direction != CommunicationDirection.OUTBOUND:
        return []
    kinds = ["ack"]
    if ch.complaint.state in IN_HANDLING:
        kinds.append("contact")
    return deadlines.meet(ch.complaint, ch.policy, kinds, at=ch.now)


def complaint_acknowledge(
    *,
    complaint: Complaint,
    actor: User,
    channel: str = "phone",
    summary: str = "",
    now: datetime | None = None,
) -> Communication:
    """Tell the customer the complaint is accepted (告知客户投诉已被受理)."""
    contact_channel(channel)
    with complaint_change(complaint, actor=actor, action="acknowledge", now=now) as ch:
        c = ch.complaint
        comm = ch.communication(
            channel=channel,
            direction=CommunicationDirection.OUTBOUND,
            summary=summary.strip() or _("Complaint acknowledged to the customer."),
        )
        met = deadlines.meet(c, ch.policy, ["ack"], at=ch.now)
        ch.event(
            EventKind.ACKNOWLEDGED,
            data={"channel": channel, "met": met},
            visible_to_customer=True,
        )
    return comm


def reply_templates() -> frozenset[str]:
    """The written replies a logged contact may say it was made from: the outbox's message
    templates, by event name."""
    from kesu.outbox.default_templates import DEFAULT_TEMPLATES

    return frozenset(event for event, _language in DEFAULT_TEMPLATES)


def complaint_log_communication(
    *,
    complaint: Complaint,
    actor: User,
    channel: str,
    direction: str,
    summary: str,
    template: str = "",
    at: datetime | None = None,
    now: datetime | None = None,
) -> Communication:
    summary = clean_text(summary, "summary")
    contact_channel(channel)
    if direction not in CommunicationDirection.values:
        raise InvalidInput(errors={"direction": _("Direction must be 'in' or 'out'.")})
    if template and template not in reply_templates():
        raise InvalidInput(errors={"template": _("Unknown standard reply.")})
    with complaint_change(complaint, actor=actor, action="log_communication", now=now) as ch:
        when = at or ch.now
        if when > ch.now:
            raise InvalidInput(errors={"at": _("The time cannot be in the future.")})
        comm = ch.communication(
            channel=channel,
            direction=direction,
            summary=summary,
            template=template,
            at=when,
        )
        ch.now = when  # a contact logged afterwards meets deadlines at the time it happened
        met = _meet_contact_kinds(ch, direction=direction)
        ch.event(
            EventKind.COMMUNICATION,
            data={
                "communication": comm.pk,
                "channel": channel,
                "direction": direction,
                "summary": summary,
                "met": met,
            },
        )
    return comm


def complaint_add_note(
    *, complaint: Complaint, actor: User, text: str, now: datetime | None = None
):
    text = clean_text(text, "text")
    with complaint_change(complaint, actor=actor, action="add_note", now=now) as ch:
        return ch.event(EventKind.NOTE, data={"text": text})


def complaint_add_info(
    *,
    complaint: Complaint,
    actor: Actor,
    text: str,
    channel: str = "portal",
    now: datetime | None = None,
):
    """The customer adds information (on the portal, or by email) while the case is open."""
    text = clean_text(text, "text")
    with complaint_change(complaint, actor=actor, action="add_info", now=now) as ch:
        c = ch.complaint
        ch.communication(
            channel=channel,
            direction=CommunicationDirection.INBOUND,
            summary=text,
        )
        event = ch.event(EventKind.CUSTOMER_INFO, data={"text": text}, visible_to_customer=True)
        ch.notify("customer.info", users=owners_of(c))
        return event


@dataclass(frozen=True)
class CheckedUpload:
    name: str  # safe to show and to store
    content_type: str  # as found from the content, the one stored and served


def checked_upload(
    name: str, content: bytes, content_type: str, *, field: str = "file"
) -> CheckedUpload:
    """Staff uploads' rules (size, accepted types by content), for complaint attachments and
    improvement evidence alike: refuses a bad file under ``field``. A file whose content is
    not the type it claims, or that claims a type not accepted (an ``.exe``, an HTML page), is
    refused; a client that claims nothing particular (``application/octet-stream``) gets the
    type found."""
    if not content:
        raise InvalidInput(errors={field: _("The file is empty.")})
    if len(content) > settings.KESU_MAX_UPLOAD_BYTES:
        raise InvalidInput(errors={field: _("The file is too large.")})
    claimed = (content_type or "").split(";")[0].strip().lower()
    found = filetypes.sniff(content, claimed)
    if found not in ALLOWED_UPLOAD_TYPES or not (
        claimed in ALLOWED_UPLOAD_TYPES or claimed in filetypes.UNSPECIFIED
    ):
        raise InvalidInput(errors={field: _("This type of file is not accepted.")})
    if claimed in ALLOWED_UPLOAD_TYPES and claimed.split("/")[0] != found.split("/")[0]:
        raise InvalidInput(errors={field: _("The content of the file does not match its type.")})
    return CheckedUpload(name=filetypes.safe_name(name) or "file", content_type=found)


def complaint_add_attachment(
    *,
    complaint: Complaint,
    actor: Actor,
    name: str,
    content: bytes,
    content_type: str,
    visible_to_customer: bool = True,
    now: datetime | None = None,
) -> Attachment:
    checked = checked_upload(name, content, content_type)
    with complaint_change(complaint, actor=actor, action="add_attachment", now=now) as ch:
        c = ch.complaint
        att = Attachment(
            complaint=c,
            name=checked.name,
            content_type=checked.content_type,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            uploaded_by=ch.by,
            uploaded_at=ch.now,
            visible_to_customer=visible_to_customer or actor.role == Role.CUSTOMER,
        )
        att.file.save(checked.name, ContentFile(content), save=False)
        att.save()
        ch.event(
            EventKind.ATTACHMENT,
            data={"attachment": att.pk, "name": checked.name, "size": len(content)},
            visible_to_customer=att.visible_to_customer,
        )
    return att


def complaint_reassign(
    *,
    complaint: Complaint,
    actor: User,
    department: str | int | None = None,
    handler: User | None = None,
    reason: str = "",
    now: datetime | None = None,
):
    """Move the case to another handler or department. A new department must accept it."""
    if department is None and handler is None:
        raise InvalidInput(errors={"handler": _("Choose a department or a handler.")})
    with complaint_change(complaint, actor=actor, action="reassign", now=now) as ch:
        c = ch.complaint
        dept = department_ref(department) if department is not None else c.department
        if actor.role == Role.MANAGER and dept.pk != actor.department_id and handler is not None:
            raise PermissionDenied(_("A manager assigns handlers of their own department only."))
        check_handler(handler, dept)
        before = {
            "department": c.department.code if c.department else None,
            "handler": c.handler_id,
        }
        moved_department = dept.pk != c.department_id
        ch.set(department=dept, handler=handler)
        ch.event(
            EventKind.ASSIGNMENT,
            data={
                "from": before,
                "to": {"department": dept.code, "handler": handler.pk if handler else None},
                "reason": reason.strip(),
            },
        )
        if moved_department and c.state == State.INVESTIGATING:
            ch.move_to(State.ASSIGNED, data={"reassigned": True}, visible=False)
        ch.notify(
            "complaint.reassigned",
            users=[handler] if handler else managers_of(c),
            context={"reason": reason},
        )
    return complaint


def complaint_change_level(
    *,
    complaint: Complaint,
    actor: User,
    level: str,
    urgent: bool | None = None,
    reason: str = "",
    now: datetime | None = None,
):
    """Raise or lower the level: open milestones are recomputed (SPEC §4)."""
    reason = clean_text(reason, "reason")
    with complaint_change(complaint, actor=actor, action="change_level", now=now) as ch:
        before = set_level(ch, level, urgent, reason)
        if before is None:
            raise GuardFailed(_("The level is unchanged."))
    return complaint


def complaint_set_root_cause(
    *,
    complaint: Complaint,
    actor: User,
    root_cause: str,
    root_cause_text: str = "",
    findings: str = "",
    now: datetime | None = None,
):
    with complaint_change(complaint, actor=actor, action="set_root_cause", now=now) as ch:
        apply_root_cause(ch, root_cause, root_cause_text, findings)
    return complaint


def complaint_add_task(
    *,
    complaint: Complaint,
    actor: User,
    department: str | int,
    title: str,
    owner: User | None = None,
    due_at: datetime | None = None,
    required: bool = True,
    now: datetime | None = None,
) -> Task:
    """Work for another department (e.g. logistics checks tracking, finance pays)."""
    title = clean_text(title, "title")
    dept = department_ref(department)
    if owner is not None and owner.department_id != dept.pk:
        raise InvalidInput(errors={"owner": _("The owner must work in that department.")})
    with complaint_change(complaint, actor=actor, action="add_task", now=now) as ch:
        c = ch.complaint
        task = Task.objects.create(
            complaint=c,
            round_no=c.round_no,
            department=dept,
            owner=owner,
            title=title,
            due_at=due_at,
            required=required,
            created_by=actor,
            created_at=ch.now,
        )
        ch.event(
            EventKind.TASK,
            data={"task": task.pk, "title": title, "department": dept.code, "created": True},
        )
        recipients = (
            [owner]
            if owner
            else [*(u for u in dept.members.filter(role=Role.MANAGER, is_active=True))]
        )
        ch.notify("task.assigned", users=recipients, context={"task": title})
    return task


def complaint_complete_task(
    *,
    complaint: Complaint,
    actor: User,
    task: Task,
    result: str,
    now: datetime | None = None,
) -> Task:
    result = clean_text(result, "result")
    if task.complaint_id != complaint.pk:
        raise InvalidInput(errors={"task": _("Unknown task.")})
    with complaint_change(complaint, actor=actor, action="complete_task", now=now) as ch:
        task = Task.objects.select_for_update().get(pk=task.pk)
        if task.status != Task.Status.OPEN:
            raise GuardFailed(_("This task is already closed."))
        if actor.role in (Role.HANDLER, Role.MANAGER) and (
            actor.department_id != task.department_id
            and actor.department_id != ch.complaint.department_id
        ):
            raise PermissionDenied(_("This task belongs to another department."))
        task.status, task.result, task.done_at = Task.Status.DONE, result, ch.now
        task.save()
        ch.event(
            EventKind.TASK,
            data={"task": task.pk, "title": task.title, "done": True, "result": result},
        )
    return task


def complaint_complete_action(
    *, complaint: Complaint, actor: User, action_id: int, now: datetime | None = None
) -> SolutionAction:
    with complaint_change(complaint, actor=actor, action="complete_action", now=now) as ch:
        act = (
            SolutionAction.objects.select_for_update()
            .filter(
                pk=action_id,
                solution__complaint=ch.complaint,
                solution__status=SolutionStatus.APPROVED,
            )
            .first()
        )
        if act is None:
            raise InvalidInput(errors={"action": _("Unknown action.")})
        if act.done_at is not None:
            raise GuardFailed(_("This action is already done."))
        act.done_at = ch.now
        act.save(update_fields=["done_at"])
        ch.event(EventKind.SOLUTION, data={"action": act.pk, "kind": act.kind, "done": True})
    return act


def complaint_record_meeting(
    *,
    complaint: Complaint,
    actor: User,
    held_at: datetime,
    participants: str,
    decision: str,
    now: datetime | None = None,
) -> Meeting:
    participants = clean_text(participants, "participants")
    decision = clean_text(decision, "decision")
    with complaint_change(complaint, actor=actor, action="record_meeting", now=now) as ch:
        if held_at > ch.now:
            raise InvalidInput(errors={"held_at": _("The meeting cannot be in the future.")})
        meeting = Meeting.objects.create(
            complaint=ch.complaint,
            held_at=held_at,
            participants=participants,
            decision=decision,
            recorded_by=actor,
        )
        ch.event(EventKind.MEETING, data={"meeting": meeting.pk, "decision": decision})
    return meeting


def _current_milestone(c: Complaint, kind: str) -> Milestone:
    ms = Milestone.objects.filter(
        complaint=c,
        round__number=c.round_no,
        kind=kind,
        status__in=(MilestoneStatus.OPEN, MilestoneStatus.PAUSED),
    ).first()
    if ms is None:
        raise InvalidInput(errors={"milestone": _("No running deadline of this kind.")})
    return ms


def complaint_request_extension(
    *,
    complaint: Complaint,
    actor: User,
    milestone: str,
    hours: float,
    reason: str,
    now: datetime | None = None,
) -> DeadlineExtension:
    """Ask for more time on a running deadline, before it is breached."""
    reason = clean_text(reason, "reason")
    if not 0 < hours <= 24 * 90:
        raise InvalidInput(errors={"hours": _("Ask for between a minute and 90 days.")})
    with complaint_change(complaint, actor=actor, action="request_extension", now=now) as ch:
        c = ch.complaint
        ms = _current_milestone(c, milestone)
        if ms.breached_at is not None or (ms.due_at and ms.due_at <= ch.now):
            raise GuardFailed(_("This deadline has already passed."))
        if ms.extensions.filter(status=DeadlineExtension.Status.REQUESTED).exists():
            raise GuardFailed(_("An extension of this deadline is already waiting."))
        ext = DeadlineExtension.objects.create(
            milestone=ms,
            requested_by=actor,
            requested_at=ch.now,
            seconds=int(hours * 3600),
            reason=reason,
        )
        ch.event(
            EventKind.EXTENSION,
            data={
                "extension": ext.pk,
                "milestone": ms.kind,
                "hours": hours,
                "reason": reason,
                "status": "requested",
            },
        )
        ch.notify(
            "extension.requested",
            users=managers_of(c),
            context={
                "milestone": ms.name,
                "reason": reason,
                "new_deadline": _local(deadlines.preview_extended_due(ms, ch.policy, ext.seconds)),
            },
        )
    return ext


def complaint_decide_extension(
    *,
    complaint: Complaint,
    actor: User,
    extension: DeadlineExtension,
    approve: bool,
    reason: str = "",
    now: datetime | None = None,
) -> DeadlineExtension:
    """The manager approves or refuses; the original and extended due times are both kept."""
    with complaint_change(complaint, actor=actor, action="decide_extension", now=now) as ch:
        ext = (
            DeadlineExtension.objects.select_for_update()
            .select_related("milestone")
            .filter(pk=extension.pk, milestone__complaint=ch.complaint)
            .first()
        )
        if ext is None:
            raise InvalidInput(errors={"extension": _("Unknown extension request.")})
        if ext.status != DeadlineExtension.Status.REQUESTED:
            raise GuardFailed(_("This request was already decided."))
        if ext.requested_by_id == actor.pk:
            raise GuardFailed(_("Nobody approves their own extension."))
        ext.status = (
            DeadlineExtension.Status.APPROVED if approve else DeadlineExtension.Status.REFUSED
        )
        ext.decided_by, ext.decided_at, ext.decision_reason = actor, ch.now, reason.strip()
        ext.save()
        ms = ext.milestone
        before = ms.due_at
        if approve:
            deadlines.extend(ms, ch.policy, seconds=ext.seconds)
        ch.event(
            EventKind.EXTENSION,
            data={
                "extension": ext.pk,
                "milestone": ms.kind,
                "status": ext.status,
                "from": before,
                "to": ms.due_at,
                "original_due": ms.original_due_at,
            },
        )
        ch.notify(
            "extension.decided",
            users=[ext.requested_by],
            context={
                "milestone": ms.name,
                "reason": reason,
                "decision": "approved" if approve else "refused",  # worded per recipient
                "new_deadline": _local(ms.due_at),
            },
        )
    return ext
