"""Importing complaints from an Excel or CSV file in the console (SPEC §8): the upload form,
the row-by-row report, and the template to fill. Thin: the form checks shape, the service
(``services.importing``) decides everything; only those who may import see any of it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesu.complaints.access import may_import
from kesu.complaints.errors import DomainError
from kesu.complaints.services import importing
from kesu.policy.loader import NoActivePolicy, active_policy
from kesu.web.access import staff_required
from kesu.web.errors import field_errors
from kesu.web.forms import CheckedForm

TEMPLATE = "console/importing/import.html"
# A web request is for files of a few thousand rows; larger ones go through `kesu import`.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# The complaints the page links to; the report counts them all.
CREATED_SHOWN = 200
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


class ImportForm(CheckedForm):
    file = forms.FileField(label=gettext_lazy("File (.xlsx or .csv)"))
    mode = forms.ChoiceField(
        label=gettext_lazy("If some rows have errors"),
        choices=[
            (importing.ALL_OR_NOTHING, gettext_lazy("Import nothing (all or nothing)")),
            (importing.VALID_ONLY, gettext_lazy("Import the valid rows only")),
        ],
        initial=importing.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB: import it with the kesu import command.")
                % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload


def _importers_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_import(request.user):
            raise PermissionDenied
        try:
            active_policy()
        except NoActivePolicy:
            context = {"status": 503, "title": _("No complaint procedure (policy) is active yet.")}
            return render(request, "web/error.html", context, status=503)
        return view(request, *args, **kwargs)

    return wrapper


@staff_required
@_importers_only
def upload(request: HttpRequest) -> HttpResponse:
    report = None
    status = 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = importing.import_complaints(
                    file=upload,
                    file_name=upload.name,
                    actor=request.user,
                    mode=form.cleaned_data["mode"],
                )
            except DomainError as exc:
                form.add_error("file", field_errors(exc).get("file") or str(exc.message))
                status = exc.http_status
            else:
                status = 422 if report.refused else 200
        else:
            status = 422
    else:
        form = ImportForm()
    context = {
        "title": _("Import complaints"),
        "nav": "import",
        "form": form,
        "report": report,
        "created": report.created[:CREATED_SHOWN] if report else [],
        "columns": importing.COLUMNS,
        "max_rows": importing.MAX_ROWS,
    }
    return render(request, TEMPLATE, context, status=status)


@staff_required
@_importers_only
def template(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in CONTENT_TYPES:
        raise Http404
    lang = translation.get_language() or "zh-hans"
    response = HttpResponse(importing.build_template(lang, fmt), content_type=CONTENT_TYPES[fmt])
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="kesu-import-{stamp}.{fmt}"'
    return response
