"""Quality audits in the console (seed 003 §八): the list with the month's results per
department, the "draw a sample" form, and the audit page with the checklist per sampled
complaint, a link to open an improvement action from a finding, and completion. Thin: forms
check shape, ``kesu.improvement.audits`` decides."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from kesu.accounts.models import Department
from kesu.complaints.access import visible_complaints
from kesu.complaints.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from kesu.complaints.input_rules import in_year_range
from kesu.console.views.improvement_forms import CompleteAuditForm, DrawForm, ScoreForm
from kesu.improvement import access, audits
from kesu.improvement.models import CHECKLIST, Audit, AuditItem
from kesu.improvement.periods import month_bounds, next_month, previous_month
from kesu.improvement.report import audit_section
from kesu.improvement.selectors import audit_list
from kesu.web.access import staff_required
from kesu.web.errors import error_response, field_errors


def _month_param(text: str) -> date:
    """The month asked for; this month when none, or none the calendar reaches, is asked."""
    try:
        month = date.fromisoformat(f"{text[:7]}-01")
    except ValueError:
        month = None
    if month is None or not in_year_range(month):
        return timezone.localdate().replace(day=1)
    return month


@staff_required
@require_safe
def audit_list_page(request: HttpRequest) -> HttpResponse:
    if not access.may_see_audits(request.user):
        return error_response(request, PermissionDenied())
    month = _month_param(request.GET.get("month", ""))
    start, end = month_bounds(month)
    section = audit_section(start, end, departments=access.audit_departments(request.user))
    return render(
        request,
        "console/improvement/audit_list.html",
        {
            "title": _("Quality audits"),
            "nav": "improvement",
            "tab": "audits",
            "month": month,
            "previous": previous_month(month),
            "following": next_month(month),
            "audits": audit_list(request.user, month=month.isoformat()),
            "results": section.departments,
            "checklist": [str(label) for _name, label in CHECKLIST],
            "may_audit": access.may_audit(request.user),
            "may_see_audits": True,
        },
    )


@staff_required
def audit_new(request: HttpRequest) -> HttpResponse:
    if not access.may_audit(request.user):
        return error_response(request, PermissionDenied())
    status, error = 200, None
    if request.method == "POST":
        form = DrawForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                audit = audits.audit_draw(
                    actor=request.user,
                    department=Department.objects.filter(pk=data["department"]).first(),
                    month=data["month"],
                    size=data["size"],
                    percent=data["percent"],
                    seed=data["seed"],
                    note=data["note"],
                )
            except DomainError as exc:
                for name, text in field_errors(exc).items():
                    form.add_error(name if name in form.fields else None, text)
                error, status = exc, exc.http_status
            else:
                messages.success(
                    request,
                    _("Sample drawn: %(n)s complaints (seed %(seed)s).")
                    % {"n": audit.sample_size, "seed": audit.seed},
                )
                return redirect("console:audit", audit.pk)
        else:
            status = 422
    else:
        last_month = previous_month(timezone.localdate())
        form = DrawForm(initial={"month": last_month.strftime("%Y-%m"), "size": 5})
    return render(
        request,
        "console/improvement/audit_new.html",
        {"title": _("Draw a sample"), "nav": "improvement", "form": form, "error": error},
        status=status,
    )


def _audit_context(request: HttpRequest, audit: Audit) -> dict[str, Any]:
    user = request.user
    items = list(audit.items.select_related("complaint", "scored_by").order_by("pk"))
    readable = set(
        visible_complaints(user)
        .filter(pk__in=[i.complaint_id for i in items])
        .values_list("pk", flat=True)
    )
    may_score = access.may_audit(user) and audit.status != "completed"
    return {
        "title": f"{audit.code} {audit.department.name} {audit.month:%Y-%m}",
        "nav": "improvement",
        "audit": audit,
        "rows": [
            {
                "item": i,
                "readable": i.complaint_id in readable,
                "points": i.points(),
                "form": ScoreForm(prefix=f"i{i.pk}") if may_score else None,
            }
            for i in items
        ],
        "checklist": [str(label) for _name, label in CHECKLIST],
        "events": audit.events.select_related("actor").order_by("at", "pk"),
        "may_score": may_score,
        "may_create_action": access.may_create(user),
        "complete_form": CompleteAuditForm() if may_score else None,
    }


@staff_required
@require_safe
def audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        audit = access.audit_for_user(request.user, pk)
    except DomainError as exc:
        return error_response(request, exc)
    return render(request, "console/improvement/audit_detail.html", _audit_context(request, audit))


def _refused(request: HttpRequest, audit: Audit, exc: DomainError) -> HttpResponse:
    if getattr(request, "htmx", False):
        return error_response(request, exc)
    context = _audit_context(request, audit)
    context["error"] = exc
    return render(request, "console/improvement/audit_detail.html", context, status=exc.http_status)


@staff_required
@require_POST
def score_item(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    try:
        audit = access.audit_for_user(request.user, pk)
        item = AuditItem.objects.filter(pk=item_pk, audit=audit).first()
        if item is None:
            raise NotFound()
    except DomainError as exc:
        return error_response(request, exc)
    form = ScoreForm(request.POST, prefix=f"i{item.pk}")
    try:
        if not form.is_valid():
            raise InvalidInput(errors={k: " ".join(v) for k, v in form.errors.items()})
        audits.audit_score_item(
            item=item,
            actor=request.user,
            points=form.points(),
            notes=form.notes(),
            finding=form.cleaned_data["finding"],
        )
    except DomainError as exc:
        return _refused(request, audit, exc)
    messages.success(
        request,
        _("%(number)s scored: %(score)s.") % {"number": item.complaint.number, "score": item.score},
    )
    return redirect("console:audit", audit.pk)


@staff_required
@require_POST
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        audit = access.audit_for_user(request.user, pk)
    except DomainError as exc:
        return error_response(request, exc)
    form = CompleteAuditForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput(errors={k: " ".join(v) for k, v in form.errors.items()})
        audits.audit_complete(audit=audit, actor=request.user, note=form.cleaned_data["note"])
    except DomainError as exc:
        return _refused(request, audit, exc)
    messages.success(request, _("The audit is completed."))
    return redirect("console:audit", audit.pk)
