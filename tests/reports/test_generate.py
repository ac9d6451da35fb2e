"""Reports of real data (complaints made through the services): the CLI writes the file, runs
are kept with their checksum, the PDF and workbook hold the month's numbers."""

from __future__ import annotations

import hashlib
from io import BytesIO

from django.core.management import call_command
from openpyxl import load_workbook
from pypdf import PdfReader

from kesu.reports.models import ReportRun
from kesu.reports.services import report_generate


def _text(content: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(BytesIO(content)).pages)


def test_cli_writes_the_pdf_and_keeps_the_run(october, tmp_path, capsys):
    out = tmp_path / "oct.pdf"
    call_command("report", "--month", "2026-10", "--format", "pdf", "--output", str(out))
    content = out.read_bytes()
    run = ReportRun.objects.get()
    assert (run.format, run.source, f"{run.month:%Y-%m}") == ("pdf", "command", "2026-10")
    assert run.sha256 == hashlib.sha256(content).hexdigest() and run.size == len(content)
    assert run.file.name.startswith("reports/2026-10/")
    text = _text(content)
    assert "物流" in text  # the policy's title, in Chinese
    assert "货物损坏" in text and "货物延误" in text  # category names from the policy
    assert "2026-10" in text


def test_cli_workbook_counts_the_month(october, tmp_path):
    out = tmp_path / "oct.xlsx"
    call_command("report", "--month", "2026-10", "--format", "xlsx", "--output", str(out))
    wb = load_workbook(out)
    overview = wb.worksheets[1]
    counts = {
        row[0]: row[1]
        for row in overview.iter_rows(min_row=3, max_row=8, values_only=True)
        if row[0]
    }
    assert 4 in counts.values()  # received in October
    by_category = wb.worksheets[2]
    rows = {r[0]: r[1] for r in by_category.iter_rows(min_row=3, values_only=True) if r[0]}
    assert rows["货物损坏"] == 3 and rows["货物延误"] == 1


def test_department_report_is_narrowed(october, tmp_path):
    from kesu.accounts.models import Department

    ops = Department.objects.get(code="operations")
    run = report_generate(month=october_month(), fmt="xlsx", source="download", department=ops)
    wb = load_workbook(BytesIO(run.file.read()))
    by_category = wb.worksheets[2]
    rows = {r[0]: r[1] for r in by_category.iter_rows(min_row=3, values_only=True) if r[0]}
    assert rows == {"货物损坏": 2}
    assert run.filename == "kesu-monthly-2026-10-operations.xlsx"


def october_month():
    import datetime as dt

    return dt.date(2026, 10, 1)


def test_html_download_is_one_file(october):
    run = report_generate(month=october_month(), fmt="html", source="download")
    html = run.file.read().decode()
    assert html.startswith("<!doctype html>") and "<svg" in html and "<link" not in html
