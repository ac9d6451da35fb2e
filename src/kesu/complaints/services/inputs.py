"""Checking what a caller hands a service: required text, departments, handlers."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kesu.accounts.models import Department, Role, User
from kesu.complaints.errors import InvalidInput

# How a contact with the customer is made (the console labels them: console.forms).
CONTACT_CHANNELS = ("phone", "email", "sms", "letter", "visit", "chat", "portal", "wechat")


def contact_channel(channel: str, field: str = "channel") -> str:
    if channel not in CONTACT_CHANNELS:
        raise InvalidInput(errors={field: _("Unknown contact channel.")})
    return channel


def clean_text(text: str, field: str, *, required: bool = True) -> str:
    text = (text or "").strip()
    if required and not text:
        raise InvalidInput(errors={field: _("This field is required.")})
    return text


def department_ref(code_or_id: str | int) -> Department:
    dept = (
        Department.objects.filter(pk=code_or_id).first()
        if isinstance(code_or_id, int)
        else Department.objects.filter(code=code_or_id).first()
    )
    if dept is None:
        raise InvalidInput(errors={"department": _("Unknown department.")})
    return dept


def check_handler(handler: User | None, dept: Department) -> None:
    if handler is None:
        return
    if handler.role not in (Role.HANDLER, Role.MANAGER) or handler.department_id != dept.pk:
        raise InvalidInput(errors={"handler": _("The handler must work in that department.")})
    if not handler.is_active:
        raise InvalidInput(errors={"handler": _("This user is not active.")})
