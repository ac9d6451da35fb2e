"""Outbox API: ``notify`` (inside the domain transaction), ``claim_batch``/``deliver`` (worker).

Delivery is at-least-once: a worker that dies after the provider accepted a message but before
the row says ``sent`` leaves a lease that expires, and the message goes out again with the same
Message-ID / message id, so the receiving side can recognise the repeat.

Settings read at call time: ``KESU_SMS_GATEWAY``, ``KESU_SMS_FILE`` (see ``sms.py``),
``KESU_OUTBOX_BACKOFF_SECONDS`` (30), ``KESU_OUTBOX_BACKOFF_MAX_SECONDS`` (3600),
``DEFAULT_FROM_EMAIL``, ``EMAIL_BACKEND``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import Promise

from kesu.outbox.models import Channel, Notification, OutboxMessage
from kesu.outbox.rendering import TemplateMissing, normalize_language, render
from kesu.outbox.sms import get_sms_gateway, send_sms

if TYPE_CHECKING:
    from kesu.accounts.models import User

logger = logging.getLogger("kesu.outbox")

Status = OutboxMessage.Status

DEFAULT_LEASE_SECONDS = 60


class PermanentDeliveryError(Exception):
    """Retrying cannot help (no template, no address, recipient gone): the message goes dead."""


def log_event(level: int, event: str, **fields: Any) -> None:
    """One JSON line per record, so logs can be grepped and shipped as they are."""
    record = {"event": event, **fields}
    logger.log(level, json.dumps(record, ensure_ascii=False, default=str))


# ---- notify ---------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    """Context values as the template will show them; stored as JSON."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal | uuid.UUID | Promise):
        return str(value)
    return str(value)


def _row_key(dedupe_key: str, channel: str, who: str) -> str:
    key = f"{dedupe_key}|{channel}|{who}"
    if len(key) > 255:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


def notify(**kwargs: Any) -> list[OutboxMessage]:
    """Queue the messages for one event (``plan_messages``' arguments); returns the rows
    inserted. Runs in the caller's transaction and never commits: if the caller rolls back,
    nothing is sent."""
    return insert_messages(plan_messages(**kwargs))


def plan_messages(
    *,
    event: str,
    complaint_id: int | None,
    context: Mapping[str, Any],
    users: Iterable[User] = (),
    customer_email: str = "",
    customer_phone: str = "",
    language: str = "zh-hans",
    dedupe_key: str | None = None,
    staff_context: Mapping[str, Any] | None = None,
    max_attempts: int | None = None,
    staff_email: bool = True,
) -> list[OutboxMessage]:
    """The outbox rows for one event, not yet written (``insert_messages`` writes them).

    ``staff_context`` overrides values for staff recipients (their ``{link}`` opens the
    console, while the customer's is the private portal link).

    Staff user → ``inapp`` always, plus ``email`` when the user has an address (and
    ``staff_email``), each in the user's own language. Customer → ``email`` and/or ``sms`` in
    ``language``. Inactive and duplicate users are skipped. ``max_attempts``: the policy's
    delivery budget before a message is dead-lettered. ``dedupe_key`` makes queueing
    idempotent per recipient and channel (see ``insert_messages``).
    """
    ctx = _jsonable(dict(context))
    staff_ctx = {**ctx, **_jsonable(dict(staff_context or {}))}
    lang = normalize_language(language)
    now = timezone.now()
    rows: list[OutboxMessage] = []
    budget = {"max_attempts": max_attempts} if max_attempts else {}

    def add(channel: str, who: str, *, recipient: User | None = None, address: str = "") -> None:
        rows.append(
            OutboxMessage(
                event=event,
                channel=channel,
                recipient=recipient,
                address=address,
                language=normalize_language(recipient.language) if recipient else lang,
                context=staff_ctx if recipient is not None else ctx,
                complaint_id=complaint_id,
                available_at=now,
                created_at=now,
                dedupe_key=_row_key(dedupe_key, channel, who) if dedupe_key else None,
                **budget,
            )
        )

    seen: set[int] = set()
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        add(Channel.INAPP, f"u{user.pk}", recipient=user)
        if user.email and staff_email:
            add(Channel.EMAIL, f"u{user.pk}", recipient=user, address=user.email)
    if customer_email:
        add(Channel.EMAIL, "customer", address=customer_email.strip())
    if customer_phone:
        add(Channel.SMS, "customer", address=customer_phone.strip())

    return rows


