"""Following a complaint by its private link, and what the customer may do there.

The link proves the customer (``access.complaint_for_token``): they act as ``PortalCustomer``
on this complaint only, and the services check every action against the lifecycle table as for
any user. The page reads the complaint through the API's presenters with that customer as the
viewer, so it shows no more than the API would show them, and offers only the actions
``access.allowed_actions`` lists for now.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kesu.api import presenters
from kesu.complaints.access import PortalCustomer, complaint_for_token
from kesu.complaints.errors import DomainError, LinkExpired
from kesu.complaints.models import Attachment, Complaint, EventKind, SolutionAction
from kesu.complaints.privacy import mask_email, mask_phone
from kesu.complaints.services import transitions
from kesu.complaints.states import State
from kesu.portal.forms import (
    InfoForm,
    ProvideInfoForm,
    RateForm,
    ReopenForm,
    VersionedForm,
    add_domain_error,
)
from kesu.portal.services import portal_add_info, portal_provide_info
from kesu.portal.uploads import IMAGE_TYPES, max_file_bytes, max_files
from kesu.portal.views.expired import follows_link
from kesu.portal.views.headers import keep_private, private_page

# What each state means for the customer, in plain words.
STATE_MEANING = {
    State.RECEIVED: gettext_lazy(
        "We have received your complaint and will pass it to the people responsible."
    ),
    State.ASSIGNED: gettext_lazy(
        "Your complaint is with the department responsible, who will contact you."
    ),
    State.INVESTIGATING: gettext_lazy("We are looking into what happened."),
    State.AWAITING_CUSTOMER: gettext_lazy(
        "We need some information from you before we can go on. Please answer below."
    ),
    State.PENDING_APPROVAL: gettext_lazy("A solution has been proposed and is being approved."),
    State.RESOLVING: gettext_lazy("We are carrying out the solution."),
    State.PENDING_REVIEW: gettext_lazy("We are checking that the solution was carried out well."),
    State.PENDING_CALLBACK: gettext_lazy(
        "The solution has been carried out. Please tell us whether you are satisfied."
    ),
    State.CLOSED: gettext_lazy("Your complaint is closed."),
    State.REJECTED: gettext_lazy("We could not accept this complaint."),
    State.MERGED: gettext_lazy("This complaint was joined to another one about the same matter."),
}

# The deadline that runs out next, as something the customer is waiting for.
NEXT_ANSWER = {
    "ack": gettext_lazy("We confirm that we have accepted your complaint"),
    "dispatch": gettext_lazy("Your complaint is passed to the department responsible"),
    "contact": gettext_lazy("The person handling it contacts you"),
    "solution": gettext_lazy("We tell you our solution"),
    "callback": gettext_lazy("We ask you whether you are satisfied"),
}
NEXT_ANSWER_OTHER = gettext_lazy("We give you our answer")

# Why a case closed (``Complaint.close_reason``, kept in the closing event), for the customer.
CLOSE_REASON = {
    "satisfied": gettext_lazy("You accepted the outcome."),
    "unreachable": gettext_lazy("We could not reach you after several attempts."),
}


def _complaint(request: HttpRequest, token: str) -> tuple[Complaint, PortalCustomer]:
    """The link's complaint; an ended link raises ``LinkExpired`` for ``follows_link``."""
    try:
        return complaint_for_token(token, user=request.user)
    except LinkExpired:
        raise
    except DomainError:
        raise Http404 from None


