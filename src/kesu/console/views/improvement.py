"""Improvement actions in the console (纠正与预防措施): the list with filters, the create form
(from a complaint, a root cause, a report finding or an audit finding), and the action page
with its linked complaints, history and one form per transition the reader may do now
(``access.allowed_transitions``). Thin: forms check shape, the services decide."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from kesu.accounts.models import Department, User
from kesu.complaints.access import complaint_for_user, visible_complaints
from kesu.complaints.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from kesu.console.views.improvement_forms import (
    STEP_FORMS,
    STEP_LABELS,
    ActionCreateForm,
    ActionFilterForm,
    end_of_day,
)
from kesu.improvement import access, services
from kesu.improvement.models import ActionAttachment, ActionSource, AuditItem, ImprovementAction
from kesu.improvement.selectors import ActionFilters, action_list
from kesu.policy.loader import active_policy
from kesu.web.access import staff_required
from kesu.web.errors import error_response, field_errors

PAGE_SIZE = 100
# History rows in words (ActionEvent.kind).
EVENT_LABELS = {
    "created": gettext_lazy("Opened"),
    "started": gettext_lazy("Work started"),
    "completed": gettext_lazy("Reported done"),
    "measured": gettext_lazy("Complaints counted"),
    "confirmed": gettext_lazy("Effectiveness verdict"),
    "follow_up": gettext_lazy("Follow-up action opened"),
    "cancelled": gettext_lazy("Cancelled"),
    "warned": gettext_lazy("Due date near: owner warned"),
    "overdue": gettext_lazy("Overdue: managers and quality told"),
    "check_due": gettext_lazy("Effectiveness check due: quality asked"),
}
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def _root_causes() -> list[tuple[str, str]]:
    return [(r.code, r.name) for r in active_policy().doc.root_causes]


def _root_cause_names() -> dict[str, str]:
    return dict(_root_causes())


@staff_required
@require_safe
def action_list_page(request: HttpRequest) -> HttpResponse:
    form = ActionFilterForm(request.GET or None)
    filters = ActionFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = ActionFilters(
            status=data["status"],
            owner=data["owner"],
            department=data["department"],
            overdue=data["overdue"],
            mine=data["mine"],
        )
    now = timezone.now()
    rows = list(action_list(request.user, filters, now=now)[:PAGE_SIZE])
    return render(
        request,
        "console/improvement/action_list.html",
        {
            "title": _("Improvement actions"),
            "nav": "improvement",
            "tab": "actions",
            "form": form,
            "rows": rows,
            "now": now,
            "may_create": access.may_create(request.user),
            "may_see_audits": access.may_see_audits(request.user),
        },
    )


def _complaints_from(user: User, text: str) -> list[Any]:
    numbers = [n for n in text.replace(",", " ").replace("，", " ").split() if n]
    found = {c.number: c for c in visible_complaints(user).filter(number__in=numbers)}
    missing = [n for n in numbers if n not in found]
    if missing:
        raise InvalidInput(
            errors={
                "complaints": _("Unknown complaint numbers: %(numbers)s")
                % {"numbers": ", ".join(missing)}
            }
        )
    return [found[n] for n in dict.fromkeys(numbers)]


def _initial(request: HttpRequest) -> dict[str, Any]:
    """Prefill from ?complaint=NUMBER or ?audit_item=ID (the links on those pages)."""
    initial: dict[str, Any] = {"kind": "corrective", "source": ActionSource.ROOT_CAUSE}
    number = request.GET.get("complaint", "")
    if number:
        c = complaint_for_user(request.user, number=number)
        initial.update(
            source=ActionSource.COMPLAINT,
            complaints=c.number,
            root_cause=c.root_cause,
            title=c.title[:200],
            finding=c.root_cause_text or c.findings,
            department=c.department_id,
        )
    item_id = request.GET.get("audit_item", "")
    if item_id:
        item = _audit_item(request.user, item_id)
        initial.update(
            source=ActionSource.AUDIT,
            audit_item=item.pk,
            complaints=item.complaint.number,
            finding=item.finding,
            root_cause=item.complaint.root_cause,
            department=item.complaint.department_id,
        )
    return initial


def _audit_item(user: User, item_id: Any) -> AuditItem:
    try:
        item = AuditItem.objects.select_related("audit", "complaint").get(pk=int(item_id))
    except (AuditItem.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None
    access.audit_for_user(user, item.audit_id)
    return item


@staff_required
def action_new(request: HttpRequest) -> HttpResponse:
    if not access.may_create(request.user):
        return error_response(request, PermissionDenied())
    status = 200
    error = None
    if request.method == "POST":
        form = ActionCreateForm(request.POST, root_causes=_root_causes())
        if form.is_valid():
            data = form.cleaned_data
            try:
                action = services.action_create(
                    actor=request.user,
                    title=data["title"],
                    description=data["description"],
                    finding=data["finding"],
                    kind=data["kind"],
                    source=data["source"],
                    owner=User.objects.filter(pk=data["owner"]).first(),
                    due_at=end_of_day(data["due"]),
                    complaints=_complaints_from(request.user, data["complaints"]),
                    root_cause=data["root_cause"],
                    department=Department.objects.filter(pk=data["department"]).first()
                    if data["department"]
                    else None,
                    report_month=data["report_month"],
                    audit_item=_audit_item(request.user, data["audit_item"])
                    if data["audit_item"]
                    else None,
                    check_after_days=data["check_after_days"],
                )
            except DomainError as exc:
                for name, text in field_errors(exc).items():
                    form.add_error(name if name in form.fields else None, text)
                error, status = exc, exc.http_status
            else:
                messages.success(
                    request, _("Improvement action %(code)s opened.") % {"code": action.code}
                )
                return redirect("console:improvement_action", action.pk)
        else:
            status = 422
    else:
        try:
            form = ActionCreateForm(initial=_initial(request), root_causes=_root_causes())
        except DomainError as exc:
            return error_response(request, exc)
    return render(
        request,
        "console/improvement/action_new.html",
        {
            "title": _("New improvement action"),
            "nav": "improvement",
            "form": form,
            "error": error,
        },
        status=status,
    )


def _detail_context(request: HttpRequest, action: ImprovementAction) -> dict[str, Any]:
    user = request.user
    steps = access.allowed_transitions(user, action)
    forms = [
        {"name": s, "label": STEP_LABELS[s], "form": STEP_FORMS[s](), "multipart": s == "complete"}
        for s in steps
    ]
    numbers = visible_complaints(user).filter(improvement_actions=action)
    events = list(action.events.select_related("actor").order_by("at", "pk"))
    for e in events:
        e.label = EVENT_LABELS.get(e.kind, e.kind)  # type: ignore[attr-defined]
    return {
        "title": f"{action.code} {action.title}",
        "nav": "improvement",
        "a": action,
        "now": timezone.now(),
        "root_cause_name": _root_cause_names().get(action.root_cause, action.root_cause),
        "complaints": numbers.order_by("received_at"),
        "hidden_complaints": action.complaints.count() - numbers.count(),
        "events": events,
        "attachments": action.attachments.select_related("uploaded_by").order_by("pk"),
        "follow_ups": action.follow_ups.order_by("pk"),
        "step_forms": forms,
    }


@staff_required
@require_safe
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        action = access.action_for_user(request.user, pk)
    except DomainError as exc:
        return error_response(request, exc)
    response = render(
        request, "console/improvement/action_detail.html", _detail_context(request, action)
    )
    add_never_cache_headers(response)
    return response


def _perform(request: HttpRequest, action: ImprovementAction, step: str, data: dict) -> str:
    """Hand the form's data to the step's service; returns the message to show."""
    user = request.user
    if step == "start":
        services.action_start(action=action, actor=user, note=data["note"])
        return _("Work on the action started.")
    if step == "complete":
        files = [
            services.EvidenceFile(name=f.name, content=f.read(), content_type=f.content_type or "")
            for f in data["files"]
        ]
        services.action_complete(action=action, actor=user, evidence=data["evidence"], files=files)
        return _("The action is done; its effect will be checked on %(date)s.") % {
            "date": timezone.localtime(action.check_due_at).strftime("%Y-%m-%d")
        }
    if step == "measure":
        services.action_measure(action=action, actor=user)
        return _("Complaints counted: %(before)s before, %(after)s after.") % {
            "before": action.before_count,
            "after": action.after_count,
        }
    if step == "confirm":
        due = data.get("follow_up_due")
        services.action_confirm(
            action=action,
            actor=user,
            effective=data["effective"],
            note=data["note"],
            follow_up_due_at=end_of_day(due) if due else None,
        )
        if data["effective"]:
            return _("Recorded as effective.")
        return _("Recorded as not effective; a follow-up action was opened.")
    services.action_cancel(action=action, actor=user, reason=data["reason"])
    return _("The action was cancelled.")


@staff_required
@require_POST
def action_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    if step not in STEP_FORMS:
        raise Http404
    try:
        action = access.action_for_user(request.user, pk)
    except DomainError as exc:
        return error_response(request, exc)
    form = STEP_FORMS[step](request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise InvalidInput(errors={k: " ".join(v) for k, v in form.errors.items()})
        notice = _perform(request, action, step, form.cleaned_data)
    except DomainError as exc:
        if getattr(request, "htmx", False):
            return error_response(request, exc)
        context = _detail_context(request, action)
        context.update(error=exc, open_step=step)
        return render(
            request, "console/improvement/action_detail.html", context, status=exc.http_status
        )
    messages.success(request, notice)
    return redirect("console:improvement_action", action.pk)


@staff_required
@require_safe
def action_file(request: HttpRequest, pk: int, file_pk: int) -> FileResponse:
    """An evidence file of an action the reader may see (as complaint attachments are served)."""
    try:
        action = access.action_for_user(request.user, pk)
    except DomainError:
        raise Http404 from None
    att = ActionAttachment.objects.filter(pk=file_pk, action=action).first()
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
    add_never_cache_headers(response)
    return response
