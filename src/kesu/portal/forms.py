"""The portal's forms: they read and check what the customer typed, nothing more. Creating and
changing complaints is the services' work (``kesu.portal.services`` and the domain's)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kesu.complaints.errors import DomainError, InvalidInput
from kesu.portal.uploads import ACCEPT, check_files
from kesu.web.errors import field_errors
from kesu.web.forms import CheckedForm

HONEYPOT = "website"
RATINGS = [(str(n), str(n)) for n in range(1, 6)]


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class EvidenceField(forms.Field):
    """Several photos or PDFs; cleaned into ``CheckedFile`` values (content-checked)."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", ACCEPT)

    def clean(self, value: Any) -> list:
        files = [f for f in (value or []) if f]
        try:
            return check_files(files, field="files")
        except InvalidInput as exc:
            raise ValidationError(list(field_errors(exc).values())) from None


def _text(attrs: dict[str, Any], rows: int | None = None) -> forms.Widget:
    if rows:
        return forms.Textarea(attrs={"rows": rows, **attrs})
    return forms.TextInput(attrs=attrs)


class SubmitForm(CheckedForm):
    """A complaint from the portal. ``categories`` come from the active policy; with a
    ``profile`` (a signed-in customer) the contact fields are the profile's and not asked."""

    customer_name = forms.CharField(
        label=_("Your name"),
        max_length=100,
        widget=_text({"autocomplete": "name", "data-test": "customer-name"}),
    )
    customer_company = forms.CharField(
        label=_("Company (if you complain for one)"),
        max_length=200,
        required=False,
        widget=_text({"autocomplete": "organization", "data-test": "customer-company"}),
    )
    customer_phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "tel",
                "autocomplete": "tel",
                "inputmode": "tel",
                "data-test": "customer-phone",
            }
        ),
    )
    customer_email = forms.CharField(
        label=_("Email"),
        max_length=254,
        required=False,
        widget=forms.TextInput(
            attrs={"type": "email", "autocomplete": "email", "data-test": "customer-email"}
        ),
    )
    category = forms.ChoiceField(
        label=_("What is it about?"),
        widget=forms.Select(attrs={"data-test": "category"}),
    )
    description = forms.CharField(
        label=_("What happened?"),
        max_length=5000,
        widget=_text({"data-test": "description"}, rows=6),
    )
    demand = forms.CharField(
        label=_("What would you like us to do?"),
        max_length=2000,
        required=False,
        widget=_text({"data-test": "demand"}, rows=3),
    )
    order_no = forms.CharField(
        label=_("Order no."),
        max_length=60,
        required=False,
        widget=_text({"data-test": "order-no", "autocomplete": "off"}),
    )
    waybill_no = forms.CharField(
        label=_("Waybill no."),
        max_length=60,
        required=False,
        widget=_text({"data-test": "waybill-no", "autocomplete": "off"}),
    )
    incident_at = forms.DateTimeField(
        label=_("When did it happen?"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(
            format="%Y-%m-%dT%H:%M",
            attrs={"type": "datetime-local", "data-test": "incident-at"},
        ),
    )
    incident_place = forms.CharField(
        label=_("Where did it happen?"),
        max_length=200,
        required=False,
        widget=_text({"data-test": "incident-place"}),
    )
    files = EvidenceField(
        label=_("Photos or documents"),
        widget=MultipleFileInput(attrs={"data-test": "files"}),
    )
    # Hidden from people (CSS, aria-hidden, no tab stop); robots that fill every field fill it.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "tabindex": "-1", "data-test": "honeypot"}
        ),
    )

    CONTACT_FIELDS = ("customer_name", "customer_company", "customer_phone", "customer_email")

    def __init__(
        self, *args: Any, categories: list[Any], profile: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        english = (get_language() or "").startswith("en")
        choices = [(c.code, (c.name_en if english and c.name_en else c.name)) for c in categories]
        self.fields["category"].choices = [("", _("Choose…")), *choices]
        self.profile = profile
        if profile is not None:
            for name in self.CONTACT_FIELDS:
                del self.fields[name]

    def clean_incident_at(self) -> Any:
        value = self.cleaned_data.get("incident_at")
        if value is not None and value > timezone.now():
            raise ValidationError(_("The time cannot be in the future."))
        return value

    @property
    def is_robot(self) -> bool:
        return bool((self.data.get(HONEYPOT) or "").strip())


class VersionedForm(CheckedForm):
    """The version of the complaint the customer saw: a change made meanwhile by someone else
    is reported instead of being silently overtaken."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class InfoForm(VersionedForm):
    text = forms.CharField(
        label=_("Information to add"),
        max_length=5000,
        required=False,
        widget=_text({"data-test": "info-text"}, rows=4),
    )
    files = EvidenceField(
        label=_("Photos or documents"),
        widget=MultipleFileInput(attrs={"data-test": "info-files"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and not (data.get("text") or "").strip() and not data.get("files"):
            raise ValidationError(_("Write what you want to add, or choose a file."))
        return data


class ProvideInfoForm(InfoForm):
    text = forms.CharField(
        label=_("Your answer"),
        max_length=5000,
        required=False,
        widget=_text({"data-test": "provide-text"}, rows=4),
    )
    files = EvidenceField(
        label=_("Photos or documents"),
        widget=MultipleFileInput(attrs={"data-test": "provide-files"}),
    )


class RateForm(VersionedForm):
    outcome_rating = forms.TypedChoiceField(
        label=_("How satisfied are you with the outcome?"),
        choices=RATINGS,
        coerce=int,
        widget=forms.RadioSelect(attrs={"data-test": "outcome-rating"}),
    )
    process_rating = forms.TypedChoiceField(
        label=_("How satisfied are you with the way we handled your complaint?"),
        choices=RATINGS,
        coerce=int,
        widget=forms.RadioSelect(attrs={"data-test": "process-rating"}),
    )
    accepted = forms.TypedChoiceField(
        label=_("Do you accept the outcome, so that we can close the complaint?"),
        choices=[("yes", _("Yes, close it")), ("no", _("No, please handle it again"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect(attrs={"data-test": "accepted"}),
    )
    comment = forms.CharField(
        label=_("Anything you want to tell us (optional)"),
        max_length=2000,
        required=False,
        widget=_text({"data-test": "rate-comment"}, rows=3),
    )


class ReopenForm(VersionedForm):
    reason = forms.CharField(
        label=_("Why are you not satisfied?"),
        max_length=2000,
        widget=_text({"data-test": "reopen-reason"}, rows=4),
    )


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on the form: field by field where it names fields the form
    has, otherwise above the form."""
    errors = field_errors(exc)
    if not errors:
        form.add_error(None, str(exc.message))
        return
    for name, message in errors.items():
        form.add_error(name if name in form.fields else None, message)
