"""Improvement actions and audits in the admin: read-only. Every change goes through the
services (console, API), which keep the history and send the notifications."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from kesu.improvement.models import (
    ActionAttachment,
    ActionEvent,
    Audit,
    AuditEvent,
    AuditItem,
    ImprovementAction,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ActionEventInline(admin.TabularInline):
    model = ActionEvent
    fields = ["at", "kind", "from_status", "to_status", "actor", "data"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ActionAttachmentInline(ActionEventInline):
    model = ActionAttachment
    fields = ["name", "content_type", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields


@admin.register(ImprovementAction)
class ImprovementActionAdmin(ReadOnlyAdmin):
    list_display = ["id", "title", "kind", "source", "status", "owner", "department", "due_at"]
    list_filter = ["status", "kind", "source", "department"]
    search_fields = ["title", "description", "root_cause"]
    date_hierarchy = "created_at"
    inlines = [ActionAttachmentInline, ActionEventInline]


class AuditItemInline(ActionEventInline):
    model = AuditItem
    fields = [
        "complaint",
        "timely",
        "process_followed",
        "solution_reasonable",
        "customer_satisfied",
        "records_complete",
        "score",
        "scored_by",
        "scored_at",
    ]
    readonly_fields = fields


class AuditEventInline(ActionEventInline):
    model = AuditEvent
    fields = ["at", "kind", "actor", "data"]
    readonly_fields = fields


@admin.register(Audit)
class AuditAdmin(ReadOnlyAdmin):
    list_display = ["id", "department", "month", "status", "sample_size", "seed", "created_by"]
    list_filter = ["status", "department"]
    inlines = [AuditItemInline, AuditEventInline]
