"""The base of every console and portal form: ``kesu.complaints.input_rules`` applied to what a
browser (or anything posing as one) sends, as the API's field types apply it.

A text input takes one line; a textarea takes line breaks and tabs; neither takes NUL or other
control characters. Dates and times lie within the years the application can compute with.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from kesu.complaints.input_rules import MESSAGES, in_year_range, text_problem


class CheckedForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name, field in self.fields.items():
            message = _problem(field, data.get(name))
            if message is not None and name in data:
                self.add_error(name, message)
        return data


def _problem(field: forms.Field, value: Any) -> Any:
    if isinstance(value, date) and not in_year_range(value):
        return _("The date is out of range.")
    if isinstance(field, forms.CharField) and isinstance(value, str):
        multiline = isinstance(field.widget, forms.Textarea)
        problem = text_problem(value, multiline=multiline)
        return MESSAGES[problem] if problem else None
    return None


def one_line(value: str) -> None:
    """A field validator: ``kesu.complaints.input_rules`` for one line of text."""
    problem = text_problem(value, multiline=False)
    if problem:
        raise ValidationError(MESSAGES[problem])


class SignInForm(AuthenticationForm):
    """Django's sign-in form with the user name checked before anyone is looked up: Django
    only sets its length for the page, and django-axes stores every name that failed (one
    longer than its column was a 500 on PostgreSQL)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators += [MaxLengthValidator(username.max_length), one_line]
