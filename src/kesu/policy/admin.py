"""Policies in the admin: every stored version, read-only (a complaint keeps the version it
was graded under), and a form that validates a new YAML document and activates it through
the loader — the same path as `kesu policy load`. Categories, levels and deadlines are edited
there, as part of the procedure."""

from __future__ import annotations

import yaml
from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from kesu.policy.loader import PolicyError, parse_policy, policy_activate
from kesu.policy.models import Policy


class PolicyUploadForm(forms.Form):
    document = forms.CharField(
        label=_("Policy document (YAML)"), widget=forms.Textarea(attrs={"rows": 30, "cols": 100})
    )

    def clean_document(self):
        text = self.cleaned_data["document"]
        try:
            data = yaml.safe_load(text)
            self.doc = parse_policy(data, source="admin")
        except yaml.YAMLError as exc:
            raise forms.ValidationError(_("Not valid YAML: %(error)s") % {"error": exc}) from None
        except PolicyError as exc:
            raise forms.ValidationError(str(exc)) from None
        return text


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "title", "is_active", "loaded_at", "source")
    list_filter = ("is_active", "name")
    readonly_fields = ("name", "version", "title", "source", "loaded_at", "is_active", "yaml")
    exclude = ("document", "checksum")
    change_list_template = "admin/policy/policy/change_list.html"

    @admin.display(description=_("document"))
    def yaml(self, obj: Policy) -> str:
        return yaml.safe_dump(obj.document, allow_unicode=True, sort_keys=False)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # complaints refer to the versions they were graded under

    def get_urls(self):
        extra = [
            path(
                "load/",
                self.admin_site.admin_view(self.load_view),
                name="policy_policy_load",
            )
        ]
        return extra + super().get_urls()

    def load_view(self, request):
        active = Policy.objects.filter(is_active=True).first()
        initial = {"document": self.yaml(active)} if active else {}
        form = PolicyUploadForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            row = policy_activate(doc=form.doc, source=f"admin:{request.user.username}")
            messages.success(
                request,
                _("Policy %(name)s v%(version)s is active.")
                % {"name": row.name, "version": row.version},
            )
            return redirect("admin:policy_policy_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": _("Load a policy"),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/policy/policy/load.html", context)
