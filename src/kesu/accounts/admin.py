"""Administration of people (SPEC §8 Admin): users with their role and department,
departments, API tokens (issued with `kesu token create`; here they can only be revoked)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesu.accounts.models import ApiToken, Department, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "display_name", "role", "department", "email", "is_active")
    list_filter = ("role", "department", "is_active")
    search_fields = ("username", "display_name", "email", "phone")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            _("Complaint handling"),
            {"fields": ("display_name", "role", "department", "phone", "language")},
        ),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Complaint handling"), {"fields": ("display_name", "role", "department", "email")}),
    )


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "is_customer_service")
    search_fields = ("code", "name", "name_en")


@admin.action(description=_("Revoke the selected tokens"))
def revoke(modeladmin, request, queryset):
    queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    readonly_fields = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    exclude = ("token_hash",)
    actions = [revoke]

    def has_add_permission(self, request) -> bool:
        return False  # issued with `kesu token create`, which shows the secret once
