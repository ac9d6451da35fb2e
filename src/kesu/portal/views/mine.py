"""A signed-in customer's own complaints, newest first, each linking to its portal page."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kesu.accounts.models import Role
from kesu.complaints.access import visible_complaints
from kesu.complaints.models import Customer

PAGE_SIZE = 20


@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if user.role != Role.CUSTOMER:
        return redirect("home")  # staff have the console
    complaints = (
        visible_complaints(user)
        .only("number", "title", "state", "received_at", "next_due_at", "portal_token")
        .order_by("-received_at", "-pk")
    )
    page = Paginator(complaints, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "title": _("My complaints"),
        "page": page,
        "has_profile": Customer.objects.filter(user=user).exists(),
    }
    return render(request, "portal/mine.html", context)
