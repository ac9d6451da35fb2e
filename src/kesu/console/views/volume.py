"""Business volume per month (the complaint rate's denominator): enter one month, or import a
CSV / .xlsx file of months and volumes. For the customer-service manager, executives and
administrators (``analysis.access``); the rules are in ``kesu.analysis.volume``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kesu.accounts.models import Department
from kesu.analysis.access import may_enter_volume
from kesu.analysis.models import VolumeKind
from kesu.analysis.volume import volume_import, volume_rows, volume_set
from kesu.complaints.errors import InvalidInput
from kesu.web.access import staff_required

MAX_UPLOAD = 1024 * 1024


@staff_required
def volume(request: HttpRequest) -> HttpResponse:
    if not may_enter_volume(request.user):
        raise PermissionDenied
    errors: dict[str, str] = {}
    if request.method == "POST":
        kind = request.POST.get("kind", VolumeKind.ORDERS)
        department = request.POST.get("department") or None
        try:
            upload = request.FILES.get("file")
            if upload is not None:
                if upload.size and upload.size > MAX_UPLOAD:
                    raise InvalidInput(errors={"file": _("The file is too large.")})
                rows = volume_import(
                    upload.read(),
                    filename=upload.name or "",
                    kind=kind,
                    department=department,
                    actor=request.user,
                )
                count = len(rows)
                messages.success(
                    request,
                    ngettext("%(count)d month imported.", "%(count)d months imported.", count)
                    % {"count": count},
                )
            else:
                volume_set(
                    month=request.POST.get("month", ""),
                    volume=request.POST.get("volume", ""),
                    kind=kind,
                    department=department,
                    actor=request.user,
                )
                messages.success(request, _("Business volume saved."))
            return redirect("console:analysis_volume")
        except InvalidInput as exc:
            errors = {k: str(v) for k, v in exc.details.get("errors", {}).items()}
            if not errors:
                errors = {"file": str(exc.message)}
    return render(
        request,
        "console/analysis/volume.html",
        {
            "title": _("Business volume"),
            "nav": "analysis",
            "rows": volume_rows(limit=36),
            "kinds": VolumeKind.choices,
            "departments": Department.objects.order_by("code"),
            "errors": errors,
            "form": request.POST if request.method == "POST" else {},
        },
        status=422 if errors else 200,
    )