def _next_answer(detail: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    running = [
        m
        for m in detail["milestones"]
        if m["status"] == "open" and m["round_no"] == detail["round_no"] and m["due_at"]
    ]
    if not running:
        return None
    first = min(running, key=lambda m: m["due_at"])
    return {
        "what": NEXT_ANSWER.get(first["kind"], NEXT_ANSWER_OTHER),
        "due_at": first["due_at"],
        "late": first["due_at"] < now,
    }


def _entry(ev: dict[str, Any]) -> dict[str, Any]:
    """One line of the customer's timeline: a plain title and the words that go with it."""
    kind, data = ev["kind"], ev["data"]
    text = ""
    if kind == EventKind.CREATED:
        title = _("Complaint received")
    elif kind == EventKind.TRANSITION:
        to_state = ev["to_state"]
        title = _("Status: %(state)s") % {
            "state": State(to_state).label if to_state in State.values else to_state
        }
        if data.get("reopened"):
            title = _("Handled again (round %(round)s)") % {"round": ev["round_no"]}
        text = data.get("message") or data.get("reason") or ""
        if to_state == State.CLOSED:
            text = CLOSE_REASON.get(text, "")
        if data.get("recourse"):
            text = f"{text}\n{data['recourse']}".strip()
        if data.get("into"):
            text = _("Joined to complaint %(number)s.") % {"number": data["into"]}
    elif kind == EventKind.ACKNOWLEDGED:
        title = _("We confirmed that your complaint is accepted")
    elif kind == EventKind.CUSTOMER_INFO:
        title = _("You added information")
        text = data.get("text", "")
    elif kind == EventKind.ATTACHMENT:
        title = _("File added: %(name)s") % {"name": data.get("name", "")}
    else:
        title = ev["kind_label"]
        text = data.get("summary") or data.get("text") or ""
    return {"at": ev["at"], "kind": kind, "title": title, "text": text}


def _requested_info(timeline: list[dict[str, Any]]) -> str:
    """What we asked the customer for, the last time we asked."""
    for ev in reversed(timeline):
        if ev["kind"] == EventKind.TRANSITION and ev["to_state"] == State.AWAITING_CUSTOMER:
            return ev["data"].get("message", "")
    return ""


def _solutions(detail: dict[str, Any]) -> list[dict[str, Any]]:
    kinds = dict(SolutionAction.Kind.choices)
    out = []
    for sol in reversed(detail["solutions"]):  # approved ones only, newest first
        actions = [
            {**a, "label": kinds.get(a["kind"], a["kind"])}
            for a in sol["actions"]
            if a["kind"] != SolutionAction.Kind.OTHER or a["description"]
        ]
        out.append({**sol, "actions": actions})
    return out


def case_context(
    complaint: Complaint, visitor: PortalCustomer, *, now: datetime | None = None
) -> dict[str, Any]:
    now = now or timezone.now()
    detail = presenters.detail(complaint, visitor)
    timeline = presenters.timeline(complaint, visitor)
    actions = set(detail["allowed_actions"])
    state = complaint.state
    category = complaint.policy.doc.category(complaint.category)
    reopen_until = transitions.reopen_deadline(complaint) if "reopen" in actions else None
    customer = detail["customer"]
    link_ends = complaint.portal_link_expires_at
    return {
        "title": complaint.number,
        "complaint": complaint,
        "detail": detail,
        "state": state,
        "meaning": STATE_MEANING.get(state, ""),
        "category": category,
        "next_answer": _next_answer(detail, now) if complaint.is_open else None,
        "paused": state == State.AWAITING_CUSTOMER,
        "requested": _requested_info(timeline) if state == State.AWAITING_CUSTOMER else "",
        "timeline": [_entry(ev) for ev in reversed(timeline)],
        "solutions": _solutions(detail),
        "attachments": [
            {**a, "is_image": a["content_type"] in IMAGE_TYPES} for a in detail["attachments"]
        ],
        "rounds": [r for r in detail["rounds"] if r["outcome_rating"] is not None],
        "phone": mask_phone(customer["phone"]),
        "email": mask_email(customer["email"]),
        "can_add_info": "add_info" in actions and state != State.AWAITING_CUSTOMER,
        "can_provide_info": "provide_info" in actions,
        "can_rate": "rate" in actions,
        "can_reopen": reopen_until is not None and now <= reopen_until,
        "reopen_until": reopen_until,
        "reopen_passed": reopen_until is not None and now > reopen_until,
        "reopen_days": complaint.policy.doc.reopen_window_days,
        "link_until": link_ends if link_ends is not None and now <= link_ends else None,
        "max_file_bytes": max_file_bytes(),
        "max_files": max_files(),
    }


def _render(
    request: HttpRequest,
    complaint: Complaint,
    visitor: PortalCustomer,
    *,
    bound: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = case_context(complaint, visitor)
    initial = {"version": complaint.version}
    forms = {
        "info_form": InfoForm(initial=initial),
        "provide_form": ProvideInfoForm(initial=initial),
        "rate_form": RateForm(initial=initial),
        "reopen_form": ReopenForm(initial=initial),
        "open_form": "",
    }
    if bound:
        forms.update(bound)
    context.update(forms)
    # A refused action whose form the page no longer offers (the state moved on): say why
    # above everything else.
    shown = {
        "info_form": context["can_add_info"],
        "provide_form": context["can_provide_info"],
        "rate_form": context["can_rate"],
        "reopen_form": context["can_reopen"],
    }
    refused = forms[forms["open_form"]] if forms["open_form"] else None
    if refused is not None and not shown[forms["open_form"]]:
        context["action_errors"] = [str(e) for errors in refused.errors.values() for e in errors]
    return keep_private(render(request, "portal/case.html", context, status=status))


@follows_link
@require_GET
def case(request: HttpRequest, token: str) -> HttpResponse:
    complaint, visitor = _complaint(request, token)
    return _render(request, complaint, visitor)


def _act(
    request: HttpRequest,
    token: str,
    form_class: type[VersionedForm],
    form_name: str,
    perform: Callable[[Complaint, PortalCustomer, dict[str, Any]], str],
) -> HttpResponse:
    """Check the form, claim the version the customer saw, perform, then back to the page
    with ``perform``'s thanks (POST-redirect-GET). A refusal shows on the form, with the page
    as it is now."""
    complaint, visitor = _complaint(request, token)
    form = form_class(request.POST, request.FILES)
    status = 422
    if form.is_valid():
        if form.cleaned_data.get("version"):
            complaint.version = form.cleaned_data["version"]
        try:
            done = perform(complaint, visitor, form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.http_status
        else:
            messages.success(request, done)
            return redirect("portal:case", token=token)
    complaint.refresh_from_db()
    bound = {form_name: form, "open_form": form_name}
    return _render(request, complaint, visitor, bound=bound, status=status)


@follows_link
@require_POST
def add_info(request: HttpRequest, token: str) -> HttpResponse:
    def perform(complaint: Complaint, visitor: PortalCustomer, data: dict[str, Any]) -> str:
        portal_add_info(complaint=complaint, actor=visitor, text=data["text"], files=data["files"])
        return _("Thank you. Your information was added to the complaint.")

    return _act(request, token, InfoForm, "info_form", perform)


@follows_link
@require_POST
def provide_info(request: HttpRequest, token: str) -> HttpResponse:
    def perform(complaint: Complaint, visitor: PortalCustomer, data: dict[str, Any]) -> str:
        portal_provide_info(
            complaint=complaint, actor=visitor, text=data["text"], files=data["files"]
        )
        return _("Thank you. We have your answer and are going on with your complaint.")

    return _act(request, token, ProvideInfoForm, "provide_form", perform)


@follows_link
@require_POST
def rate(request: HttpRequest, token: str) -> HttpResponse:
    def perform(complaint: Complaint, visitor: PortalCustomer, data: dict[str, Any]) -> str:
        transitions.complaint_rate(
            complaint=complaint,
            actor=visitor,
            outcome_rating=data["outcome_rating"],
            process_rating=data["process_rating"],
            accepted=data["accepted"],
            comment=data["comment"],
        )
        if data["accepted"]:
            return _("Thank you for your answers. Your complaint is closed.")
        return _(
            "Thank you for your answers. We are sorry the outcome does not satisfy you: "
            "your complaint is being handled again."
        )

    return _act(request, token, RateForm, "rate_form", perform)


@follows_link
@require_POST
def reopen(request: HttpRequest, token: str) -> HttpResponse:
    def perform(complaint: Complaint, visitor: PortalCustomer, data: dict[str, Any]) -> str:
        transitions.complaint_reopen(complaint=complaint, actor=visitor, reason=data["reason"])
        return _("Your complaint is being handled again. We will contact you.")

    return _act(request, token, ReopenForm, "reopen_form", perform)


@follows_link
@private_page
@require_GET
def attachment(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    """A file of the complaint the customer may see. Photos open in the browser, anything else
    downloads; the stored type (found from the content at upload) is the one sent."""
    complaint, _visitor = _complaint(request, token)
    att = Attachment.objects.filter(pk=pk, complaint=complaint, visible_to_customer=True).first()
    if att is None:
        raise Http404
    try:
        handle = att.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    inline = att.content_type in IMAGE_TYPES
    response = FileResponse(
        handle, content_type=att.content_type, as_attachment=not inline, filename=att.name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
