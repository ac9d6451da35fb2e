"""Staff see what the mailboxes brought in and why a mail was ignored; nothing is edited."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from kesu.mailin.models import InboundMail, Mailbox


class ReadOnlyAdmin(admin.ModelAdmin):
    # Written by the poller only: the admin watches.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Mailbox)
class MailboxAdmin(ReadOnlyAdmin):
    list_display = ["name", "last_poll_at", "last_success_at", "last_uid", "last_error"]


@admin.register(InboundMail)
class InboundMailAdmin(ReadOnlyAdmin):
    list_display = [
        "processed_at",
        "mailbox",
        "from_address",
        "subject",
        "outcome",
        "reason",
        "complaint",
        "attempts",
    ]
    list_filter = ["outcome", "mailbox"]
    search_fields = ["from_address", "subject", "=message_id", "complaint__number", "reason"]
    list_select_related = ["mailbox", "complaint"]
    date_hierarchy = "processed_at"
