"""The forms of the improvement pages: they check shape only (types, lengths, choices);
``kesu.improvement.services`` / ``audits`` decide everything else."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kesu.accounts.models import STAFF_ROLES, Department, User
from kesu.improvement.models import CHECKLIST, ActionKind, ActionSource, ActionStatus
from kesu.web.forms import CheckedForm

YES_NO = [("", "—"), ("1", gettext_lazy("Yes")), ("0", gettext_lazy("No"))]


def parse_month(text: str) -> date:
    """'2026-10' (what <input type=month> sends) → date(2026, 10, 1)."""
    return date.fromisoformat(f"{text.strip()[:7]}-01")


def end_of_day(day: date) -> datetime:
    """A due date is due at the end of that day, local time."""
    return datetime.combine(day, time(23, 59), tzinfo=timezone.get_default_timezone())


def staff_choices() -> list[tuple[str, str]]:
    people = User.objects.filter(is_active=True, role__in=STAFF_ROLES).order_by("username")
    return [("", "—")] + [(str(u.pk), str(u)) for u in people]


def department_choices() -> list[tuple[str, str]]:
    return [("", "—")] + [(str(d.pk), d.name) for d in Department.objects.order_by("code")]


class ActionFilterForm(CheckedForm):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All")), *ActionStatus.choices],
    )
    owner = forms.TypedChoiceField(
        label=gettext_lazy("Owner"), required=False, coerce=int, empty_value=None
    )
    department = forms.TypedChoiceField(
        label=gettext_lazy("Department"), required=False, coerce=int, empty_value=None
    )
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)
    mine = forms.BooleanField(label=gettext_lazy("Mine only"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = staff_choices()
        self.fields["department"].choices = department_choices()


class ActionCreateForm(CheckedForm):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ActionKind.choices)
    source = forms.ChoiceField(label=gettext_lazy("Source"), choices=ActionSource.choices)
    complaints = forms.CharField(
        label=gettext_lazy("Complaint numbers"),
        required=False,
        max_length=2000,
        help_text=gettext_lazy("Separated by spaces or commas."),
    )
    root_cause = forms.ChoiceField(label=gettext_lazy("Root cause"), required=False)
    report_month = forms.CharField(
        label=gettext_lazy("Report month"),
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}),
    )
    audit_item = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    finding = forms.CharField(
        label=gettext_lazy("Finding"), required=False, max_length=20_000, widget=forms.Textarea
    )
    description = forms.CharField(
        label=gettext_lazy("What is to be done"), max_length=20_000, widget=forms.Textarea
    )
    owner = forms.TypedChoiceField(label=gettext_lazy("Owner"), coerce=int)
    department = forms.TypedChoiceField(
        label=gettext_lazy("Responsible department"), required=False, coerce=int, empty_value=None
    )
    due = forms.DateField(
        label=gettext_lazy("Due date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    check_after_days = forms.IntegerField(
        label=gettext_lazy("Check the effect after (days)"),
        required=False,
        min_value=1,
        max_value=366,
    )

    def __init__(self, *args: Any, root_causes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["root_cause"].choices = [("", "—"), *root_causes]
        self.fields["owner"].choices = staff_choices()
        self.fields["department"].choices = department_choices()

    def clean_report_month(self) -> date | None:
        text = (self.cleaned_data.get("report_month") or "").strip()
        if not text:
            return None
        try:
            return parse_month(text)
        except ValueError:
            raise forms.ValidationError(gettext_lazy("Give the month as YYYY-MM.")) from None


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class StartForm(CheckedForm):
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, max_length=20_000, widget=forms.Textarea
    )


class CompleteForm(CheckedForm):
    evidence = forms.CharField(
        label=gettext_lazy("Evidence: what was done"), max_length=20_000, widget=forms.Textarea
    )
    files = MultipleFileField(label=gettext_lazy("Files"), required=False)


class MeasureForm(CheckedForm):
    pass


class ConfirmForm(CheckedForm):
    effective = forms.TypedChoiceField(
        label=gettext_lazy("Was the action effective?"),
        choices=[("1", gettext_lazy("Effective")), ("0", gettext_lazy("Not effective"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=20_000, widget=forms.Textarea)
    follow_up_due = forms.DateField(
        label=gettext_lazy("Follow-up action due (if not effective)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class CancelForm(CheckedForm):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=20_000, widget=forms.Textarea)


STEP_FORMS: dict[str, type[forms.Form]] = {
    "start": StartForm,
    "complete": CompleteForm,
    "measure": MeasureForm,
    "confirm": ConfirmForm,
    "cancel": CancelForm,
}
STEP_LABELS = {
    "start": gettext_lazy("Start work"),
    "complete": gettext_lazy("Report done with evidence"),
    "measure": gettext_lazy("Count complaints before and after"),
    "confirm": gettext_lazy("Record the effectiveness verdict"),
    "cancel": gettext_lazy("Cancel the action"),
}


# ---- audits ---------------------------------------------------------------------------------


class DrawForm(CheckedForm):
    department = forms.TypedChoiceField(label=gettext_lazy("Department"), coerce=int)
    month = forms.CharField(
        label=gettext_lazy("Month"), widget=forms.DateInput(attrs={"type": "month"})
    )
    size = forms.IntegerField(
        label=gettext_lazy("Sample size"), required=False, min_value=1, max_value=500
    )
    percent = forms.IntegerField(
        label=gettext_lazy("or share of the month's closed complaints (%)"),
        required=False,
        min_value=1,
        max_value=100,
    )
    seed = forms.IntegerField(
        label=gettext_lazy("Random seed (empty: a new one)"),
        required=False,
        min_value=0,
        max_value=2**62 - 1,
    )
    note = forms.CharField(
        label=gettext_lazy("Note"), required=False, max_length=20_000, widget=forms.Textarea
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = department_choices()[1:]

    def clean_month(self) -> date:
        text = (self.cleaned_data.get("month") or "").strip()
        try:
            return parse_month(text)
        except ValueError:
            raise forms.ValidationError(gettext_lazy("Give the month as YYYY-MM.")) from None


class ScoreForm(CheckedForm):
    finding = forms.CharField(
        label=gettext_lazy("Finding"), required=False, max_length=20_000, widget=forms.Textarea
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in CHECKLIST:
            self.fields[name] = forms.TypedChoiceField(
                label=label,
                choices=[("1", gettext_lazy("Pass")), ("0", gettext_lazy("Fail"))],
                coerce=lambda v: v == "1",
                widget=forms.RadioSelect,
            )
            self.fields[f"note_{name}"] = forms.CharField(
                label=gettext_lazy("Note"), required=False, max_length=2000
            )

    def points(self) -> dict[str, bool]:
        return {name: self.cleaned_data[name] for name, _label in CHECKLIST}

    def notes(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(f"note_{name}", "") for name, _label in CHECKLIST}


class CompleteAuditForm(CheckedForm):
    note = forms.CharField(
        label=gettext_lazy("Conclusion"), required=False, max_length=20_000, widget=forms.Textarea
    )
