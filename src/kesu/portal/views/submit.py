"""Submitting a complaint without an account, and the receipt with the number and private link.

Abuse protection, in the order a request meets it: a rate limit per client network (checked
first with one read, counted when the complaint is about to be recorded), size and type checks
on every file by content, a honeypot field. A refused request stores no complaint and no file.
"""

from __future__ import annotations

import math

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kesu.accounts.models import Role, User
from kesu.complaints.access import complaint_for_token
from kesu.complaints.errors import DomainError, LinkExpired
from kesu.complaints.models import Channel, Customer
from kesu.complaints.privacy import mask_email, mask_phone
from kesu.complaints.services.intake import NewComplaint
from kesu.policy.loader import active_policy
from kesu.portal import ratelimit
from kesu.portal.forms import SubmitForm, add_domain_error
from kesu.portal.services import portal_submit
from kesu.portal.uploads import max_file_bytes, max_files, max_total_bytes
from kesu.portal.views.expired import follows_link
from kesu.portal.views.headers import private_page


def _customer_profile(request: HttpRequest) -> tuple[User | None, Customer | None]:
    """A signed-in customer and their record; anyone else submits as a member of the public."""
    user = request.user
    if user.is_authenticated and user.is_active and user.role == Role.CUSTOMER:
        return user, Customer.objects.filter(user=user).first()
    return None, None


def _page(request: HttpRequest, form: SubmitForm, *, status: int = 200, **extra) -> HttpResponse:
    context = {
        "title": _("Submit a complaint"),
        "form": form,
        "profile": form.profile,
        "max_file_bytes": max_file_bytes(),
        "max_total_bytes": max_total_bytes(),
        "max_files": max_files(),
        **extra,
    }
    return render(request, "portal/submit.html", context, status=status)


def _too_many(request: HttpRequest, form: SubmitForm, client: str, now) -> HttpResponse:
    limit = ratelimit.Limit.from_settings()
    wait = ratelimit.retry_after(client, now, limit)
    response = _page(
        request,
        form,
        status=429,
        rate_limited=True,
        wait_minutes=max(1, math.ceil(wait / 60)),
    )
    response["Retry-After"] = str(wait)
    return response


def _initial(request: HttpRequest) -> dict[str, str]:
    """A follow-up of an earlier complaint, opened from its page after the reopen window: its
    link proves the customer, so their details and its number are filled in."""
    token = request.GET.get("after", "")
    if not token:
        return {}
    try:
        earlier, _visitor = complaint_for_token(token, user=request.user)
    except DomainError:  # an ended link fills in nothing either
        return {}
    customer = earlier.customer
    return {
        "customer_name": customer.name,
        "customer_company": customer.company,
        "customer_phone": customer.phone,
        "customer_email": customer.email,
        "category": earlier.category,
        "order_no": earlier.order_no,
        "waybill_no": earlier.waybill_no,
        "description": _("Follow-up of complaint %(number)s: ") % {"number": earlier.number},
    }


@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    policy = active_policy().doc
    user, profile = _customer_profile(request)
    if request.method == "GET":
        form = SubmitForm(initial=_initial(request), categories=policy.categories, profile=profile)
        return _page(request, form)

    now = timezone.now()
    client = ratelimit.client_key(request)
    form = SubmitForm(request.POST, request.FILES, categories=policy.categories, profile=profile)
    if ratelimit.is_limited(client, now):
        return _too_many(request, form, client, now)
    if form.is_robot:
        ratelimit.take_slot(client, now)  # robots use up the allowance too
        form.add_error(None, _("The form could not be accepted. Please try again."))
        return _page(request, form, status=400)
    if not form.is_valid():
        return _page(request, form, status=422)

    slot = ratelimit.take_slot(client, now)
    if slot is None:
        return _too_many(request, form, client, now)
    data = dict(form.cleaned_data)
    if profile is not None:  # a signed-in customer: we reach them where their record says
        data |= {
            "customer_name": profile.name,
            "customer_company": profile.company,
            "customer_phone": profile.phone,
            "customer_email": profile.email,
        }
    new = NewComplaint(
        customer_name=data["customer_name"],
        customer_company=data["customer_company"],
        customer_phone=data["customer_phone"],
        customer_email=data["customer_email"],
        channel=Channel.WEB,
        category=data["category"],
        description=data["description"],
        demand=data["demand"],
        order_no=data["order_no"].strip(),
        waybill_no=data["waybill_no"].strip(),
        incident_at=data["incident_at"],
        incident_place=data["incident_place"].strip(),
        # The page's language is the one the customer reads: their messages follow it.
        language=request.LANGUAGE_CODE,
    )
    try:
        complaint = portal_submit(data=new, files=data["files"], customer_user=user)
    except DomainError as exc:
        ratelimit.give_back(slot)
        add_domain_error(form, exc)
        return _page(request, form, status=exc.http_status)
    return redirect("portal:sent", token=complaint.portal_token)


@follows_link
@private_page
def sent(request: HttpRequest, token: str) -> HttpResponse:
    """The receipt: the number to quote and the private link to follow the complaint."""
    try:
        complaint, _visitor = complaint_for_token(token, user=request.user)
    except LinkExpired:
        raise
    except DomainError:
        raise Http404 from None
    customer = complaint.customer
    context = {
        "title": _("Complaint received"),
        "complaint": complaint,
        "link": request.build_absolute_uri(reverse("portal:case", args=[token])),
        "email": mask_email(customer.email),
        "phone": mask_phone(customer.phone),
    }
    return render(request, "portal/sent.html", context)
