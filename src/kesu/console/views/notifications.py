"""The signed-in staff member's notifications: newest first, unread marked, each linked to its
complaint; opening a complaint marks its notifications read (see ``complaint.detail``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from kesu.complaints.models import Complaint
from kesu.outbox.inbox import inbox_page, mark_read
from kesu.web.access import staff_required


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


@staff_required
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = inbox_page(
        request.user, before=_int_or_none(request.GET.get("before")), unread_only=unread_only
    )
    ids = {n.complaint_id for n in page.rows if n.complaint_id}
    numbers = dict(Complaint.objects.filter(pk__in=ids).values_list("pk", "number"))
    for n in page.rows:
        n.number = numbers.get(n.complaint_id)  # type: ignore[attr-defined]
    return render(
        request,
        "console/notifications/inbox.html",
        {
            "title": _("Notifications"),
            "nav": "notifications",
            "page": page,
            "unread_only": unread_only,
        },
    )


@staff_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    changed = mark_read(request.user)
    messages.success(
        request,
        ngettext(
            "%(count)d notification marked read.", "%(count)d notifications marked read.", changed
        )
        % {"count": changed},
    )
    return redirect("console:notifications")
