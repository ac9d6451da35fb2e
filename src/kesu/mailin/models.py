"""What email intake remembers: each mailbox's progress and every mail it handled."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Mailbox(models.Model):
    """Progress on one configured mailbox (its connection settings live in the settings)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    # IMAP UIDs are only meaningful under one UIDVALIDITY; a new value means the server
    # renumbered the folder, and Message-IDs are then what prevents handling a mail twice.
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"), null=True, blank=True)
    last_uid = models.BigIntegerField(_("last UID handled"), default=0)
    last_poll_at = models.DateTimeField(_("last poll"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last successful poll"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.name


class InboundMail(models.Model):
    """One mail taken from a mailbox and what became of it.

    ``(mailbox, message_id)`` is unique and the row is written in the same transaction as the
    complaint or timeline entry the mail caused, so a crash before the mail is flagged on the
    server never makes a second complaint: the next poll finds the row and skips the mail.
    """

    class Outcome(models.TextChoices):
        CREATED = "created", _("Opened a complaint")
        REPLY = "reply", _("Added to its complaint")
        IGNORED_BOUNCE = "ignored_bounce", _("Ignored: bounce")
        IGNORED_AUTOREPLY = "ignored_autoreply", _("Ignored: automatic reply")
        IGNORED_LOOP = "ignored_loop", _("Ignored: our own mail")
        IGNORED_UNKNOWN_SENDER = "ignored_unknown_sender", _("Ignored: not the customer")
        FAILED = "failed", _("Failed")

    mailbox = models.ForeignKey(
        Mailbox, verbose_name=_("mailbox"), on_delete=models.PROTECT, related_name="mails"
    )
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"), null=True, blank=True)
    uid = models.BigIntegerField(_("UID"))
    # The mail's Message-ID, or a digest of its bytes when it has none.
    message_id = models.CharField(_("Message-ID"), max_length=255)
    from_address = models.CharField(_("from"), max_length=254, blank=True)
    from_name = models.CharField(_("sender name"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    sent_at = models.DateTimeField(_("date (sender's)"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived (server's)"), null=True, blank=True)
    processed_at = models.DateTimeField(_("processed at"))
    outcome = models.CharField(_("outcome"), max_length=30, choices=Outcome.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    complaint = models.ForeignKey(
        "complaints.Complaint",
        verbose_name=_("complaint"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_mails",
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    error = models.TextField(_("error"), blank=True)
    # Attachments not kept, with why: [{"name": ..., "reason": ...}].
    skipped_files = models.JSONField(_("attachments not kept"), default=list, blank=True)

    class Meta:
        ordering = ["-processed_at", "-id"]
        verbose_name = _("incoming mail")
        verbose_name_plural = _("incoming mails")
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "message_id"], name="mailin_one_row_per_message"
            ),
        ]
        indexes = [
            models.Index(fields=["outcome", "processed_at"], name="mailin_outcome_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.from_address}: {self.subject} ({self.outcome})"
