"""Importing complaints from an Excel or CSV file (SPEC §8), and the template to fill.

Thin: the service (``complaints.services.importing``) checks rights, reads and checks every
row and stores them as the mode says; this module maps its report to JSON. A completed
import answers 200; all-or-nothing with bad rows answers 422 with the same report (nothing
stored); a file that cannot be used at all is a 422 error naming ``file``.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from ninja import File, Form, Router, Schema, Status, UploadedFile

from kesu.api.auth import user_of
from kesu.api.outputs import ErrorOut
from kesu.complaints.access import require_import
from kesu.complaints.services import importing

router = Router(tags=["import"])

ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut}
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


class RowErrorOut(Schema):
    row: int
    field: str
    column: str
    message: str


class CreatedOut(Schema):
    row: int
    number: str


class ImportReportOut(Schema):
    file_name: str
    mode: str
    status: Literal["imported", "refused"]
    message: str
    rows: int
    valid: int
    invalid: int
    stored: int
    closed_history: int
    overdue: int
    ignored_columns: list[str]
    errors: list[RowErrorOut]
    created: list[CreatedOut]


@router.post(
    "/imports",
    response={200: ImportReportOut, 422: ImportReportOut | ErrorOut, **ERRORS},
    operation_id="complaints_import",
    summary="Import complaints from an .xlsx or CSV file",
    description="multipart/form-data: `file` and `mode` (`all_or_nothing`, the default, or "
    "`valid_only`). The report lists every error by row (as the spreadsheet numbers it, the "
    "header being row 1) and column. Layout: GET /imports/template.xlsx and docs/import.md.",
)
def import_file(
    request: HttpRequest,
    file: File[UploadedFile],
    mode: Form[Literal["all_or_nothing", "valid_only"]] = "all_or_nothing",
) -> Status:
    report = importing.import_complaints(
        file=file, file_name=file.name or "", actor=user_of(request), mode=mode
    )
    return Status(422 if report.refused else 200, report.as_dict())


def _template(request: HttpRequest, fmt: str) -> HttpResponse:
    require_import(user_of(request))
    lang = translation.get_language() or "zh-hans"
    response = HttpResponse(importing.build_template(lang, fmt), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="kesu-import.{fmt}"'
    return response


_FILE = {
    "responses": {
        200: {
            "description": "The template",
            "content": {
                ctype.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
                for ctype in CONTENT_TYPES.values()
            },
        }
    }
}


@router.get(
    "/imports/template.xlsx",
    response=ERRORS,
    operation_id="import_template_xlsx",
    summary="The import template as an Excel workbook (columns described on its 2nd sheet)",
    openapi_extra=_FILE,
)
def template_xlsx(request: HttpRequest) -> HttpResponse:
    return _template(request, "xlsx")


@router.get(
    "/imports/template.csv",
    response=ERRORS,
    operation_id="import_template_csv",
    summary="The import template's header row as CSV (UTF-8 with BOM)",
    openapi_extra=_FILE,
)
def template_csv(request: HttpRequest) -> HttpResponse:
    return _template(request, "csv")
