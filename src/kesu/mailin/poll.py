"""The worker job: poll every configured mailbox once (``KESU_WORKER_JOBS``, every 60 s).

Which mails a poll takes: those with a UID above the last one handled under the folder's
current UIDVALIDITY. With no valid position (first poll, or the server renumbered the folder)
it takes the unseen mails only, so connecting kesu to a mailbox with years of read mail does
not turn that history into complaints; Message-IDs already handled are skipped either way.
Failed mails are fetched again by UID until they succeed or run out of attempts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from kesu.mailin.config import MailboxConfig, batch_size, configured_mailboxes, max_attempts
from kesu.mailin.imap import MailboxSession
from kesu.mailin.models import InboundMail, Mailbox
from kesu.mailin.process import handle_mail
from kesu.outbox.services import log_event


@dataclass
class PollResult:
    mailboxes: int = 0
    handled: int = 0  # mails handled now (not counting those an earlier poll handled)
    outcomes: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _uids_to_take(session: MailboxSession, state: Mailbox, validity: int) -> list[int]:
    if state.uidvalidity != validity:
        Mailbox.objects.filter(pk=state.pk).update(uidvalidity=validity, last_uid=0)
        state.uidvalidity, state.last_uid = validity, 0
        fresh = session.unseen_uids()
    else:
        fresh = session.uids_after(state.last_uid)
    retry = InboundMail.objects.filter(
        mailbox=state,
        uidvalidity=validity,
        outcome=InboundMail.Outcome.FAILED,
        attempts__lt=max_attempts(),
    ).values_list("uid", flat=True)
    return sorted(set(fresh) | set(retry))[: batch_size()]


def poll_mailbox(config: MailboxConfig, *, now: datetime, result: PollResult) -> None:
    state, _created = Mailbox.objects.get_or_create(name=config.name)
    Mailbox.objects.filter(pk=state.pk).update(last_poll_at=now)
    with MailboxSession(config) as session:
        validity = session.select(config.folder)
        if config.processed_folder:
            session.ensure_folder(config.processed_folder)
        for uid in _uids_to_take(session, state, validity):
            fetched = session.fetch(uid)
            if fetched is None:
                continue  # expunged by someone else since the search
            handled = handle_mail(
                mailbox=state, config=config, fetched=fetched, uidvalidity=validity, now=now
            )
            if handled.fresh:
                result.handled += 1
                outcome = str(handled.mail.outcome)
                result.outcomes[outcome] = result.outcomes.get(outcome, 0) + 1
            if handled.mail.outcome != InboundMail.Outcome.FAILED:
                # Only after the commit: a crash before this line leaves the mail unflagged
                # and the position behind it, and the next poll finds its Message-ID handled
                # and only flags it. Failed mails stay unflagged for people to see.
                session.mark_handled(uid)
            Mailbox.objects.filter(pk=state.pk, last_uid__lt=uid).update(last_uid=uid)
    Mailbox.objects.filter(pk=state.pk).update(last_success_at=now, last_error="")


def poll_mailboxes(*, now: datetime | None = None) -> PollResult:
    """Poll each configured mailbox; one that fails is recorded and does not stop the rest."""
    now = now or timezone.now()
    result = PollResult()
    for config in configured_mailboxes():
        result.mailboxes += 1
        try:
            poll_mailbox(config, now=now, result=result)
        except Exception as exc:  # server down, login refused, a bug: retried next interval
            error = f"{type(exc).__name__}: {exc}"[:2000]
            Mailbox.objects.update_or_create(name=config.name, defaults={"last_error": error})
            result.errors[config.name] = error
            log_event(logging.WARNING, "mailin.poll_failed", mailbox=config.name, error=error)
    if result.mailboxes:
        log_event(
            logging.INFO,
            "mailin.polled",
            mailboxes=result.mailboxes,
            handled=result.handled,
            outcomes=result.outcomes,
        )
    return result
