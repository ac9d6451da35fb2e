from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kesu.outbox import webhook_admin  # noqa: F401 (registers the webhook admins)
from kesu.outbox.models import MessageTemplate, Notification, OutboxMessage, WorkerLease
from kesu.outbox.services import resend


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "event",
        "channel",
        "recipient",
        "address",
        "status",
        "attempts",
        "available_at",
        "sent_at",
        "complaint",
    ]
    list_filter = ["status", "channel", "language", "event"]
    search_fields = ["=id", "address", "event", "dedupe_key", "complaint__number", "last_error"]
    list_select_related = ["recipient", "complaint"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    actions = ["resend_dead"]
    # The outbox is written by the domain services only; the admin watches and re-queues.
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Resend selected dead messages"))
    def resend_dead(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        requeued = sum(resend(message) for message in queryset)
        skipped = queryset.count() - requeued
        self.message_user(
            request,
            ngettext(
                "%(count)d message queued again.", "%(count)d messages queued again.", requeued
            )
            % {"count": requeued},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                _("%(count)d not dead, left as they were.") % {"count": skipped},
                messages.WARNING,
            )


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "title", "complaint_id", "read_at"]
    list_filter = ["read_at"]
    search_fields = ["title", "body", "user__username"]
    list_select_related = ["user"]
    raw_id_fields = ["user", "message"]
    date_hierarchy = "created_at"


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["event", "channel", "language", "subject", "updated_at"]
    list_filter = ["channel", "language", "event"]
    search_fields = ["event", "subject", "body"]


@admin.register(WorkerLease)
class WorkerLeaseAdmin(admin.ModelAdmin):
    list_display = ["name", "leased_by", "lease_until", "last_run_at"]
    readonly_fields = ["name", "leased_by", "lease_until", "last_run_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
