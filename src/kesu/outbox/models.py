"""Transactional outbox: messages written in the domain transaction, delivered by the worker.

A row here is the promise to send one message on one channel to one recipient. The domain
services insert rows inside their own transaction (``services.notify``), so a state change and its
notifications commit together or not at all; the worker claims due rows and sends them.
"""

from __future__ import annotations

import string
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    INAPP = "inapp", _("In-app")


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
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
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

    def is_due(self, now: datetime, interval: float) -> bool:
        free = self.lease_until is None or self.lease_until <= now
        due = self.last_run_at is None or self.last_run_at <= now - timedelta(seconds=interval)
        return free and due
