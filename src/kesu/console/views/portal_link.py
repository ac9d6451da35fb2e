"""The customer's private link on the complaint page: until when it works, and the button
customer service uses to replace it (services.portal_links.complaint_renew_portal_link).

The panel is ``console/complaint/_portal_link.html``; htmx swaps it in place after a renewal,
a plain form post gets the page back with a message. Staff never see the link itself: it goes
to the customer only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kesu.accounts.models import User
from kesu.complaints.access import complaint_for_user, may_renew_portal_link
from kesu.complaints.errors import DomainError, InvalidInput, NotFound
from kesu.complaints.models import Channel, Complaint
from kesu.complaints.services.portal_links import (
    MAX_REASON,
    complaint_renew_portal_link,
    link_expired,
)
from kesu.web.access import staff_required
from kesu.web.errors import error_response
from kesu.web.forms import CheckedForm

PANEL = "console/complaint/_portal_link.html"


class RenewForm(CheckedForm):
    reason = forms.CharField(
        label=gettext_lazy("Why (optional)"), max_length=MAX_REASON, required=False
    )


def panel(user: User, complaint: Complaint) -> dict[str, Any]:
    """What the panel shows this reader: the link's end and whether they may replace it."""
    expired = link_expired(complaint)
    return {
        "expires_at": complaint.portal_link_expires_at,
        "expired": expired,
        "may_renew": not expired and may_renew_portal_link(user, complaint),
        "form": RenewForm(),
    }


def _sent_notice(channels: list[str]) -> str:
    if not channels:
        return _(
            "The old link no longer works. The new one could not be sent: the customer has "
            "no email address or mobile number we may write to."
        )
    names = "、".join(str(Channel(c).label) for c in channels)
    return _(
        "The old link no longer works. The new one is on its way to the customer by %(channels)s."
    ) % {"channels": names}


@staff_required
@require_POST
def renew(request: HttpRequest, number: str) -> HttpResponse:
    try:
        complaint = complaint_for_user(request.user, number=number)
    except NotFound:
        raise Http404 from None
    form = RenewForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput(errors={k: " ".join(v) for k, v in form.errors.items()})
        renewed = complaint_renew_portal_link(
            complaint=complaint, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except DomainError as exc:
        return error_response(request, exc)
    notice = _sent_notice(renewed.sent_by)
    if getattr(request, "htmx", False):
        response = render(request, PANEL, {"c": renewed.complaint, "notice": notice})
        add_never_cache_headers(response)
        return response
    messages.success(request, notice)
    return redirect(reverse("console:complaint", args=[number]) + "#portal-link")
