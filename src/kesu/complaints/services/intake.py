"""Recording a complaint (SPEC §2, §3 state 1): the one way a complaint comes to exist."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kesu.accounts.models import Role, User
from kesu.complaints.errors import IdempotencyConflict, InvalidInput, PermissionDenied
from kesu.complaints.models import (
    Complaint,
    Customer,
    CustomerAccount,
    DailySequence,
    EventKind,
    HandlingRound,
    IdempotencyKey,
)
from kesu.complaints.privacy import ContactMask
from kesu.complaints.services import deadlines, grading
from kesu.complaints.services.change import refresh_deadline_summary
from kesu.complaints.services.events import record_event
from kesu.complaints.services.notifications import notify_about, tell_executive_of_top_level
from kesu.complaints.services.portal_links import link_expiry
from kesu.complaints.states import State
from kesu.policy.loader import active_policy

PHONE = re.compile(r"^\+?[0-9][0-9\- ]{4,24}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A complaint recorded afterwards may say when it really arrived, but not absurdly long ago.
MAX_BACKDATE = timedelta(days=366)


@dataclass
class NewComplaint:
    customer_name: str
    channel: str
    description: str
    title: str = ""
    customer_company: str = ""
    customer_phone: str = ""
    customer_email: str = ""
    account_code: str = ""
    received_at: datetime | None = None
    category: str = ""
    level: str = ""
    urgent: bool | None = None
    demand: str = ""
    claimed_amount: Decimal | None = None
    order_no: str = ""
    waybill_no: str = ""
    contract_no: str = ""
    goods: str = ""
    origin: str = ""
    destination: str = ""
    product: str = ""
    batch_no: str = ""
    incident_at: datetime | None = None
    incident_place: str = ""
    platform_case_no: str = ""
    # The language the customer wrote in (portal page, mail): their messages follow it.
    language: str = ""

    def fingerprint(self) -> str:
        data = asdict(self)
        return hashlib.sha256(
            json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()
        ).hexdigest()


# A day's counter held for a whole transaction by an import (``numbering_held``): numbers come
# from memory and the row is written once at the end.
_held: ContextVar[tuple[date, list[int]] | None] = ContextVar("kesu_numbering_held", default=None)


def next_number(prefix: str, day: date) -> str:
    held = _held.get()
    if held is not None and held[0] == day:
        held[1][0] += 1
        seq = held[1][0]
    else:
        DailySequence.objects.get_or_create(day=day)
        DailySequence.objects.filter(day=day).update(last=F("last") + 1)
        seq = DailySequence.objects.get(day=day).last
    return f"{prefix}-{day:%Y%m%d}-{seq:04d}"


@contextmanager
def numbering_held(day: date) -> Iterator[list[int]]:
    """Lock ``day``'s number counter until the transaction ends and number from memory.

    For an import, which makes thousands of complaints in one transaction: updating the same
    counter row once per complaint leaves a chain of row versions that every later read walks
    (PostgreSQL cannot prune them before the commit), so the n-th number cost O(n) — an import
    of 10,000 rows spent a third of its database time there. Other writers wait on the lock, as
    they did before. Must run inside ``transaction.atomic``. Yields the counter (``[last]``)
    so a caller that rolls back a savepoint can take back the numbers it used."""
    DailySequence.objects.get_or_create(day=day)
    row = DailySequence.objects.select_for_update().get(day=day)
    counter = [row.last]
    token = _held.set((day, counter))
    try:
        yield counter
    finally:
        _held.reset(token)
    # Not reached when the block raised: the transaction rolls back, numbers and all.
    DailySequence.objects.filter(day=day).update(last=counter[0])


@dataclass(frozen=True)
class ImportedRow:
    """Where an imported complaint came from (``services.importing``), kept on its creation
    event; with ``closed_at`` the row is closed history, recorded closed at that time."""

    file_name: str
    row: int
    ref: str = ""
    closed_at: datetime | None = None
    outcome: str = ""

    @property
    def is_history(self) -> bool:
        return self.closed_at is not None

    def event_data(self) -> dict[str, object]:
        data: dict[str, object] = {"import_file": self.file_name, "import_row": self.row}
        if self.ref:
            data["import_ref"] = self.ref
        return data


# Why an imported history row is closed (``Complaint.close_reason``).
CLOSED_AS_HISTORY = "imported"


def validate(
    data: NewComplaint,
    policy,
    *,
    now: datetime,
    max_backdate: timedelta | None = MAX_BACKDATE,
) -> dict[str, str]:
    """Field → message for everything wrong with ``data`` (normalising its text in place).
    ``max_backdate`` None: any past received time (imports apply their own rule)."""
    errors: dict[str, str] = {}
    data.customer_name = data.customer_name.strip()
    data.description = data.description.strip()
    data.customer_phone = data.customer_phone.strip()
    data.customer_email = data.customer_email.strip().lower()
    if not data.customer_name:
        errors["customer_name"] = _("The customer's name or company is required.")
    if not data.customer_phone and not data.customer_email:
        errors["customer_phone"] = _("A contact phone number or email is required.")
    if data.customer_phone and not PHONE.match(data.customer_phone):
        errors["customer_phone"] = _("This is not a valid phone number.")
    if data.customer_email and not EMAIL.match(data.customer_email):
        errors["customer_email"] = _("This is not a valid email address.")
    if data.channel not in policy.channels:
        errors["channel"] = _("Unknown channel for this procedure.")
    if data.language:
        code = data.language.strip().lower()
        data.language = {"en": "en", "zh": "zh-hans"}.get(code[:2], code)
        if data.language not in {"en", "zh-hans"}:
            errors["language"] = _("Messages go out in Chinese (zh-hans) or English (en).")
    if not data.description:
        errors["description"] = _("Describe the complaint.")
    if data.category and policy.category(data.category) is None:
        errors["category"] = _("Unknown category.")
    data.account_code = data.account_code.strip()
    if data.account_code and not CustomerAccount.objects.filter(code=data.account_code).exists():
        errors["account_code"] = _("Unknown customer account.")
    if data.level and data.level not in {lv.code for lv in policy.levels}:
        errors["level"] = _("Unknown level.")
    if data.claimed_amount is not None and data.claimed_amount < 0:
        errors["claimed_amount"] = _("The amount cannot be negative.")
    if data.received_at is not None:
        if timezone.is_naive(data.received_at):
            errors["received_at"] = _("Give the time with its time zone.")
        elif data.received_at > now:
            errors["received_at"] = _("The time received cannot be in the future.")
        elif max_backdate is not None and data.received_at < now - max_backdate:
            errors["received_at"] = _("The time received is more than a year ago.")
    if data.incident_at is not None and timezone.is_naive(data.incident_at):
        errors["incident_at"] = _("Give the time with its time zone.")
    rule = next((r for r in policy.channel_rules if r.channel == data.channel), None)
    if rule and rule.requires_case_number and not data.platform_case_no.strip():
        errors["platform_case_no"] = _("Complaints from this platform need its case number.")
    return errors


def _customer_for(data: NewComplaint, actor: User | None) -> Customer:
    if actor is not None and actor.role == Role.CUSTOMER:
        profile = Customer.objects.filter(user=actor).first()
        if profile is not None:
            return profile
    account = None
    if data.account_code:
        account = CustomerAccount.objects.filter(code=data.account_code).first()
    lookup = (
        {"phone": data.customer_phone} if data.customer_phone else {"email": data.customer_email}
    )
    customer = Customer.objects.filter(name=data.customer_name, **lookup).first()
    if customer is None:
        customer = Customer.objects.create(
            name=data.customer_name,
            company=data.customer_company,
            phone=data.customer_phone,
            email=data.customer_email,
            language=data.language or "zh-hans",
            account=account,
            user=actor if actor is not None and actor.role == Role.CUSTOMER else None,
        )
    elif actor is not None and actor.role != Role.CUSTOMER:
        # Contact details change on staff's word only: a submission by a customer or by
        # nobody (the portal, mail) that names a known customer must not send that customer's
        # messages, and the private links in them, to whatever address the sender typed.
        changed = []
        for attr, value in (
            ("email", data.customer_email),
            ("phone", data.customer_phone),
            ("company", data.customer_company),
            ("language", data.language),
        ):
            if value and getattr(customer, attr) != value:
                setattr(customer, attr, value)
                changed.append(attr)
        if account and customer.account_id != account.pk:
            customer.account = account
            changed.append("account")
        if changed:
            customer.save(update_fields=changed)
    return customer


def complaint_create(
    *,
    data: NewComplaint,
    actor: User | None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> tuple[Complaint, bool]:
    """Record a complaint. Returns (complaint, created); a repeated idempotency key returns the
    first complaint and ``created=False``. ``actor`` None is an anonymous portal submission."""
    now = now or timezone.now()
    if actor is not None and actor.role not in (Role.AGENT, Role.CUSTOMER, Role.ADMIN):
        raise PermissionDenied(_("Only customer service records complaints."))
    if idempotency_key and actor is None:
        raise InvalidInput(_("An Idempotency-Key needs an authenticated caller."))
    fingerprint = data.fingerprint()
    if idempotency_key:
        found = _idempotent_replay(actor, idempotency_key, fingerprint)
        if found is not None:
            return found, False
    try:
        with transaction.atomic():
            complaint = _create(data, actor=actor, now=now)
            if idempotency_key:
                IdempotencyKey.objects.create(
                    user=actor,
                    key=idempotency_key,
                    request_hash=fingerprint,
                    complaint=complaint,
                )
    except IntegrityError:
        # A concurrent request with the same key won the race: answer as it did.
        if idempotency_key:
            found = _idempotent_replay(actor, idempotency_key, fingerprint)
            if found is not None:
                return found, False
        raise
    return complaint, True


def _idempotent_replay(actor: User | None, key: str, fingerprint: str) -> Complaint | None:
    prior = IdempotencyKey.objects.filter(user=actor, key=key).select_related("complaint").first()
    if prior is None:
        return None
    if prior.request_hash != fingerprint:
        raise IdempotencyConflict()
    return prior.complaint


def _create(
    data: NewComplaint,
    *,
    actor: User | None,
    now: datetime,
    imported: ImportedRow | None = None,
) -> Complaint:
    """``imported``: a row of an import file, whose caller checked the importer's rights and
    the age of its received time (``services.importing``)."""
    policy_row = active_policy()
    policy = policy_row.doc
    errors = validate(data, policy, now=now, max_backdate=None if imported else MAX_BACKDATE)
    if errors:
        raise InvalidInput(errors=errors)
    received_at = data.received_at or now
    staff = imported is not None or (actor is not None and actor.role in (Role.AGENT, Role.ADMIN))
    history = imported is not None and imported.is_history
    if not staff:
        # Only staff may grade or backdate; a customer's own words are suggestions.
        data.level, data.urgent, received_at = "", None, now
    customer = _customer_for(data, actor)
    text = f"{data.title}\n{data.description}\n{data.demand}"
    repeats = grading.find_repeat_targets(
        policy,
        customer_id=customer.pk,
        phone=customer.phone,
        category=data.category,
        order_no=data.order_no,
        waybill_no=data.waybill_no,
        received_at=received_at,
    )
    key_customer = bool(customer.account_id and customer.account.is_key)
    sugg = grading.suggest(
        policy,
        text=text,
        claimed_amount=data.claimed_amount,
        key_customer=key_customer,
        repeat=bool(repeats),
    )
    category = data.category or sugg.category
    if not category:
        raise InvalidInput(errors={"category": _("Choose a category.")})
    if not repeats and not data.category:
        # The category came from the suggestion: look for repeats under it too.
        repeats = grading.find_repeat_targets(
            policy,
            customer_id=customer.pk,
            phone=customer.phone,
            category=category,
            order_no=data.order_no,
            waybill_no=data.waybill_no,
            received_at=received_at,
        )
    title = data.title.strip() or data.description.strip().splitlines()[0][:60]
    # The title is what every list, message and report shows, to readers who may not see the
    # customer's contacts: kept with them masked (docs/privacy.md).
    title = ContactMask.of(customer).text(title)
    local_day = timezone.localdate(now)
    complaint = Complaint.objects.create(
        number=next_number(policy.number_prefix, local_day),
        policy=policy_row,
        state=State.RECEIVED,
        customer=customer,
        channel=data.channel,
        platform_case_no=data.platform_case_no.strip(),
        external_ref=imported.ref if imported else "",
        received_by=actor if staff else None,
        received_at=received_at,
        category=category,
        level=data.level or sugg.level,
        urgent=data.urgent if data.urgent is not None else sugg.urgent,
        suggested_level=sugg.level,
        suggested_category=sugg.category,
        suggested_urgent=sugg.urgent,
        suggestion_reasons=sugg.reasons,
        title=title[:200],
        description=data.description,
        demand=data.demand,
        claimed_amount=data.claimed_amount,
        order_no=data.order_no,
        waybill_no=data.waybill_no,
        contract_no=data.contract_no,
        goods=data.goods,
        origin=data.origin,
        destination=data.destination,
        product=data.product,
        batch_no=data.batch_no,
        incident_at=data.incident_at,
        incident_place=data.incident_place,
        is_repeat=bool(repeats),
    )
    HandlingRound.objects.create(complaint=complaint, number=1, started_at=received_at)
    record_event(
        complaint=complaint,
        round_no=1,
        kind=EventKind.CREATED,
        action="create",
        to_state=State.RECEIVED,
        actor=actor,
        at=now,
        data={
            "channel": data.channel,
            "received_at": received_at.isoformat(),
            "suggested": {"level": sugg.level, "category": sugg.category, "urgent": sugg.urgent},
            "chosen": {"level": complaint.level, "category": category, "urgent": complaint.urgent},
            **(imported.event_data() if imported else {}),
        },
        visible_to_customer=True,
    )
    if not history:
        # History ended before it was recorded here: it has no deadlines to run.
        deadlines.start_milestones(complaint, policy, start="received", at=received_at)
    if staff and not history and data.channel in policy.live_channels:
        # The agent took the call: telling the customer it is accepted happened then (for an
        # imported row, when it was received).
        deadlines.meet(complaint, policy, ["ack"], at=received_at if imported else now)
    if repeats:
        grading.link_repeats(complaint, repeats, at=now)
        record_event(
            complaint=complaint,
            round_no=1,
            kind=EventKind.LINKED,
            action="create",
            at=now,
            data={"repeat_of": [c.number for c in repeats]},
        )
    alert = None if history else grading.check_batch(complaint, policy, at=now)
    if alert is not None:
        record_event(
            complaint=complaint,
            round_no=1,
            kind=EventKind.BATCH_ALERT,
            action="create",
            at=now,
            data={"batch_no": alert.batch_no, "alert": alert.pk},
        )
        notify_about(
            complaint,
            "batch.alert",
            users=grading.quality_staff(),
            context={"batch": alert.batch_no},
            dedupe_key=f"batch-alert-{alert.pk}-{alert.raised_at.isoformat()}",
        )
    summary = refresh_deadline_summary(complaint)
    Complaint.objects.filter(pk=complaint.pk).update(**summary)
    complaint.next_due_at = summary["next_due_at"]
    if history:
        _close_as_history(complaint, imported, actor=actor, now=now)
        return complaint
    notify_about(complaint, "complaint.received", customer=True, context={})
    tell_executive_of_top_level(complaint, previous_level=None)
    return complaint


def _close_as_history(
    complaint: Complaint, imported: ImportedRow, *, actor: User | None, now: datetime
) -> None:
    """An imported case that ended before it was recorded here: closed at its original time,
    with no deadlines, escalations or messages (the customer was answered back then)."""
    closed_at = imported.closed_at
    assert closed_at is not None
    HandlingRound.objects.filter(complaint=complaint, number=1).update(
        resolved_at=closed_at, closed_at=closed_at
    )
    complaint.state, complaint.closed_at = State.CLOSED, closed_at
    complaint.close_reason = CLOSED_AS_HISTORY
    complaint.portal_link_expires_at = link_expiry(complaint, closed_at)
    Complaint.objects.filter(pk=complaint.pk).update(
        state=State.CLOSED,
        closed_at=closed_at,
        close_reason=CLOSED_AS_HISTORY,
        portal_link_expires_at=complaint.portal_link_expires_at,
    )
    record_event(
        complaint=complaint,
        round_no=1,
        kind=EventKind.TRANSITION,
        action="import",
        from_state=State.RECEIVED,
        to_state=State.CLOSED,
        actor=actor,
        at=now,
        data={
            "reason": CLOSED_AS_HISTORY,
            "closed_at": closed_at.isoformat(),
            "summary": imported.outcome,
            **imported.event_data(),
        },
        visible_to_customer=True,
    )
