"""Transactional outbox: messages written in the domain transaction, delivered by the worker.

A row here is the promise to send one message on one channel to one recipient. The domain
services insert rows inside their own transaction (``services.notify``), so a state change and its
notifications commit together or not at all; the worker claims due rows and sends them.
"""

from __future__ import annotations

import secrets
import string
import uuid
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    INAPP = "inapp", _("In-app")
    WEBHOOK = "webhook", _("Webhook")


# Channels with message templates (a webhook's payload is data, not text).
TEMPLATE_CHANNELS = [(c.value, c.label) for c in (Channel.EMAIL, Channel.SMS, Channel.INAPP)]


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class OutboxMessage(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERING = "delivering", _("Delivering")
        SENT = "sent", _("Sent")
        DEAD = "dead", _("Dead")

    Channel = Channel

    # Client-side UUID: the same id goes out as the email Message-ID and the SMS id, so a
    # re-delivery after a crash can be recognised by the receiving side.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.CharField(_("event"), max_length=80)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbox_messages",
    )
    # Email address or phone number, copied at notify() time (staff and customers alike).
    address = models.CharField(_("address"), max_length=254, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.ZH_HANS
    )
    context = models.JSONField(_("context"), default=dict, blank=True)
    # SET_NULL: a message outlives its complaint for the delivery audit (complaints are
    # PROTECTed elsewhere, so this hardly happens).
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=True,
        related_name="outbox_messages",
    )
    # Channel "webhook" only. SET_NULL keeps the message for the audit; delivering it then
    # fails for good ("endpoint deleted").
    webhook_endpoint = models.ForeignKey(
        "WebhookEndpoint",
        verbose_name=_("webhook endpoint"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("max attempts"), default=5)
    available_at = models.DateTimeField(_("available at"), default=timezone.now)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    leased_by = models.CharField(_("leased by"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    dedupe_key = models.CharField(
        _("dedupe key"), max_length=255, null=True, blank=True, unique=True
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        indexes = [
            # The claim query: status = pending AND available_at <= now ORDER BY available_at.
            models.Index(fields=["status", "available_at"], name="outbox_claim_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.channel}:{self.address or self.recipient_id} ({self.status})"

    @property
    def message_id_header(self) -> str:
        return f"<{self.id}@kesu>"


class Notification(models.Model):
    """An in-app notification for a staff user, created when its outbox message is delivered."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # One-to-one makes in-app delivery idempotent: a re-delivered message finds its row.
    message = models.OneToOneField(
        OutboxMessage, on_delete=models.CASCADE, related_name="notification"
    )
    title = models.CharField(_("title"), max_length=255)
    body = models.TextField(_("body"), blank=True)
    complaint_id = models.BigIntegerField(_("complaint"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"], name="outbox_notif_unread_idx")]

    def __str__(self) -> str:
        return self.title


def _check_format(text: str) -> None:
    try:
        list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ValidationError(
            _("Invalid placeholder syntax: %(error)s"), params={"error": exc}
        ) from None


class MessageTemplate(models.Model):
    """An admin-edited template; overrides the defaults in ``default_templates.py``."""

    event = models.CharField(_("event"), max_length=80)
    channel = models.CharField(_("channel"), max_length=10, choices=TEMPLATE_CHANNELS)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices)
    subject = models.CharField(
        _("subject"), max_length=255, blank=True, help_text=_("Placeholders like {number}.")
    )
    body = models.TextField(_("body"), help_text=_("Placeholders like {number}, {link}."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["event", "channel", "language"]
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "channel", "language"], name="outbox_template_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} / {self.channel} / {self.language}"

    def clean(self) -> None:
        _check_format(self.subject)
        _check_format(self.body)


class WorkerLease(models.Model):
    """One row per periodic job: who runs it now, until when, and when it last started."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    leased_by = models.CharField(_("leased by"), max_length=100, blank=True)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    last_run_at = models.DateTimeField(_("last run at"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("worker job lease")
        verbose_name_plural = _("worker job leases")

    def __str__(self) -> str:
        return self.name

    def is_due(self, now: datetime, last_start_allowed: datetime) -> bool:
        """Free (no live lease) and not started after ``last_start_allowed``."""
        free = self.lease_until is None or self.lease_until <= now
        due = self.last_run_at is None or self.last_run_at <= last_start_allowed
        return free and due


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """A receiver of signed complaint events (docs/webhooks.md)."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(
        _("URL"), max_length=500, validators=[URLValidator(schemes=["http", "https"])]
    )
    # The HMAC key: generated here, shown to the administrator once, never typed in.
    secret = models.CharField(
        _("secret"), max_length=100, default=new_webhook_secret, editable=False
    )
    events = models.JSONField(
        _("events"),
        default=list,
        blank=True,
        help_text=_("Timeline event kinds to send; none selected: all."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        self._forget_cached()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self._forget_cached()
        return result

    def _forget_cached(self) -> None:
        # The event path caches the active endpoints for one transaction (webhooks/queue.py);
        # a change made in this process must show at once, also inside that transaction.
        from kesu.outbox.webhooks.queue import forget_endpoints

        forget_endpoints()

    def clean(self) -> None:
        from kesu.complaints.models import EventKind

        if not isinstance(self.events, list):
            raise ValidationError({"events": _("A list of event kinds is expected.")})
        unknown = sorted(set(self.events) - set(EventKind.values))
        if unknown:
            raise ValidationError(
                {"events": _("Unknown event kinds: %(kinds)s") % {"kinds": ", ".join(unknown)}}
            )

    def wants(self, kind: str) -> bool:
        return not self.events or kind in self.events


class WebhookDelivery(models.Model):
    """The delivery log: one row per HTTP attempt of a webhook message, failures included."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("Delivered")
        RETRY = "retry", _("Failed, will retry")
        FAILED = "failed", _("Failed for good")

    message = models.ForeignKey(
        OutboxMessage,
        verbose_name=_("message"),
        on_delete=models.CASCADE,
        related_name="webhook_deliveries",
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    attempt = models.PositiveSmallIntegerField(_("attempt"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    response_excerpt = models.TextField(_("response (first 1 KB)"), blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["endpoint", "-at"], name="outbox_webhook_log_idx")]

    def __str__(self) -> str:
        return f"{self.endpoint_id} #{self.attempt} {self.status_code or self.error[:40]}"
