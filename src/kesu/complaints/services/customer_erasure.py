"""The erasure of a customer's identity on their request (PIPL art. 47, GDPR art. 17).

The person goes; their complaints stay as anonymous records, so every figure of the past
(counts, timeliness, satisfaction, repeat and reopen rates) stays what it was. One transaction:

- the customer record: name → :data:`~kesu.complaints.privacy.ERASED_NAME`, company, phone
  and email emptied, ``erased_at`` set (repeat detection by phone cannot find them again);
- their portal account: anonymised and deactivated, its API tokens and sign-in records
  deleted (the timeline names it through the event's actor, so it now shows the placeholder);
- their complaints: the incident place emptied (often their address), the private link
  replaced, their name, phone and email replaced by :data:`~kesu.complaints.privacy.REDACTED`
  wherever free text quotes them (the complaint, communications, callbacks, solutions, tasks,
  meetings, extension requests, file names, incoming mails, outgoing messages, in-app
  notifications, quality audits and improvement actions);
- the files they uploaded: deleted (rows now, files once the transaction commits);
- messages still waiting to go to them: stopped; addresses of those sent: emptied.

The timeline (``Event``) is append-only and sealed, so nothing in it is changed: its events
never copy the customer record's name, phone or email (they refer to people by user id), but
free text written into them (the customer's added information, contact summaries, notes, file
names) keeps what it said. The erasure counts those events and adds one event to each
complaint saying the customer's data was erased. docs/privacy.md has the details.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.accounts.models import ApiToken, Role, User
from kesu.complaints.access import require_data_requests
from kesu.complaints.errors import GuardFailed, InvalidInput
from kesu.complaints.models import (
    Attachment,
    Callback,
    Communication,
    Complaint,
    Customer,
    CustomerDataLog,
    DeadlineExtension,
    Event,
    EventKind,
    HandlingRound,
    Meeting,
    Solution,
    SolutionAction,
    Task,
    new_portal_token,
)
from kesu.complaints.privacy import ERASED_NAME, Redactor
from kesu.complaints.services.events import record_event
from kesu.complaints.states import State

ERASE_ACTION = "erase_customer"  # the action named on the timeline event
STOPPED = "customer data erased"  # last_error of messages that will not go out now


@dataclass
class ErasureResult:
    log: CustomerDataLog
    counts: dict[str, int] = field(default_factory=dict)


def _redactor(customer: Customer, user: User | None) -> Redactor:
    names = [customer.name, customer.email]
    phones = [customer.phone]
    if user is not None and user.role == Role.CUSTOMER:
        names += [user.username, user.email, user.display_name, user.get_full_name()]
        phones.append(user.phone)
    return Redactor(names=names, phones=phones)


def _redact(
    queryset: models.QuerySet[Any], fields: Iterable[str], redactor: Redactor, **set_to: Any
) -> int:
    """Redact ``fields`` of every row of ``queryset`` (and set ``set_to``); the number of rows
    changed. Reads only the fields it may change."""
    fields = list(fields)
    changed = []
    for row in queryset.only("pk", *fields, *set_to):
        dirty = False
        for name in fields:
            before = getattr(row, name)
            after = redactor.data(before)
            if after != before:
                setattr(row, name, after)
                dirty = True
        for name, value in set_to.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                dirty = True
        if dirty:
            changed.append(row)
    if changed:
        queryset.model.objects.bulk_update(changed, [*fields, *set_to], batch_size=500)
    return len(changed)


def open_numbers(complaints: list[Complaint]) -> list[str]:
    """The numbers of the complaints that stop an erasure: those not yet finished."""
    return [c.number for c in complaints if c.state not in State.terminal()]


def _refuse_open(complaints: list[Complaint]) -> None:
    still_open = open_numbers(complaints)
    if still_open:
        raise GuardFailed(
            _(
                "The customer still has open complaints: %(numbers)s. Erase their data once "
                "these are closed."
            )
            % {"numbers": ", ".join(still_open)}
        )


def _free_text(ids: list[int], redactor: Redactor, counts: dict[str, int]) -> None:
    """Every text kesu keeps about these complaints outside the timeline."""
    from kesu.improvement.models import AuditItem, ImprovementAction

    of = {"complaint_id__in": ids}
    counts["complaints"] = _redact(
        Complaint.objects.filter(pk__in=ids),
        (
            "title",
            "description",
            "demand",
            "findings",
            "root_cause_text",
            "rejection_reason",
            "rejection_recourse",
        ),
        redactor,
        incident_place="",
    )
    tables: list[tuple[str, models.QuerySet[Any], tuple[str, ...]]] = [
        ("rounds", HandlingRound.objects.filter(**of), ("reason",)),
        ("communications", Communication.objects.filter(**of), ("summary",)),
        ("callbacks", Callback.objects.filter(**of), ("notes",)),
        ("solutions", Solution.objects.filter(**of), ("summary", "decision_reason")),
        (
            "solution_actions",
            SolutionAction.objects.filter(solution__complaint_id__in=ids),
            ("description",),
        ),
        ("tasks", Task.objects.filter(**of), ("title", "result")),
        ("meetings", Meeting.objects.filter(**of), ("participants", "decision")),
        (
            "extensions",
            DeadlineExtension.objects.filter(milestone__complaint_id__in=ids),
            ("reason", "decision_reason"),
        ),
        ("attachments", Attachment.objects.filter(**of), ("name",)),
        ("audit_items", AuditItem.objects.filter(**of), ("finding", "notes")),
        (
            "improvement_actions",
            ImprovementAction.objects.filter(complaints__in=ids).distinct(),
            ("title", "description", "finding", "evidence", "verdict_note", "cancel_reason"),
        ),
    ]
    for name, queryset, fields in tables:
        counts[name] = _redact(queryset, fields, redactor)


def _messages(
    customer: Customer, user: User | None, ids: list[int], redactor: Redactor, counts: dict
) -> None:
    """Incoming mails, outgoing messages and in-app notifications about the person."""
    from kesu.mailin.models import InboundMail
    from kesu.outbox.models import Notification, OutboxMessage

    mails = Q(complaint_id__in=ids)
    if customer.email:  # and the mails from them that opened nothing (ignored, failed)
        mails |= Q(complaint__isnull=True, from_address__iexact=customer.email)
    counts["mails"] = _redact(
        InboundMail.objects.filter(mails),
        ("subject", "error", "skipped_files", "reason"),
        redactor,
        from_address="",
        from_name="",
    )
    # Addresses of messages about their complaints only: another customer record may share
    # a phone (a switchboard) or an email.
    contacts = [v for v in (customer.phone, customer.email) if v]
    to_them = Q(complaint_id__in=ids, address__in=contacts) if contacts else Q(pk__in=[])
    if user is not None and user.role == Role.CUSTOMER:
        to_them |= Q(recipient=user)
    waiting = (OutboxMessage.Status.PENDING, OutboxMessage.Status.DELIVERING)
    counts["messages_stopped"] = OutboxMessage.objects.filter(to_them, status__in=waiting).update(
        status=OutboxMessage.Status.DEAD, last_error=STOPPED, lease_until=None
    )
    counts["message_addresses"] = OutboxMessage.objects.filter(to_them).update(address="")
    counts["messages"] = _redact(
        OutboxMessage.objects.filter(complaint_id__in=ids), ("context", "last_error"), redactor
    )
    counts["notifications"] = _redact(
        Notification.objects.filter(complaint_id__in=ids), ("title", "body"), redactor
    )


def _uploads(user: User | None, ids: list[int], counts: dict[str, int]) -> None:
    """The files the customer uploaded (on the portal, by mail, or with their login): rows
    now, files from the storage once the erasure has committed."""
    theirs = Q(uploaded_by__isnull=True)
    if user is not None and user.role == Role.CUSTOMER:
        theirs |= Q(uploaded_by=user)
    rows = list(Attachment.objects.filter(theirs, complaint_id__in=ids))
    stored = [(a.file.storage, a.file.name) for a in rows if a.file.name]
    Attachment.objects.filter(pk__in=[a.pk for a in rows]).delete()
    counts["files_deleted"] = len(rows)

    def remove_files() -> None:
        for storage, name in stored:
            with contextlib.suppress(OSError):  # already gone: nothing left to remove
                storage.delete(name)

    transaction.on_commit(remove_files)


def _portal_account(user: User | None, counts: dict[str, int]) -> None:
    """The customer's login, anonymised and closed. A staff account linked as a customer
    (someone who complained as a customer) is left alone: only the link goes."""
    if user is None or user.role != Role.CUSTOMER:
        return
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    old_username = user.username
    user.username = f"erased-{user.pk}"
    user.first_name = user.last_name = user.email = user.phone = ""
    user.display_name = ERASED_NAME
    user.is_active = False
    user.set_unusable_password()
    user.save()
    counts["api_tokens"] = ApiToken.objects.filter(user=user).delete()[0]
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username=old_username).delete()
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    ).update(object_repr=ERASED_NAME)
    counts["portal_account"] = 1


def _timeline_note(
    complaints: list[Complaint], log: CustomerDataLog, actor: User, now: datetime
) -> None:
    """One event on each timeline: when the data was erased and by whom (not what it was)."""
    note = _("The customer's personal data was erased at their request.")
    for c in complaints:
        c.refresh_from_db(fields=["version", "round_no", "portal_token", "incident_place"])
        record_event(
            complaint=c,
            kind=EventKind.NOTE,
            action=ERASE_ACTION,
            actor=actor,
            at=now,
            data={"note": str(note), "erasure": log.pk},
        )


def erase_customer(
    customer: Customer, actor: User, reason: str, *, via: str, now: datetime | None = None
) -> ErasureResult:
    """Erase ``customer``'s identity (see the module's description). Refused while any of
    their complaints is open: the case still needs a way to reach them, and its figures are
    not final. ``reason`` (the request, e.g. "customer's letter of 2026-11-20") is logged."""
    require_data_requests(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(errors={"reason": _("Say why the data is erased (the request).")})
    now = now or timezone.now()
    with transaction.atomic():
        person = Customer.objects.select_for_update().get(pk=customer.pk)
        if person.erased_at is not None:
            raise GuardFailed(_("This customer's data was already erased."))
        complaints = list(
            Complaint.objects.select_for_update(of=("self",))
            .select_related("policy")
            .filter(customer=person)
            .order_by("pk")
        )
        _refuse_open(complaints)
        ids = [c.pk for c in complaints]
        user = person.user
        redactor = _redactor(person, user)
        counts: dict[str, int] = {
            "events_with_identifiers": sum(
                1
                for data in Event.objects.filter(complaint_id__in=ids).values_list(
                    "data", flat=True
                )
                if redactor.found_in(data)
            )
        }
        _free_text(ids, redactor, counts)
        _messages(person, user, ids, redactor, counts)
        _uploads(user, ids, counts)
        _portal_account(user, counts)
        for c in complaints:
            Complaint.objects.filter(pk=c.pk).update(
                portal_token=new_portal_token(), version=F("version") + 1
            )
        person.name, person.company, person.phone, person.email = ERASED_NAME, "", "", ""
        person.erased_at = now
        person.save(update_fields=["name", "company", "phone", "email", "erased_at"])
        log = CustomerDataLog.objects.create(
            customer=person,
            kind=CustomerDataLog.Kind.ERASURE,
            via=via,
            actor=actor,
            at=now,
            reason=reason,
            summary={"complaint_count": len(ids), **counts},
        )
        _timeline_note(complaints, log, actor, now)
    customer.refresh_from_db()
    return ErasureResult(log=log, counts=log.summary)
