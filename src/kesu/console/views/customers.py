"""A customer's requests about their personal data, in the console (docs/privacy.md): find the
customer, download the export of everything kept about them, erase their identity after a
confirmation step. For administrators and customer-service managers
(``access.handles_data_requests``); the work is ``complaints.services.customer_data``'s."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kesu.complaints.access import handles_data_requests
from kesu.complaints.errors import DomainError
from kesu.complaints.input_rules import MESSAGES, text_problem
from kesu.complaints.models import Customer, CustomerDataLog
from kesu.complaints.privacy import ERASED_NAME, REDACTED
from kesu.complaints.services import customer_data
from kesu.web.access import staff_required
from kesu.web.errors import error_response, field_errors

VIA = CustomerDataLog.Via.CONSOLE
MAX_REASON = 2000


def _data_requests_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not handles_data_requests(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return staff_required(wrapper)


def _customer(pk: int) -> Customer:
    return customer_data.customer_by_id(pk)


@_data_requests_only
def lookup(request: HttpRequest) -> HttpResponse:
    ref = request.GET.get("ref", "").replace("\x00", "").strip()[:254]
    found: list[Customer] = []
    error = ""
    if ref:
        try:
            found = customer_data.find_customers(ref)
        except DomainError as exc:
            error = "; ".join(field_errors(exc).values()) or str(exc.message)
    context = {
        "title": _("Customer data requests"),
        "nav": "customers",
        "ref": ref,
        "found": found,
        "error": error,
    }
    return render(request, "console/customers/lookup.html", context)


def _detail_context(customer: Customer) -> dict[str, Any]:
    complaints = list(customer.complaints.order_by("-received_at", "-pk"))
    return {
        "title": str(customer),
        "nav": "customers",
        "customer": customer,
        "complaints": complaints,
        "open_numbers": customer_data.open_numbers(complaints),
        "log": list(customer.data_log.select_related("actor").order_by("-at", "-pk")[:50]),
    }


@_data_requests_only
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        customer = _customer(pk)
    except DomainError as exc:
        return error_response(request, exc)
    return render(request, "console/customers/detail.html", _detail_context(customer))


@require_POST
@_data_requests_only
def export(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        customer = _customer(pk)
        content = customer_data.export_customer_data(customer, actor=request.user, via=VIA)
    except DomainError as exc:
        return error_response(request, exc)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="kesu-customer-{customer.pk}.zip"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@_data_requests_only
def erase(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what erasing does and the confirmation form. POST: erase, once confirmed."""
    try:
        customer = _customer(pk)
    except DomainError as exc:
        return error_response(request, exc)
    errors: dict[str, str] = {}
    status = 200
    reason = request.POST.get("reason", "").replace("\x00", "").strip()
    if request.method == "POST":
        if len(reason) > MAX_REASON:
            errors["reason"] = _("Keep the reason under %(n)s characters.") % {"n": MAX_REASON}
        problem = text_problem(request.POST.get("reason", ""), multiline=True)
        if problem:  # kesu.complaints.input_rules, as every form applies it
            errors["reason"] = str(MESSAGES[problem])
        if request.POST.get("confirm") != "yes":
            errors["confirm"] = _("Tick the box to confirm that the data is to be erased.")
        if not errors:
            try:
                result = customer_data.erase_customer(customer, request.user, reason, via=VIA)
            except DomainError as exc:
                errors = field_errors(exc) or {"general": str(exc.message)}
                status = exc.http_status
            else:
                messages.success(
                    request,
                    _(
                        "The customer's personal data was erased. %(count)s complaints are kept "
                        "as anonymous records."
                    )
                    % {"count": result.counts.get("complaint_count", 0)},
                )
                return redirect("console:customer", pk=customer.pk)
        status = status if status != 200 else 422
    context = {
        **_detail_context(customer),
        "title": _("Erase the customer's personal data"),
        "errors": errors,
        "reason": reason,
        "erased_name": ERASED_NAME,
        "redacted": REDACTED,
    }
    return render(request, "console/customers/erase.html", context, status=status)
