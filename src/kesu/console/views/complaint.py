"""The complaint page (SPEC §8): the record, its deadlines round by round, solutions, tasks,
callbacks, contacts, attachments and the timeline, with a small form for each action the reader
may take now — exactly ``access.allowed_actions``.

A form posts to :func:`act`, which reads it and hands its inputs to ``services.perform`` (the
action's one service, reached as the API reaches it). htmx gets the page's main region back
(``#complaint-main``), a plain form post a redirect to the page with a message. A refusal is the
service's typed error with its status: an htmx fragment in the form's error slot
(``web.errors.error_response``), or the page with the error on top and the form kept open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from kesu.accounts.models import Role, User
from kesu.complaints.access import allowed_actions, complaint_for_user, sees_contact_details
from kesu.complaints.errors import DomainError, InvalidInput, NotFound
from kesu.complaints.lifecycle import ACTIONS
from kesu.complaints.models import (
    Attachment,
    Callback,
    Channel,
    Communication,
    CommunicationDirection,
    Complaint,
    ComplaintLink,
    DeadlineExtension,
    Event,
    EventKind,
    LinkKind,
    Meeting,
    Milestone,
    MilestoneStatus,
    Solution,
    SolutionAction,
    SolutionStatus,
    Task,
)
from kesu.complaints.privacy import ContactMask, mask_email, mask_phone
from kesu.complaints.services.perform import perform, refuse_early
from kesu.complaints.states import State
from kesu.console.forms import (
    ACTION_FORMS,
    CONTACT_CHANNELS,
    ActionForm,
    FormChoices,
    local_name,
)
from kesu.outbox.inbox import mark_read
from kesu.web.access import landing_url, staff_required
from kesu.web.errors import error_response, field_errors

TEMPLATE = "console/complaint/detail.html"
# Served inline (previews); every other type is a download.
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})

PAGE_RELATED = (
    "customer__account",
    "policy",
    "department",
    "handler",
    "received_by",
    "merged_into",
)
PAGE_PREFETCH = (
    "rounds",
    Prefetch(
        "milestones",
        queryset=Milestone.objects.select_related("round").prefetch_related(
            Prefetch(
                "extensions",
                queryset=DeadlineExtension.objects.select_related(
                    "requested_by", "decided_by"
                ).order_by("requested_at", "id"),
            )
        ),
    ),
    Prefetch(
        "solutions",
        queryset=Solution.objects.select_related("proposed_by", "decided_by").prefetch_related(
            Prefetch("actions", queryset=SolutionAction.objects.select_related("owner"))
        ),
    ),
    Prefetch("tasks", queryset=Task.objects.select_related("owner", "created_by")),
    Prefetch("callbacks", queryset=Callback.objects.select_related("round", "by")),
    Prefetch(
        "attachments",
        queryset=Attachment.objects.select_related("uploaded_by").order_by("uploaded_at", "id"),
    ),
    Prefetch("communications", queryset=Communication.objects.select_related("by")),
    Prefetch(
        "meetings", queryset=Meeting.objects.select_related("recorded_by").order_by("held_at")
    ),
    Prefetch("links_out", queryset=ComplaintLink.objects.select_related("target")),
    Prefetch("links_in", queryset=ComplaintLink.objects.select_related("source")),
)

# A link seen from its target's side.
LINKED_FROM = {
    LinkKind.REPEAT: gettext_lazy("Repeated by"),
    LinkKind.SAME_BATCH: gettext_lazy("Same batch as"),
    LinkKind.MERGED: gettext_lazy("Merged from"),
    LinkKind.FOLLOW_UP: gettext_lazy("Followed up by"),
}
CLOSE_REASONS = {
    "satisfied": gettext_lazy("customer satisfied"),
    "unreachable": gettext_lazy("customer unreachable"),
    "imported": gettext_lazy("imported as closed history"),
}
CONTACT_LABELS = dict(CONTACT_CHANNELS)


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _channel_label(code: str) -> str:
    if code in CONTACT_LABELS:
        return str(CONTACT_LABELS[code])
    return _label(Channel, code)


def _moment(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return ""


def _yes_no(value: Any) -> str:
    if value is None:
        return "—"
    return _("Yes") if value else _("No")


# --- the page's parts ------------------------------------------------------------------------


@dataclass
class MilestoneRow:
    ms: Milestone
    name: str
    status: str  # running, paused, breached, met, met_late, cancelled
    status_label: str
    extensions: list[DeadlineExtension]


@dataclass
class RoundView:
    number: int
    reason: str
    current: bool
    milestones: list[MilestoneRow] = field(default_factory=list)
    outcome_rating: int | None = None
    process_rating: int | None = None
    satisfied: bool | None = None


@dataclass
class Entry:
    """One line of the timeline."""

    event: Event
    title: str
    change: tuple[str, str] | None
    lines: list[tuple[str, str]]
    numbers: list[str]
    attachment: Attachment | None
    css: str
    who: str


class Describer:
    """Event data in words: codes to names, ids to people, times to the local clock."""

    # (key, label) in the order they are shown; keys not named here are internal references.
    KEYS: tuple[tuple[str, Any], ...] = (
        ("text", None),
        ("channel", gettext_lazy("Channel")),
        ("direction", gettext_lazy("Direction")),
        ("summary", gettext_lazy("Summary")),
        ("message", gettext_lazy("Message")),
        ("received_at", gettext_lazy("Received at")),
        ("closed_at", gettext_lazy("Closed at")),
        ("import_file", gettext_lazy("Imported from")),
        ("import_row", gettext_lazy("Row")),
        ("import_ref", gettext_lazy("Original number")),
        ("department", gettext_lazy("Department")),
        ("handler", gettext_lazy("Handler")),
        ("category", gettext_lazy("Category")),
        ("level", gettext_lazy("Level")),
        ("urgent", gettext_lazy("Urgent")),
        ("suggested", gettext_lazy("Suggested")),
        ("chosen", gettext_lazy("Chosen")),
        ("from", gettext_lazy("From")),
        ("to", gettext_lazy("To")),
        ("original_due", gettext_lazy("Original deadline")),
        ("milestone", gettext_lazy("Deadline")),
        ("due_at", gettext_lazy("Due")),
        ("hours", gettext_lazy("More time (hours)")),
        ("status", gettext_lazy("Status")),
        ("title", gettext_lazy("Task")),
        ("amount", gettext_lazy("Amount (CNY)")),
        ("required_role", gettext_lazy("Approval by")),
        ("actions", gettext_lazy("Actions")),
        ("kind", gettext_lazy("Action")),
        ("review", gettext_lazy("Review")),
        ("decision", gettext_lazy("Decision")),
        ("reached", gettext_lazy("Customer reached")),
        ("outcome_rating", gettext_lazy("Outcome")),
        ("process_rating", gettext_lazy("Handling")),
        ("accepted", gettext_lazy("Accepts the outcome")),
        ("root_cause", gettext_lazy("Root cause")),
        ("findings", gettext_lazy("Investigation findings")),
        ("result", gettext_lazy("Result")),
        ("name", gettext_lazy("File")),
        ("batch_no", gettext_lazy("Batch no.")),
        ("note", gettext_lazy("Note")),
        ("reason", gettext_lazy("Reason")),
        ("recourse", gettext_lazy("Recourse")),
    )
    NUMBER_KEYS = ("into", "merged_from", "repeat_of")
    AUTOMATIC = frozenset({EventKind.LINKED, EventKind.BATCH_ALERT})
    DECISIONS = {"approved": gettext_lazy("Approved"), "refused": gettext_lazy("Refused")}
    REVIEWS = {"passed": gettext_lazy("Passed"), "returned": gettext_lazy("Returned for rework")}

    def __init__(self, choices: FormChoices, users: dict[int, User]) -> None:
        self.choices = choices
        self.users = users

    def user(self, pk: Any) -> str:
        if pk in (None, ""):
            return "—"
        found = self.users.get(pk) if isinstance(pk, int) else None
        return str(found) if found else f"#{pk}"

    def department(self, code: Any) -> str:
        dept = self.choices.department_by_code.get(code) if isinstance(code, str) else None
        return local_name(dept) if dept else str(code or "—")

    def level(self, code: Any) -> str:
        level = next((lv for lv in self.choices.policy.levels if lv.code == code), None)
        return local_name(level) if level else str(code)

    def category(self, code: Any) -> str:
        found = self.choices.policy.category(code) if isinstance(code, str) else None
        return local_name(found) if found else str(code)

    def root_cause(self, code: Any) -> str:
        found = next((r for r in self.choices.policy.root_causes if r.code == code), None)
        return local_name(found) if found else str(code)

    def grading(self, value: dict[str, Any]) -> str:
        parts = []
        if value.get("department"):
            parts.append(self.department(value["department"]))
        if "handler" in value:
            parts.append(self.user(value["handler"]))
        if value.get("level"):
            parts.append(self.level(value["level"]))
        if value.get("category"):
            parts.append(self.category(value["category"]))
        if value.get("urgent"):
            parts.append(_("urgent"))
        return " · ".join(parts) or "—"

    def value(self, key: str, value: Any) -> str:
        if isinstance(value, dict):
            return self.grading(value)
        if key == "channel":
            return _channel_label(str(value))
        if key == "direction":
            return _label(CommunicationDirection, value)
        if key in ("received_at", "closed_at", "original_due", "due_at", "from", "to"):
            return _moment(value) or str(value)
        if key == "department":
            return self.department(value)
        if key == "handler":
            return self.user(value)
        if key == "level":
            return self.level(value)
        if key == "category":
            return self.category(value)
        if key == "root_cause":
            return self.root_cause(value)
        if key == "milestone":
            return self.choices.milestone_name(str(value))
        if key == "status":
            return _label(DeadlineExtension.Status, value)
        if key == "required_role":
            return _label(Role, value)
        if key in ("kind", "actions"):
            kinds = value if isinstance(value, list) else [value]
            return "、".join(_label(SolutionAction.Kind, k) for k in kinds)
        if key == "decision" and value in self.DECISIONS:
            return str(self.DECISIONS[value])
        if key == "reason" and value in CLOSE_REASONS:
            return str(CLOSE_REASONS[value])
        if key == "review" and value in self.REVIEWS:
            return str(self.REVIEWS[value])
        if isinstance(value, bool) or value is None:
            return _yes_no(value)
        return str(value)

    def entry(self, ev: Event, attachments: dict[int, Attachment]) -> Entry:
        data = ev.data if isinstance(ev.data, dict) else {}
        action = ACTIONS.get(ev.action)
        if ev.kind == EventKind.TRANSITION and action is not None:
            title = str(action.label)
        else:
            title = _label(EventKind, ev.kind)
        if data.get("done"):
            title = _("%(what)s done") % {"what": title}
        if data.get("reopened"):
            title = _("Reopened (secondary handling)")
        change = None
        if ev.from_state and ev.to_state and ev.from_state != ev.to_state:
            change = (_label(State, ev.from_state), _label(State, ev.to_state))
        lines = []
        for key, label in self.KEYS:
            if key not in data or data[key] in ("", None, [], {}):
                continue
            text = self.value(key, data[key])
            lines.append(("" if label is None else str(label), text))
        numbers: list[str] = []
        for key in self.NUMBER_KEYS:
            found = data.get(key)
            if isinstance(found, str):
                numbers.append(found)
            elif isinstance(found, list):
                numbers.extend(str(n) for n in found)
        att = attachments.get(data.get("attachment")) if ev.kind == EventKind.ATTACHMENT else None
        css = {
            EventKind.TRANSITION: "transition",
            EventKind.MILESTONE_BREACHED: "breach",
        }.get(ev.kind, ev.kind)
        return Entry(ev, title, change, lines, numbers, att, css, self.who(ev))

    # What a customer does (on the portal, possibly without a login, so with no actor).
    CUSTOMER_ACTIONS = frozenset(
        {"create", *(n for n, a in ACTIONS.items() if "customer" in a.roles)}
    )

    def who(self, ev: Event) -> str:
        if ev.actor is not None:
            return str(ev.actor)
        if ev.action in self.CUSTOMER_ACTIONS and ev.kind not in self.AUTOMATIC:
            return str(Role.CUSTOMER.label)
        return _("System")


class ComplaintPage:
    """Everything the complaint page shows to one member of staff, read in a fixed number of
    queries whatever the size of the case."""

    def __init__(self, request: HttpRequest, complaint: Complaint) -> None:
        self.request = request
        self.user = request.user
        self.now = timezone.now()
        c = (
            Complaint.objects.select_related(*PAGE_RELATED)
            .prefetch_related(*PAGE_PREFETCH)
            .get(pk=complaint.pk)
        )
        self.c = c
        self.choices = FormChoices(c, now=self.now)
        self.allowed = allowed_actions(self.user, c)

    # --- the record ---------------------------------------------------------------------

    def record(self) -> dict[str, Any]:
        c, policy = self.c, self.choices.policy
        level = next((lv for lv in policy.levels if lv.code == c.level), None)
        suggested_level = next((lv for lv in policy.levels if lv.code == c.suggested_level), None)
        customer = c.customer
        clear = sees_contact_details(self.user, c)
        root_cause = next((r for r in policy.root_causes if r.code == c.root_cause), None)
        return {
            "level_name": local_name(level) if level else c.level,
            "level_rank": level.rank if level else None,
            "suggested_level_name": local_name(suggested_level) if suggested_level else "",
            "category_name": local_name(policy.category(c.category)) or c.category,
            "suggested_category_name": (
                local_name(policy.category(c.suggested_category)) or c.suggested_category
            ),
            "channel_label": _label(Channel, c.channel),
            "department_name": local_name(c.department),
            "root_cause_name": local_name(root_cause) if root_cause else c.root_cause,
            "phone": customer.phone if clear else mask_phone(customer.phone),
            "email": customer.email if clear else mask_email(customer.email),
            "masked": not clear,
            "close_reason": CLOSE_REASONS.get(c.close_reason, c.close_reason),
            "business": [
                (label, value)
                for label, value in (
                    (_("Order no."), c.order_no),
                    (_("Waybill no."), c.waybill_no),
                    (_("Contract no."), c.contract_no),
                    (_("Goods"), c.goods),
                    (_("Origin"), c.origin),
                    (_("Destination"), c.destination),
                    (_("Product"), c.product),
                    (_("Batch no."), c.batch_no),
                    (_("Incident time"), _moment(c.incident_at)),
                    (_("Incident place"), c.incident_place),
                    (_("Platform case number"), c.platform_case_no),
                )
                if value
            ],
        }

    # --- deadlines ----------------------------------------------------------------------

    def milestone_row(self, ms: Milestone) -> MilestoneRow:
        if ms.status == MilestoneStatus.MET:
            status = "met" if ms.met_on_time else "met_late"
            label = _("Met") if ms.met_on_time else _("Met late")
        elif ms.status == MilestoneStatus.CANCELLED:
            status, label = "cancelled", _("Cancelled")
        elif ms.status == MilestoneStatus.PAUSED:
            status, label = "paused", _("Paused (awaiting the customer)")
        elif ms.breached_at is not None or (ms.due_at and ms.due_at < self.now):
            status, label = "breached", _("Breached")
        else:
            status, label = "running", _("Running")
        return MilestoneRow(
            ms=ms,
            name=self.choices.milestone_name(ms.kind, ms.name),
            status=status,
            status_label=label,
            extensions=list(ms.extensions.all()),
        )

    def rounds(self) -> list[RoundView]:
        views = {
            r.number: RoundView(
                number=r.number,
                reason=r.reason,
                current=r.number == self.c.round_no,
                outcome_rating=r.outcome_rating,
                process_rating=r.process_rating,
                satisfied=r.satisfied,
            )
            for r in self.c.rounds.all()
        }
        for ms in self.c.milestones.all():
            rv = views.get(ms.round.number)
            if rv is not None:
                rv.milestones.append(self.milestone_row(ms))
        return sorted(views.values(), key=lambda r: r.number, reverse=True)

    # --- links and the timeline ----------------------------------------------------------

    def links(self) -> list[tuple[str, str]]:
        out = [(_label(LinkKind, ln.kind), ln.target.number) for ln in self.c.links_out.all()]
        into = [
            (str(LINKED_FROM.get(ln.kind, ln.kind)), ln.source.number)
            for ln in self.c.links_in.all()
        ]
        return out + into

    def timeline(self) -> list[Entry]:
        events = list(
            Event.objects.filter(complaint=self.c).select_related("actor").order_by("-at", "-id")
        )
        user_ids: set[int] = set()
        for ev in events:
            data = ev.data if isinstance(ev.data, dict) else {}
            for value in (
                data.get("handler"),
                *(
                    part.get("handler")
                    for part in (data.get("from"), data.get("to"))
                    if isinstance(part, dict)
                ),
            ):
                if isinstance(value, int):
                    user_ids.add(value)
        users = User.objects.in_bulk(user_ids) if user_ids else {}
        describer = Describer(self.choices, users)
        attachments = {a.pk: a for a in self.c.attachments.all()}
        return [describer.entry(ev, attachments) for ev in events]

    # --- the forms ----------------------------------------------------------------------

    def forms(self, bound: tuple[str, QueryDict] | None = None) -> list[ActionForm]:
        found = []
        for name in self.allowed:
            form_class = ACTION_FORMS.get(name)
            if form_class is None:
                continue
            data = bound[1] if bound and bound[0] == name else None
            found.append(form_class(data, complaint=self.c, choices=self.choices))
        return found

    def context(self, **extra: Any) -> dict[str, Any]:
        c, ch = self.c, self.choices
        bound = extra.pop("bound", None)
        solutions = sorted(
            c.solutions.all(), key=lambda s: (s.round_no, s.proposed_at), reverse=True
        )
        tasks = list(c.tasks.all())
        for task in tasks:
            task.department_name = local_name(ch.department_by_pk.get(task.department_id))
        callbacks = list(c.callbacks.all())
        for cb in callbacks:
            cb.method_label = _channel_label(cb.method)
        communications = sorted(c.communications.all(), key=lambda m: m.at, reverse=True)
        for comm in communications:
            comm.channel_label = _channel_label(comm.channel)
        rounds = self.rounds()
        for rnd in rounds:
            for row in rnd.milestones:
                for ext in row.extensions:
                    ext.hours = f"{ext.seconds / 3600:g}"
        return {
            "title": f"{c.number} {c.title}",
            "c": c,
            "now": self.now,
            "record": self.record(),
            "rounds": rounds,
            "solutions": solutions,
            "tasks": tasks,
            "callbacks": callbacks,
            "meetings": list(c.meetings.all()),
            "communications": communications,
            "attachments": [(a, a.content_type in IMAGE_TYPES) for a in c.attachments.all()],
            "image_types": IMAGE_TYPES,
            "links": self.links(),
            "timeline": self.timeline(),
            "forms": self.forms(bound),
            "pending_status": SolutionStatus.PENDING_APPROVAL,
            **extra,
        }


# --- views -----------------------------------------------------------------------------------


def _visible(user: Any, number: str) -> Complaint:
    try:
        return complaint_for_user(user, number=number)
    except NotFound:
        raise Http404 from None


def _render(
    request: HttpRequest, complaint: Complaint, *, status: int = 200, **extra: Any
) -> HttpResponse:
    page = ComplaintPage(request, complaint)
    template = TEMPLATE + "#main" if getattr(request, "htmx", False) else TEMPLATE
    response = render(request, template, page.context(**extra), status=status)
    if not sees_contact_details(request.user, page.c):
        # Free text (the description, contact summaries, notes …) may quote the customer's
        # phone or email: masked there too, like in the record (docs/privacy.md).
        mask = ContactMask.of(page.c.customer)
        response.content = mask.text(response.content.decode()).encode()
    add_never_cache_headers(response)
    return response


@staff_required
@require_safe
def detail(request: HttpRequest, number: str) -> HttpResponse:
    complaint = _visible(request.user, number)
    # Reading the complaint is reading what one was told about it.
    mark_read(request.user, complaint_id=complaint.pk)
    created = request.GET.get("created") == "1"
    return _render(request, complaint, created=created)


def _posted_version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@staff_required
@require_POST
def act(request: HttpRequest, number: str, action: str) -> HttpResponse:
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        raise Http404
    complaint = _visible(request.user, number)
    try:
        refuse_early(
            action, complaint=complaint, actor=request.user, version=_posted_version(request)
        )
        form = form_class(request.POST, request.FILES, complaint=complaint)
        if not form.is_valid():
            raise InvalidInput(errors=_labelled_errors(form))
        complaint.version = form.cleaned_data["version"]
        perform(action, complaint=complaint, actor=request.user, **form.inputs())
    except DomainError as exc:
        return _refused(request, number, action, exc)
    return _done(request, number, action)


def _labelled_errors(form: ActionForm) -> dict[str, str]:
    errors = {}
    for name, text in form.error_dict().items():
        label = form.fields[name].label if name in form.fields else None
        errors[name] = f"{label}: {text}" if label else text
    return errors


def _done(request: HttpRequest, number: str, action: str) -> HttpResponse:
    notice = _("Done: %(action)s.") % {"action": ACTIONS[action].label}
    try:
        complaint = complaint_for_user(request.user, number=number)
    except NotFound:  # the action took the case out of the reader's sight
        complaint = None
    if getattr(request, "htmx", False):
        if complaint is None:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = landing_url(request.user)
            return response
        return _render(request, complaint, notice=notice)
    messages.success(request, notice)
    if complaint is None:
        return redirect(landing_url(request.user))
    return redirect(reverse("console:complaint", args=[number]) + "#complaint-main")


def _refused(request: HttpRequest, number: str, action: str, exc: DomainError) -> HttpResponse:
    if getattr(request, "htmx", False):
        return error_response(request, exc)
    try:
        complaint = complaint_for_user(request.user, number=number)
    except NotFound:
        raise Http404 from None
    data = request.POST.copy()
    data["version"] = str(complaint.version)
    error = {"message": str(exc.message), "code": exc.code, "fields": field_errors(exc)}
    return _render(
        request,
        complaint,
        status=exc.http_status,
        error=error,
        open_action=action,
        bound=(action, data),
    )


@staff_required
@require_safe
def attachment(request: HttpRequest, number: str, pk: int) -> FileResponse:
    """A file of a complaint the reader may see. Images open in the page (previews); every
    other file is a download. The browser must take the stated type as it is."""
    complaint = _visible(request.user, number)
    att = Attachment.objects.filter(pk=pk, complaint=complaint).first()
    if att is None:
        raise Http404
    try:
        handle = att.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    inline = att.content_type in IMAGE_TYPES
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=att.name,
        content_type=att.content_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    add_never_cache_headers(response)
    return response
