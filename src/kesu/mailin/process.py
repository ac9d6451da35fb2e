"""One fetched mail → one outcome, written in one transaction with its ``InboundMail`` row.

The row is inserted first in that transaction, so a second poller handling the same mail at
the same moment waits on the unique (mailbox, Message-ID) and then finds it handled. A mail
whose handling raises is recorded as failed and tried again by the next polls, up to
``KESU_MAILIN_MAX_ATTEMPTS``; a domain refusal (e.g. an address intake rejects) is final.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kesu.complaints.access import PortalCustomer
from kesu.complaints.errors import ConcurrentModification, DomainError, InvalidInput
from kesu.complaints.models import Channel, Complaint
from kesu.complaints.services import grading, records, transitions
from kesu.complaints.services.intake import MAX_BACKDATE, NewComplaint, complaint_create
from kesu.complaints.states import State
from kesu.mailin.bodytext import strip_quoted
from kesu.mailin.classify import classify
from kesu.mailin.config import MailboxConfig, configured_mailboxes, max_attempts
from kesu.mailin.files import FileChoice, choose_files
from kesu.mailin.imap import FetchedMail
from kesu.mailin.models import InboundMail, Mailbox
from kesu.mailin.parsing import ParsedMail, parse_mail
from kesu.mailin.references import referenced_complaints, sent_by_customer
from kesu.policy.loader import active_policy

Outcome = InboundMail.Outcome
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Handled:
    mail: InboundMail
    fresh: bool  # False: handled by an earlier poll; only the server's flag is missing


class _AlreadyHandled(Exception):
    pass


def own_addresses(config: MailboxConfig) -> frozenset[str]:
    """Addresses whose mail is our own: the sender of our notifications and the mailboxes."""
    found = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower(), config.own_address}
    found |= {c.own_address for c in configured_mailboxes()}
    return frozenset(a for a in found if a)


def _received_at(fetched: FetchedMail, now: datetime) -> datetime:
    """When the mail reached our server (INTERNALDATE, which the sender cannot set, unlike
    Date), so the clocks start then even if the worker was down; else the poll's time."""
    arrived = fetched.arrived_at
    if arrived is None or arrived > now or arrived < now - MAX_BACKDATE:
        return now
    return arrived


def _fallback_category(config: MailboxConfig, text: str) -> str:
    """Empty when the policy's keywords find a category (intake then suggests it itself)."""
    policy = active_policy().doc
    if grading.suggest(policy, text=text).category:
        return ""
    if config.category:
        return config.category
    return "other" if policy.category("other") is not None else ""


def _with_note(text: str, files: FileChoice) -> str:
    note = files.skipped_note()
    return f"{text}\n\n{note}" if note else text


def _attach(complaint: Complaint, files: FileChoice, now: datetime) -> None:
    actor = PortalCustomer.of(complaint)
    for f in files.kept:
        records.complaint_add_attachment(
            complaint=complaint,
            actor=actor,
            name=f.name,
            content=f.content,
            content_type=f.content_type,
            now=now,
        )


def open_complaint(
    mail: ParsedMail,
    files: FileChoice,
    *,
    config: MailboxConfig,
    received_at: datetime,
    now: datetime,
) -> Complaint:
    """A new complaint from the sender, as an anonymous portal submission would be: intake
    numbers it and queues the acknowledgment (with the private link) to the sender."""
    text = mail.text or mail.subject or _("(The email had no text.)")
    description = _with_note(text, files)
    data = NewComplaint(
        customer_name=(mail.from_name or mail.from_address.split("@")[0])[:100],
        customer_email=mail.from_address,
        channel=Channel.EMAIL,
        title=mail.subject[:200],
        description=description,
        category=_fallback_category(config, f"{mail.subject}\n{description}\n"),
        language=written_in(f"{mail.subject}\n{description}"),
    )
    # As of the mail's arrival: received time, number and first clocks are the arrival's.
    created, _created = complaint_create(data=data, actor=None, now=received_at)
    complaint = Complaint.objects.select_related("customer__user", "policy").get(pk=created.pk)
    _attach(complaint, files, now)
    return complaint


def written_in(text: str) -> str:
    """A mail with no Chinese character is answered in English; any Chinese, in Chinese."""
    return "zh-hans" if CJK.search(text) else "en"


def add_reply(complaint: Complaint, mail: ParsedMail, files: FileChoice, now: datetime) -> None:
    """The customer's answer on their complaint's timeline, with its files; an answer to a
    request for information sends the case back to investigation (clocks resume)."""
    text = strip_quoted(mail.text)
    if not text and files.kept:
        text = _("Files sent: %(names)s") % {"names": ", ".join(f.name for f in files.kept)}
    text = _with_note(text or mail.subject or _("(The email had no text.)"), files)
    _attach(complaint, files, now)
    actor = PortalCustomer.of(complaint)
    if complaint.state == State.AWAITING_CUSTOMER:
        transitions.complaint_provide_info(
            complaint=complaint, actor=actor, text=text, channel="email", now=now
        )
    else:
        records.complaint_add_info(
            complaint=complaint, actor=actor, text=text, channel="email", now=now
        )