def insert_messages(rows: list[OutboxMessage]) -> list[OutboxMessage]:
    """Write planned rows in one INSERT; returns those really inserted.

    A row with a ``dedupe_key`` whose key exists already is not inserted again (also under
    concurrency: INSERT ... ON CONFLICT DO NOTHING / INSERT OR IGNORE, so a duplicate never
    raises and the caller's transaction is not aborted). Our UUIDs tell which rows went in.
    """
    if not rows:
        return []
    if not any(r.dedupe_key for r in rows):
        OutboxMessage.objects.bulk_create(rows)
        return rows
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    inserted = set(
        OutboxMessage.objects.filter(pk__in=[r.pk for r in rows]).values_list("pk", flat=True)
    )
    return [r for r in rows if r.pk in inserted]


# ---- claim ----------------------------------------------------------------------------------


def _due(now: dt.datetime) -> Q:
    return Q(status=Status.PENDING, available_at__lte=now) | Q(
        status=Status.DELIVERING, lease_until__lte=now
    )


def claim_batch(
    *,
    worker_id: str,
    limit: int = 50,
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
    now: dt.datetime,
) -> list[OutboxMessage]:
    """Lease up to ``limit`` due messages, oldest first, for ``worker_id``.

    Due: pending with ``available_at <= now``, or delivering with an expired lease (its worker
    died). Each claim counts as an attempt, so a message that crashes its worker every time
    still ends dead. Must not run inside another transaction: the lock is meant to be short.
    """
    lease_until = now + dt.timedelta(seconds=lease_seconds)
    with transaction.atomic():
        qs = OutboxMessage.objects.filter(_due(now)).order_by("available_at", "created_at")
        if connection.features.has_select_for_update_skip_locked:
            # PostgreSQL: rows another worker is claiming right now are skipped, not waited for.
            qs = qs.select_for_update(skip_locked=True)
        # SQLite: BEGIN IMMEDIATE (settings) already makes this transaction the only writer.
        ids = list(qs.values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        OutboxMessage.objects.filter(pk__in=ids).update(
            status=Status.DELIVERING,
            leased_by=worker_id,
            lease_until=lease_until,
            attempts=F("attempts") + 1,
        )
        return list(
            OutboxMessage.objects.filter(pk__in=ids)
            .select_related("recipient")
            .order_by("available_at", "created_at")
        )


def _claim_one(message: OutboxMessage, *, worker_id: str, now: dt.datetime, lease: int) -> bool:
    """Conditional claim of a message that was not claimed by ``claim_batch``."""
    updated = OutboxMessage.objects.filter(pk=message.pk, status=Status.PENDING).update(
        status=Status.DELIVERING,
        leased_by=worker_id,
        lease_until=now + dt.timedelta(seconds=lease),
        attempts=F("attempts") + 1,
    )
    if updated:
        message.status = Status.DELIVERING
        message.leased_by = worker_id
        message.attempts += 1
    return bool(updated)


# ---- deliver --------------------------------------------------------------------------------


def backoff_seconds(attempts: int) -> int:
    base = int(getattr(settings, "KESU_OUTBOX_BACKOFF_SECONDS", 30))
    cap = int(getattr(settings, "KESU_OUTBOX_BACKOFF_MAX_SECONDS", 3600))
    return min(base * 2 ** max(attempts - 1, 0), cap)


def _owned(message: OutboxMessage) -> Q:
    return Q(pk=message.pk, status=Status.DELIVERING, leased_by=message.leased_by)


def _send_email(message: OutboxMessage, subject: str, body: str) -> None:
    if not message.address:
        raise PermanentDeliveryError("no email address")
    email = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.address],
        headers={
            "Message-ID": message.message_id_header,
            "X-Kesu-Message-Id": str(message.pk),
            "X-Kesu-Event": message.event,
            # RFC 3834: tells auto-responders (and our own mail intake) not to answer.
            "Auto-Submitted": "auto-generated",
        },
    )
    _attach(email, message.context)
    email.send(fail_silently=False)


