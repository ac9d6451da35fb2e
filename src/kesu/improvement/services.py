"""Improvement actions (纠正与预防措施): the only code that writes them.

One function per thing a person does: create, start, complete (with evidence), measure the
effect, confirm effective / not effective, cancel. Each runs in one transaction with the action
row locked, checks the declared table in ``access.TRANSITIONS`` (role and status), saves the
changed fields, appends a history row and queues its notifications in the same transaction.

Lifecycle: open → in_progress → done (evidence required) → [``check_after_days`` later the
effect is measured] → effective, or not_effective (closed as a failed measure; a follow-up
action with the same scope opens for the same owner). Open and in-progress actions may be
cancelled with a reason. See docs/improvement.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.accounts.models import STAFF_ROLES, Department, Role, User
from kesu.complaints.access import complaint_for_user
from kesu.complaints.errors import GuardFailed, InvalidInput
from kesu.complaints.models import Complaint
from kesu.complaints.services.inputs import clean_text
from kesu.complaints.services.records import checked_upload
from kesu.complaints.states import State
from kesu.improvement import access
from kesu.improvement.config import check_after_days, warn_ratio
from kesu.improvement.models import (
    ActionAttachment,
    ActionEvent,
    ActionKind,
    ActionSource,
    ActionStatus,
    AuditItem,
    ImprovementAction,
)
from kesu.improvement.notices import tell, users_with_role

# Complaints that were never complaints for the company, or duplicates: not counted.
NOT_COUNTED = (State.REJECTED, State.MERGED)
MAX_FILES = 5


@dataclass(frozen=True)
class EvidenceFile:
    name: str
    content: bytes
    content_type: str


def _event(
    action: ImprovementAction,
    kind: str,
    *,
    actor: User | None,
    at: datetime,
    from_status: str = "",
    data: dict[str, Any] | None = None,
) -> ActionEvent:
    return ActionEvent.objects.create(
        action=action,
        kind=kind,
        from_status=from_status,
        to_status=action.status,
        actor=actor,
        at=at,
        data=data or {},
    )


def _owner(owner: User | None) -> User:
    if owner is None or not owner.is_active or owner.role not in STAFF_ROLES:
        raise InvalidInput(errors={"owner": _("The owner must be an active staff member.")})
    return owner


def _month(value: date | None) -> date | None:
    return value.replace(day=1) if value is not None else None


def _check_days(days: int | None) -> int:
    if days is None:
        return check_after_days()
    if not 1 <= days <= 366:
        raise InvalidInput(errors={"check_after_days": _("Give a number of days from 1 to 366.")})
    return days


def _warn_at(start: datetime, due: datetime) -> datetime:
    return start + (due - start) * warn_ratio()


def _category_codes() -> set[str]:
    from kesu.policy.loader import active_policy

    return {c.code for c in active_policy().doc.categories}


def _root_cause_codes() -> set[str]:
    from kesu.policy.loader import active_policy

    return {r.code for r in active_policy().doc.root_causes}


def action_create(
    *,
    actor: User,
    title: str,
    description: str,
    kind: str,
    source: str,
    owner: User | None,
    due_at: datetime | None,
    complaints: Sequence[Complaint] = (),
    root_cause: str = "",
    category: str = "",
    scope_department: Department | None = None,
    department: Department | None = None,
    report_month: date | None = None,
    audit_item: AuditItem | None = None,
    finding: str = "",
    check_after_days: int | None = None,
    follow_up_of: ImprovementAction | None = None,
    now: datetime | None = None,
) -> ImprovementAction:
    """Open an action from a complaint, a root cause, a report finding or an audit finding.

    The source decides what is required: a complaint (the actor must be able to see it), a
    root-cause code of the policy, the report's month, or the audit item. Scope fields left
    empty are taken from the first complaint (its root cause, category and department)."""
    now = now or timezone.now()
    if follow_up_of is None:
        access.require_create(actor)
    errors: dict[str, str] = {}
    title = clean_text(title, "title")[:200]
    description = clean_text(description, "description")
    finding = (finding or "").strip()
    if kind not in ActionKind.values:
        errors["kind"] = _("Choose corrective or preventive.")
    if source not in ActionSource.values:
        errors["source"] = _("Unknown source.")
    if category and follow_up_of is None and category not in _category_codes():
        errors["category"] = _("Unknown category.")  # as given; one taken over may be older
    if due_at is None:
        errors["due_at"] = _("This field is required.")
    elif due_at <= now:
        errors["due_at"] = _("The due time must be in the future.")
    linked = list(complaints)
    if audit_item is not None and audit_item.complaint not in linked:
        linked.insert(0, audit_item.complaint)
    if source == ActionSource.COMPLAINT and not linked:
        errors["complaints"] = _("Name the complaint the action comes from.")
    if source == ActionSource.REPORT and report_month is None:
        errors["report_month"] = _("Give the month of the report.")
    if source == ActionSource.AUDIT and audit_item is None:
        errors["audit_item"] = _("Name the audit finding the action comes from.")
    if linked:
        first = linked[0]
        root_cause = root_cause or first.root_cause
        category = category or first.category
        if scope_department is None and first.department_id:
            scope_department = first.department
    if source == ActionSource.ROOT_CAUSE and not root_cause:
        errors["root_cause"] = _("Choose the root cause.")
    if root_cause and root_cause not in _root_cause_codes():
        errors["root_cause"] = _("Unknown root cause.")
    if errors:
        raise InvalidInput(errors=errors)
    owner = _owner(owner)
    days = _check_days(check_after_days)
    if follow_up_of is None:
        # Complaints the actor may not see are "not found", never linked.
        linked = [complaint_for_user(actor, pk=c.pk) for c in linked]
    with transaction.atomic():
        action = ImprovementAction.objects.create(
            title=title,
            description=description,
            finding=finding,
            kind=kind,
            source=source,
            report_month=_month(report_month),
            audit_item=audit_item,
            follow_up_of=follow_up_of,
            root_cause=root_cause,
            category=category,
            scope_department=scope_department,
            owner=owner,
            department=department or owner.department,
            due_at=due_at,
            warn_at=_warn_at(now, due_at),
            check_after_days=days,
            created_by=actor,
            created_at=now,
        )
        if linked:
            action.complaints.set(linked)
        _event(
            action,
            "created",
            actor=actor,
            at=now,
            data={
                "source": source,
                "owner": owner.pk,
                "due_at": due_at.isoformat(),
                "complaints": [c.number for c in linked],
                **({"follow_up_of": follow_up_of.pk} if follow_up_of else {}),
            },
        )
        tell("improvement.assigned", action, [owner], dedupe_key=f"capa-assigned-{action.pk}")
    return action


@contextmanager
def _changing(
    action: ImprovementAction, actor: User, name: str, now: datetime
) -> Iterator[ImprovementAction]:
    """Lock the row, check the table on the stored row, hand it over; the caller saves."""
    with transaction.atomic():
        locked = (
            ImprovementAction.objects.select_for_update(of=("self",))
            .select_related("owner", "department")
            .get(pk=action.pk)
        )
        access.require_transition(actor, name, locked)
        yield locked
    # The caller's copy reflects what was saved.
    action.refresh_from_db()


def action_start(
    *, action: ImprovementAction, actor: User, note: str = "", now: datetime | None = None
) -> ImprovementAction:
    now = now or timezone.now()
    with _changing(action, actor, "start", now) as row:
        before = row.status
        row.status = ActionStatus.IN_PROGRESS
        row.started_at = now
        row.save(update_fields=["status", "started_at", "updated_at"])
        _event(row, "started", actor=actor, at=now, from_status=before, data={"note": note.strip()})
    return action


def _check_files(files: Sequence[EvidenceFile]) -> None:
    if len(files) > MAX_FILES:
        raise InvalidInput(errors={"files": _("Attach at most %(n)s files.") % {"n": MAX_FILES}})
    for f in files:
        checked_upload(f.name, f.content, f.content_type, field="files")


def action_complete(
    *,
    action: ImprovementAction,
    actor: User,
    evidence: str,
    files: Sequence[EvidenceFile] = (),
    now: datetime | None = None,
) -> ImprovementAction:
    """The owner reports the action done, with evidence (text, and files as complaint
    attachments are checked). The effectiveness check falls due ``check_after_days`` later."""
    now = now or timezone.now()
    evidence = clean_text(evidence, "evidence")
    _check_files(files)
    with _changing(action, actor, "complete", now) as row:
        before = row.status
        row.status = ActionStatus.DONE
        row.evidence = evidence
        row.done_at = now
        row.check_due_at = now + timedelta(days=row.check_after_days)
        row.save(update_fields=["status", "evidence", "done_at", "check_due_at", "updated_at"])
        names = []
        for f in files:
            checked = checked_upload(f.name, f.content, f.content_type, field="files")
            att = ActionAttachment(
                action=row,
                name=checked.name,
                content_type=checked.content_type,
                size=len(f.content),
                sha256=hashlib.sha256(f.content).hexdigest(),
                uploaded_by=actor,
                uploaded_at=now,
            )
            att.file.save(att.name, ContentFile(f.content), save=False)
            att.save()
            names.append(att.name)
        _event(
            row,
            "completed",
            actor=actor,
            at=now,
            from_status=before,
            data={
                "evidence": evidence,
                "files": names,
                "check_due_at": row.check_due_at.isoformat(),
            },
        )
    return action


# ---- the effectiveness check ----------------------------------------------------------------


def complaints_in_scope(action: ImprovementAction, start: datetime, end: datetime) -> int:
    """Complaints received in [start, end) of the action's root cause, category and
    department (those set), rejected and merged ones left out: one COUNT in the database."""
    qs = Complaint.objects.filter(received_at__gte=start, received_at__lt=end).exclude(
        state__in=NOT_COUNTED
    )
    if action.root_cause:
        qs = qs.filter(root_cause=action.root_cause)
    if action.category:
        qs = qs.filter(category=action.category)
    if action.scope_department_id:
        qs = qs.filter(department=action.scope_department_id)
    return qs.count()


def store_figures(row: ImprovementAction, now: datetime) -> dict[str, Any]:
    """Store the before/after figures on the (locked) row: the N days before the action was
    opened against the N days after it was done, N = ``check_after_days``."""
    window = timedelta(days=row.check_after_days)
    row.before_from, row.before_to = row.created_at - window, row.created_at
    row.after_from, row.after_to = row.done_at, row.done_at + window
    row.before_count = complaints_in_scope(row, row.before_from, row.before_to)
    row.after_count = complaints_in_scope(row, row.after_from, row.after_to)
    row.measured_at = now
    row.save(
        update_fields=[
            "before_from",
            "before_to",
            "before_count",
            "after_from",
            "after_to",
            "after_count",
            "measured_at",
            "updated_at",
        ]
    )
    return {"before": row.before_count, "after": row.after_count}


def _require_check_due(row: ImprovementAction, now: datetime) -> None:
    if row.check_due_at is None or now < row.check_due_at:
        due = timezone.localtime(row.check_due_at).strftime("%Y-%m-%d %H:%M")
        raise GuardFailed(
            _("The effectiveness check is due on %(date)s: the window after is not over yet.")
            % {"date": due}
        )


def action_measure(
    *, action: ImprovementAction, actor: User, now: datetime | None = None
) -> ImprovementAction:
    """Quality counts the complaints in scope before and after (again) once the check is due;
    the sweep does it by itself when the check falls due (``sweep._checks``)."""
    now = now or timezone.now()
    with _changing(action, actor, "measure", now) as row:
        _require_check_due(row, now)
        _event(row, "measured", actor=actor, at=now, data=store_figures(row, now))
    return action


def action_confirm(
    *,
    action: ImprovementAction,
    actor: User,
    effective: bool,
    note: str,
    follow_up_due_at: datetime | None = None,
    now: datetime | None = None,
) -> ImprovementAction:
    """Quality's verdict on a done action whose check is due. Not effective: the action closes
    as not effective and a follow-up action with the same scope and owner opens (due
    ``follow_up_due_at``, by default as long from now as the first one had). Returns the
    action; its follow-up is ``action.follow_ups.get()``."""
    now = now or timezone.now()
    note = clean_text(note, "note")
    with _changing(action, actor, "confirm", now) as row:
        _require_check_due(row, now)
        if row.measured_at is None:
            store_figures(row, now)
        before = row.status
        row.status = ActionStatus.EFFECTIVE if effective else ActionStatus.NOT_EFFECTIVE
        row.verdict_by, row.verdict_at, row.verdict_note = actor, now, note
        row.save(update_fields=["status", "verdict_by", "verdict_at", "verdict_note", "updated_at"])
        _event(
            row,
            "confirmed",
            actor=actor,
            at=now,
            from_status=before,
            data={
                "effective": effective,
                "note": note,
                "before": row.before_count,
                "after": row.after_count,
            },
        )
        if not effective:
            span = row.due_at - row.created_at
            follow = action_create(
                actor=actor,
                title=_("Follow-up: %(title)s") % {"title": row.title},
                description=row.description,
                finding=_("%(code)s was not effective: %(note)s")
                % {"code": row.code, "note": note},
                kind=row.kind,
                source=row.source,
                owner=row.owner if row.owner.is_active else actor,
                due_at=follow_up_due_at or now + span,
                complaints=list(row.complaints.all()),
                root_cause=row.root_cause,
                category=row.category,
                scope_department=row.scope_department,
                department=row.department,
                report_month=row.report_month,
                audit_item=row.audit_item,
                check_after_days=row.check_after_days,
                follow_up_of=row,
                now=now,
            )
            _event(row, "follow_up", actor=actor, at=now, data={"follow_up": follow.pk})
    return action


def action_cancel(
    *, action: ImprovementAction, actor: User, reason: str, now: datetime | None = None
) -> ImprovementAction:
    now = now or timezone.now()
    reason = clean_text(reason, "reason")
    with _changing(action, actor, "cancel", now) as row:
        before = row.status
        row.status = ActionStatus.CANCELLED
        row.cancel_reason, row.cancelled_at = reason, now
        row.save(update_fields=["status", "cancel_reason", "cancelled_at", "updated_at"])
        _event(row, "cancelled", actor=actor, at=now, from_status=before, data={"reason": reason})
    return action


def quality_users() -> list[User]:
    return users_with_role(Role.QUALITY)


def owners_managers(action: ImprovementAction) -> list[User]:
    """The managers of the owner's department (and of the action's, if another one)."""
    depts: Iterable[int] = {d for d in (action.owner.department_id, action.department_id) if d}
    return list(User.objects.filter(role=Role.MANAGER, department__in=depts, is_active=True))