def _act(
    row: InboundMail, mail: ParsedMail, fetched: FetchedMail, config: MailboxConfig, now: datetime
) -> None:
    """Decide and do; sets the row's outcome, reason and complaint."""
    verdict = classify(mail, own_addresses=own_addresses(config), allow_lists=config.allow_lists)
    if verdict is not None:
        row.outcome, row.reason = verdict.outcome, verdict.reason
        return
    if not mail.from_address:
        row.outcome, row.reason = Outcome.IGNORED_UNKNOWN_SENDER, "no sender address"
        return
    files = choose_files(mail.files)
    row.skipped_files = files.skipped
    referenced = referenced_complaints(mail)
    if referenced:
        target = next((c for c in referenced if sent_by_customer(c, mail.from_address)), None)
        if target is None:
            # SPEC §8: a reply lands only when its sender is the complaint's customer.
            row.outcome = Outcome.IGNORED_UNKNOWN_SENDER
            row.reason = "refers to " + ", ".join(c.number for c in referenced)[:240]
            return
        if target.state in State.open_states():
            add_reply(target, mail, files, now)
            row.outcome, row.complaint = Outcome.REPLY, target
            return
        # Finished cases are not reopened by mail: the customer's words open a new complaint,
        # which intake links as a repeat.
        row.reason = f"follows up {target.number} ({target.state})"
    row.complaint = open_complaint(
        mail, files, config=config, received_at=_received_at(fetched, now), now=now
    )
    row.outcome = Outcome.CREATED


def _summary(mail: ParsedMail, fetched: FetchedMail, uidvalidity: int) -> dict:
    return {
        "uid": fetched.uid,
        "uidvalidity": uidvalidity,
        "from_address": mail.from_address[:254],
        "from_name": mail.from_name[:200],
        "subject": mail.subject[:255],
        "sent_at": mail.sent_at,
        "arrived_at": fetched.arrived_at,
    }


def _claim(
    mailbox: Mailbox, mail: ParsedMail, summary: dict, prior: InboundMail | None, now: datetime
) -> InboundMail:
    if prior is None:
        return InboundMail.objects.create(
            mailbox=mailbox,
            message_id=mail.message_id,
            processed_at=now,
            outcome=Outcome.FAILED,  # replaced before commit; nobody sees it
            **summary,
        )
    row = InboundMail.objects.select_for_update().get(pk=prior.pk)
    if row.outcome != Outcome.FAILED:
        raise _AlreadyHandled
    row.attempts += 1
    for name, value in summary.items():
        setattr(row, name, value)
    return row


def _error_text(exc: Exception) -> str:
    if isinstance(exc, InvalidInput) and exc.details.get("errors"):
        return f"{exc}: {exc.details['errors']}"
    return f"{type(exc).__name__}: {exc}"


def _record_failure(
    mailbox: Mailbox, message_id: str, summary: dict, exc: Exception, now: datetime
) -> InboundMail:
    # Retrying cannot change a domain refusal; a lost race or a database hiccup may pass.
    final = isinstance(exc, DomainError) and not isinstance(exc, ConcurrentModification)
    with transaction.atomic():
        row, created = InboundMail.objects.select_for_update().get_or_create(
            mailbox=mailbox,
            message_id=message_id,
            defaults={"processed_at": now, "outcome": Outcome.FAILED, **summary},
        )
        if not created:
            row.attempts += 1
        row.processed_at, row.error = now, _error_text(exc)[:2000]
        if final:
            row.attempts = max(row.attempts, max_attempts())
        row.save()
    return row


def handle_mail(
    *,
    mailbox: Mailbox,
    config: MailboxConfig,
    fetched: FetchedMail,
    uidvalidity: int,
    now: datetime,
) -> Handled:
    try:
        mail = parse_mail(fetched.raw)
    except Exception as exc:  # the parser is lenient: this is a mail nobody can read
        digest = f"<sha256-{hashlib.sha256(fetched.raw).hexdigest()}@kesu.local>"
        summary = {"uid": fetched.uid, "uidvalidity": uidvalidity, "arrived_at": fetched.arrived_at}
        return Handled(_record_failure(mailbox, digest, summary, exc, now), fresh=True)
    summary = _summary(mail, fetched, uidvalidity)
    prior = InboundMail.objects.filter(mailbox=mailbox, message_id=mail.message_id).first()
    if prior is not None and (prior.outcome != Outcome.FAILED or prior.attempts >= max_attempts()):
        return Handled(prior, fresh=False)
    try:
        with transaction.atomic():
            row = _claim(mailbox, mail, summary, prior, now)
            row.processed_at, row.error = now, ""
            _act(row, mail, fetched, config, now)
            row.save()
    except (_AlreadyHandled, IntegrityError) as exc:
        found = InboundMail.objects.filter(mailbox=mailbox, message_id=mail.message_id).first()
        if found is not None and found.outcome != Outcome.FAILED:
            return Handled(found, fresh=False)  # another poller handled it meanwhile
        return Handled(_record_failure(mailbox, mail.message_id, summary, exc, now), fresh=True)
    except Exception as exc:
        return Handled(_record_failure(mailbox, mail.message_id, summary, exc, now), fresh=True)
    return Handled(row, fresh=True)
