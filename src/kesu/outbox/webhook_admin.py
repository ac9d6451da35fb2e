"""Admin for webhook endpoints and their delivery log (registered from ``admin.py``).

The secret is generated, never typed: it is shown once, when the endpoint is created or a new
one is generated, and masked after that.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from kesu.complaints.models import EventKind
from kesu.outbox.models import WebhookDelivery, WebhookEndpoint, new_webhook_secret
from kesu.outbox.webhooks.queue import queue_ping


class WebhookEndpointForm(forms.ModelForm):
    # The model validates the scheme (http/https); assume_scheme is for a typed bare host.
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=EventKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Timeline event kinds to send; none selected: all."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "events", "is_active"]


def _show_secret(admin_: admin.ModelAdmin, request: HttpRequest, endpoint: WebhookEndpoint) -> None:
    admin_.message_user(
        request,
        gettext("Secret of %(name)s (shown only now, keep it with the receiver): %(secret)s")
        % {"name": endpoint.name, "secret": endpoint.secret},
        messages.WARNING,
    )


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["name", "url", "is_active", "event_list", "last_delivery", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "url"]
    readonly_fields = ["masked_secret", "created_at", "delivery_log"]
    actions = ["send_test_ping", "generate_new_secret"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookEndpoint]:
        last = WebhookDelivery.objects.filter(endpoint=OuterRef("pk")).order_by("-at", "-id")
        return (
            super()
            .get_queryset(request)
            .annotate(
                last_status=Subquery(last.values("status_code")[:1]),
                last_outcome=Subquery(last.values("outcome")[:1]),
                last_at=Subquery(last.values("at")[:1]),
            )
        )

    @admin.display(description=_("events"))
    def event_list(self, obj: WebhookEndpoint) -> str:
        return ", ".join(obj.events) if obj.events else gettext("all")

    @admin.display(description=_("last delivery"), ordering="last_at")
    def last_delivery(self, obj: WebhookEndpoint) -> str:
        if getattr(obj, "last_at", None) is None:
            return "—"
        outcome = WebhookDelivery.Outcome(obj.last_outcome).label
        return f"{obj.last_status or '—'} {outcome}"

    @admin.display(description=_("secret"))
    def masked_secret(self, obj: WebhookEndpoint) -> str:
        if not obj.pk:
            return gettext("Generated when saved, then shown once.")
        return f"{obj.secret[:4]}…"

    @admin.display(description=_("delivery log"))
    def delivery_log(self, obj: WebhookEndpoint) -> str:
        if not obj.pk:
            return "—"
        url = reverse("admin:outbox_webhookdelivery_changelist")
        return format_html(
            '<a href="{}?endpoint__id__exact={}">{}</a>', url, obj.pk, gettext("Deliveries")
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            _show_secret(self, request, obj)

    @admin.action(description=_("Send a test ping"))
    def send_test_ping(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        count = 0
        for endpoint in queryset:
            queue_ping(endpoint)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d ping queued.", "%(count)d pings queued.", count) % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Generate a new secret"))
    def generate_new_secret(
        self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]
    ) -> None:
        # Messages already queued are signed with the new secret when they go out.
        for endpoint in queryset:
            endpoint.secret = new_webhook_secret()
            endpoint.save(update_fields=["secret"])
            _show_secret(self, request, endpoint)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "at",
        "endpoint",
        "message_link",
        "attempt",
        "status_code",
        "outcome",
        "duration_ms",
    ]
    list_filter = ["endpoint", "outcome", "status_code"]
    search_fields = ["=message__id", "error", "response_excerpt"]
    list_select_related = ["endpoint", "message"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    @admin.display(description=_("message"))
    def message_link(self, obj: WebhookDelivery) -> str:
        url = reverse("admin:outbox_outboxmessage_change", args=[obj.message_id])
        return format_html('<a href="{}">{}</a>', url, obj.message.event)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