def _attach(email: EmailMessage, context: Any) -> None:
    """Files named by the context's ``attachments`` (``[{"path", "name", "type"}]``, paths in
    the default storage) are read at send time, so the row stays small. A file gone since is
    left out: the message still carries its links."""
    from django.core.files.storage import default_storage

    for item in (context or {}).get("attachments") or ():
        try:
            with default_storage.open(item["path"], "rb") as handle:
                email.attach(item["name"], handle.read(), item.get("type"))
        except (OSError, KeyError, TypeError):
            log_event(logging.WARNING, "outbox.attachment_missing", item=str(item)[:200])


def _send_sms(message: OutboxMessage, body: str) -> None:
    if not message.address:
        raise PermanentDeliveryError("no phone number")
    send_sms(
        get_sms_gateway(),
        message.address,
        body,
        str(message.pk),
        event=message.event,
        params=message.context,
    )


def _mark_sent(message: OutboxMessage, now: dt.datetime) -> bool:
    updated = OutboxMessage.objects.filter(_owned(message)).update(
        status=Status.SENT, sent_at=now, lease_until=None, last_error=""
    )
    if updated:
        message.status, message.sent_at, message.lease_until = Status.SENT, now, None
        message.last_error = ""
    return bool(updated)


def _mark_failed(
    message: OutboxMessage, error: str, now: dt.datetime, *, permanent: bool = False
) -> None:
    dead = permanent or message.attempts >= message.max_attempts
    fields: dict[str, Any] = {"lease_until": None, "last_error": error[:4000]}
    if dead:
        fields["status"] = Status.DEAD
    else:
        fields["status"] = Status.PENDING
        fields["available_at"] = now + dt.timedelta(seconds=backoff_seconds(message.attempts))
    updated = OutboxMessage.objects.filter(_owned(message)).update(**fields)
    if updated:
        for name, value in fields.items():
            setattr(message, name, value)
    log_event(
        logging.WARNING,
        "outbox.failed",
        id=str(message.pk),
        outbox_event=message.event,
        channel=message.channel,
        attempts=message.attempts,
        status=fields["status"],
        error=error[:500],
    )


def deliver(
    message: OutboxMessage,
    *,
    now: dt.datetime,
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
) -> bool:
    """Render and send one message; True if it is now ``sent``.

    A message claimed by ``claim_batch`` has its lease renewed right before the send (so a long
    batch does not let another worker take it over mid-way); if the lease was lost meanwhile
    nothing is sent. A ``pending`` message is claimed here first (admin "send now", tests).
    """
    if message.status == Status.PENDING:
        if not _claim_one(message, worker_id=f"direct-{os.getpid()}", now=now, lease=lease_seconds):
            return False
    elif message.status != Status.DELIVERING:
        return False  # sent or dead: nothing to do
    renewed = OutboxMessage.objects.filter(_owned(message)).update(
        lease_until=now + dt.timedelta(seconds=lease_seconds)
    )
    if not renewed:
        log_event(logging.INFO, "outbox.lease_lost", id=str(message.pk), by=message.leased_by)
        return False
    if message.attempts > message.max_attempts:
        # Only reachable through expired leases: the worker died on every try.
        _mark_failed(message, "worker lost the message on every attempt", now, permanent=True)
        return False

    try:
        if message.channel == Channel.WEBHOOK:
            subject = body = ""  # the payload is the context itself, no template
        else:
            subject, body = render(
                message.event, message.channel, message.language, message.context
            )
        if message.channel == Channel.INAPP:
            if not _deliver_inapp(message, subject, body, now):
                log_event(logging.INFO, "outbox.lease_lost", id=str(message.pk))
                return False
        else:
            if message.channel == Channel.EMAIL:
                _send_email(message, subject, body)
            elif message.channel == Channel.SMS:
                _send_sms(message, body)
            elif message.channel == Channel.WEBHOOK:
                from kesu.outbox.webhooks.delivery import send_webhook  # imports this module

                send_webhook(message, now=now)
            else:
                raise PermanentDeliveryError(f"unknown channel {message.channel!r}")
            if not _mark_sent(message, now):
                # Sent, but another worker took the lease meanwhile and will send it again
                # with the same Message-ID; nothing better to do once the provider has it.
                log_event(logging.WARNING, "outbox.sent_after_lease_lost", id=str(message.pk))
    except (PermanentDeliveryError, TemplateMissing) as exc:
        _mark_failed(message, f"{type(exc).__name__}: {exc}", now, permanent=True)
        return False
    except Exception as exc:
        _mark_failed(message, f"{type(exc).__name__}: {exc}", now)
        return False
    log_event(
        logging.INFO,
        "outbox.sent",
        id=str(message.pk),
        outbox_event=message.event,
        channel=message.channel,
    )
    return True


