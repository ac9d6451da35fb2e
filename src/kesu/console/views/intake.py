"""Recording a complaint in the console (SPEC §2, §5): customer service's intake form, with
the customer's earlier complaints and a repeat warning as the agent types the customer, and the
policy's level and category suggestions as they type the complaint.

The look-ups ask the same code the intake service uses (``services.grading``); the form hands
``services.intake.complaint_create`` a ``NewComplaint`` and the service decides everything else
(the received time may be earlier than now, never later; required fields; repeats; numbering).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kesu.accounts.models import Role
from kesu.complaints.access import visible_complaints
from kesu.complaints.errors import DomainError, IdempotencyConflict
from kesu.complaints.input_rules import in_year_range
from kesu.complaints.models import Complaint, Customer, CustomerAccount
from kesu.complaints.services import grading
from kesu.complaints.services.intake import NewComplaint, complaint_create
from kesu.complaints.services.perform import perform
from kesu.complaints.states import State
from kesu.console.forms import DATETIME_FORMATS, IntakeForm, local_name
from kesu.policy.loader import NoActivePolicy, active_policy
from kesu.policy.schema import PolicyDoc
from kesu.web.access import staff_required
from kesu.web.errors import field_errors

TEMPLATE = "console/intake/intake.html"
LOOKUP_LIMIT = 8
PREVIOUS_LIMIT = 5
DIGITS = re.compile(r"\D")


def _agents_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Customer service records complaints (首问负责人); other staff may not open the form.
    Without an active procedure there is nothing to record a complaint under: say so."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.role != Role.AGENT:
            raise PermissionDenied
        try:
            policy = active_policy().doc
        except NoActivePolicy:
            context = {"status": 503, "title": _("No complaint procedure (policy) is active yet.")}
            return render(request, "web/error.html", context, status=503)
        return view(request, policy, *args, **kwargs)

    return wrapper


# --- the form --------------------------------------------------------------------------------


@staff_required
@_agents_only
def intake(request: HttpRequest, policy: PolicyDoc) -> HttpResponse:
    now = timezone.now()
    status = 200
    if request.method == "POST":
        form = IntakeForm(request.POST, request.FILES, policy=policy, now=now)
        if form.is_valid():
            try:
                complaint = _record(request, form)
            except IdempotencyConflict:
                form = _fresh_key(form)
                form.add_error(
                    None,
                    _(
                        "This form was already used to record a complaint. Check the details "
                        "and send it again to record another one."
                    ),
                )
            except DomainError as exc:
                _add_domain_error(form, exc)
                status = exc.http_status
            else:
                messages.success(
                    request,
                    _("Complaint %(number)s recorded.") % {"number": complaint.number},
                )
                url = reverse("console:complaint", args=[complaint.number])
                return redirect(f"{url}?created=1")
        if status == 200:
            status = 422
    else:
        form = IntakeForm(policy=policy, now=now)
    context = {
        "title": _("New complaint"),
        "nav": "intake",
        "form": form,
        "policy": policy,
        "repeat_days": policy.repeat.window_days,
    }
    return render(request, TEMPLATE, context, status=status)


def _record(request: HttpRequest, form: IntakeForm) -> Complaint:
    """The complaint and its files together, or nothing: a refused file records no complaint."""
    data = NewComplaint(**form.complaint_data())
    with transaction.atomic():
        complaint, created = complaint_create(
            data=data, actor=request.user, idempotency_key=form.cleaned_data["idempotency_key"]
        )
        if created:
            for upload in form.cleaned_data["attachments"]:
                perform(
                    "add_attachment",
                    complaint=complaint,
                    actor=request.user,
                    file=upload,
                    visible_to_customer=True,
                )
    return complaint


def _fresh_key(form: IntakeForm) -> IntakeForm:
    data = form.data.copy()
    data["idempotency_key"] = IntakeForm(policy=form.policy, now=timezone.now())[
        "idempotency_key"
    ].initial
    return IntakeForm(data, form.files, policy=form.policy, now=timezone.now())


def _add_domain_error(form: IntakeForm, exc: DomainError) -> None:
    errors = field_errors(exc)
    if not errors:
        form.add_error(None, str(exc.message))
        return
    for name, text in errors.items():
        name = "attachments" if name == "file" else name
        form.add_error(name if name in form.fields else None, text)


# --- look-ups as the agent types -------------------------------------------------------------


def _param(request: HttpRequest, name: str, limit: int) -> str:
    return request.GET.get(name, "").replace("\x00", "").strip()[:limit]


def _moment(request: HttpRequest, name: str) -> datetime | None:
    text = _param(request, name, 30)
    for fmt in DATETIME_FORMATS:
        try:
            moment = datetime.strptime(text, fmt)  # noqa: DTZ007 — made aware just below
        except ValueError:
            continue
        # A year no calendar arithmetic reaches is no time at all (a 500 before).
        return timezone.make_aware(moment) if in_year_range(moment) else None
    return None


def _amount(request: HttpRequest) -> Decimal | None:
    try:
        amount = Decimal(_param(request, "claimed_amount", 20))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def _repeats(
    policy: PolicyDoc,
    request: HttpRequest,
    *,
    customer: Customer | None,
    category: str,
    received_at: datetime,
) -> list[Complaint]:
    """Earlier complaints the one being typed would repeat, as the intake service finds them."""
    return grading.find_repeat_targets(
        policy,
        customer_id=customer.pk if customer else None,
        phone=customer.phone if customer else _param(request, "customer_phone", 30),
        category=category,
        order_no=_param(request, "order_no", 60),
        waybill_no=_param(request, "waybill_no", 60),
        received_at=received_at,
    )


def _labelled(policy: PolicyDoc, complaints: list[Complaint]) -> list[Complaint]:
    for c in complaints:
        found = policy.category(c.category)
        c.category_name = local_name(found) if found else c.category
    return complaints


@staff_required
@require_GET
@_agents_only
def customer_lookup(request: HttpRequest, policy: PolicyDoc) -> HttpResponse:
    """Customers matching the phone, name or email typed so far, with their last complaints;
    and the complaints the new one would repeat (same customer and category, or same order or
    waybill, within the policy's window)."""
    phone = _param(request, "customer_phone", 30)
    name = _param(request, "customer_name", 100)
    email = _param(request, "customer_email", 254)
    category = _param(request, "category", 40)
    received_at = _moment(request, "received_at") or timezone.now()
    match = Q()
    if len(DIGITS.sub("", phone)) >= 4:
        match |= Q(phone__startswith=phone)
    if len(name) >= 2:
        match |= Q(name__startswith=name) | Q(company__startswith=name)
    if "@" in email:
        match |= Q(email__iexact=email.lower())
    customers: list[Customer] = []
    if match:
        previous = visible_complaints(request.user).order_by("-received_at")[:PREVIOUS_LIMIT]
        customers = list(
            Customer.objects.filter(match)
            .select_related("account")
            .prefetch_related(Prefetch("complaints", queryset=previous, to_attr="previous"))
            .order_by("name", "pk")[:LOOKUP_LIMIT]
        )
    repeats: dict[int, Complaint] = {}
    for customer in customers:
        _labelled(policy, customer.previous)
        if category:
            for c in _repeats(
                policy, request, customer=customer, category=category, received_at=received_at
            ):
                repeats.setdefault(c.pk, c)
    if not customers and (_param(request, "order_no", 60) or _param(request, "waybill_no", 60)):
        for c in _repeats(
            policy, request, customer=None, category=category, received_at=received_at
        ):
            repeats.setdefault(c.pk, c)
    context = {
        "customers": customers,
        "repeats": _labelled(policy, list(repeats.values())),
        "repeat_days": policy.repeat.window_days,
        "open_states": State.open_states(),
        "typed": bool(match),
    }
    return render(request, "console/intake/_lookup.html", context)


@staff_required
@require_GET
@_agents_only
def suggest(request: HttpRequest, policy: PolicyDoc) -> HttpResponse:
    """The policy's level, category and urgency for what has been typed so far
    (``grading.suggest``, the function intake itself calls), shown beside the fields."""
    text = "\n".join(_param(request, name, 20_000) for name in ("title", "description", "demand"))
    name, phone = _param(request, "customer_name", 100), _param(request, "customer_phone", 30)
    customer = (
        Customer.objects.filter(name=name, phone=phone).select_related("account").first()
        if name and phone
        else None
    )
    account_code = _param(request, "account_code", 40)
    account = (
        CustomerAccount.objects.filter(code=account_code).first()
        if account_code
        else (customer.account if customer else None)
    )
    category = _param(request, "category", 40)
    repeats = _repeats(
        policy,
        request,
        customer=customer,
        category=category,
        received_at=_moment(request, "received_at") or timezone.now(),
    )
    found = grading.suggest(
        policy,
        text=text,
        claimed_amount=_amount(request),
        key_customer=bool(account and account.is_key),
        repeat=bool(repeats),
    )
    level = next((lv for lv in policy.levels if lv.code == found.level), None)
    category_found = policy.category(found.category) if found.category else None
    context = {
        "suggestion": found,
        "level_name": local_name(level) if level else found.level,
        "category_name": local_name(category_found) if category_found else "",
        "typed": bool(text.strip()),
    }
    return render(request, "console/intake/_suggest.html", context)