class _LeaseLost(Exception):
    pass


def _deliver_inapp(message: OutboxMessage, subject: str, body: str, now: dt.datetime) -> bool:
    if message.recipient_id is None:
        raise PermanentDeliveryError("in-app message without a recipient")
    # Notification row and "sent" commit together; the one-to-one key makes a re-delivery
    # find the existing row instead of showing the notification twice.
    try:
        with transaction.atomic():
            Notification.objects.get_or_create(
                message=message,
                defaults={
                    "user_id": message.recipient_id,
                    "title": subject[:255],
                    "body": body,
                    "complaint_id": message.complaint_id,
                    "created_at": now,
                },
            )
            if not _mark_sent(message, now):
                raise _LeaseLost
    except _LeaseLost:
        return False
    return True


def _release(messages: Iterable[OutboxMessage], worker_id: str) -> int:
    """Give claimed but untouched messages back (graceful stop); the claim did not count."""
    ids = [m.pk for m in messages]
    if not ids:
        return 0
    return OutboxMessage.objects.filter(
        pk__in=ids, status=Status.DELIVERING, leased_by=worker_id
    ).update(
        status=Status.PENDING,
        leased_by="",
        lease_until=None,
        attempts=F("attempts") - 1,
    )


def deliver_due(
    *,
    worker_id: str,
    now: dt.datetime,
    limit: int = 50,
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
    stop: threading.Event | None = None,
) -> int:
    """Claim due messages and deliver them one by one; returns how many were claimed.

    ``stop`` (set by the worker's signal handler) ends the batch after the current message; the
    rest is released at once instead of waiting for its lease to expire.
    """
    if stop is not None and stop.is_set():
        return 0
    batch = claim_batch(worker_id=worker_id, limit=limit, lease_seconds=lease_seconds, now=now)
    started = time.monotonic()
    for index, message in enumerate(batch):
        if stop is not None and stop.is_set():
            released = _release(batch[index:], worker_id)
            log_event(logging.INFO, "outbox.released", worker=worker_id, count=released)
            break
        # Time moves on during a batch; keep the caller's clock but add what has elapsed.
        current = now + dt.timedelta(seconds=time.monotonic() - started)
        deliver(message, now=current, lease_seconds=lease_seconds)
    return len(batch)


def resend(message: OutboxMessage, *, now: dt.datetime | None = None) -> bool:
    """Put a dead message back in the queue with a fresh attempt budget."""
    now = now or timezone.now()
    fields: dict[str, Any] = {
        "status": Status.PENDING,
        "attempts": 0,
        "available_at": now,
        "lease_until": None,
        "leased_by": "",
    }
    updated = OutboxMessage.objects.filter(pk=message.pk, status=Status.DEAD).update(**fields)
    if updated:
        for name, value in fields.items():
            setattr(message, name, value)
        log_event(logging.INFO, "outbox.resend", id=str(message.pk))
    return bool(updated)
