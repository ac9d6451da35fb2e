"""The three outputs hold every section and the same numbers (a hand-made report, no
database): the PDF read back with pypdf, the workbook with openpyxl, the HTML parsed."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfReader

from kesu.reports.rendering import render_html, render_pdf
from kesu.reports.sections import build_document
from kesu.reports.workbook import render_xlsx
from tests.reports.sample import NASTY, sample_report

SECTION_KEYS = [
    "overview",
    "by_category",
    "by_channel",
    "by_department",
    "by_level",
    "by_stage",
    "by_customer",
    "root_causes",
    "repeats",
    "overdue",
    "kpis",
    "departments",
    "people",
    "improvements",
    "audits",
]


@pytest.fixture
def doc():
    with translation.override("zh-hans"):
        yield build_document(sample_report())


def pdf_text(content: bytes) -> str:
    reader = PdfReader(BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_document_has_every_section_in_order(doc):
    assert [s.key for s in doc.sections] == SECTION_KEYS


def test_pdf_holds_sections_numbers_and_chinese(doc):
    content = render_pdf(doc)
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    for section in doc.sections:
        assert section.title in text, section.key
    # Chinese from the data, extracted as text: the font is embedded with its Unicode map.
    for expected in (
        "物流公司客户投诉管理制度",
        "货物破损",
        "包装不当",
        "KS-20261012-0003",
        "本月受理投诉 57 件",
        "加强包装检查",
        "运营部",
    ):
        assert expected in text, expected
    for number in ("57", "43.9%", "92.5%", "87.5%", "18.4"):
        assert number in text, number


def test_workbook_has_a_sheet_per_section_with_typed_cells(doc):
    wb = load_workbook(BytesIO(render_xlsx(doc)))
    assert len(wb.sheetnames) == 1 + len(doc.sections)
    assert all(len(name) <= 31 for name in wb.sheetnames)
    summary = wb.worksheets[0]
    assert summary["A1"].value == doc.title
    assert "本月受理投诉 57 件，较上月增加 14.0%。" in [c.value for c in summary["A"]]

    by_category = wb.worksheets[1 + SECTION_KEYS.index("by_category")]
    assert by_category.freeze_panes == "A3"  # title row, header row frozen
    rows = list(by_category.iter_rows(min_row=3, values_only=True))
    assert rows[0] == ("货物破损", 25, pytest.approx(25 / 57))
    assert rows[2][0] == NASTY  # text, not a formula or markup
    assert by_category["C3"].number_format == "0.0%"
    assert by_category["B3"].number_format == "#,##0"

    overview = wb.worksheets[1]
    values = {r[0]: r[1] for r in overview.iter_rows(min_row=3, max_row=8, values_only=True)}
    assert values[doc.section("overview").tables[0].rows[0][0]] == 57

    people = wb.worksheets[1 + SECTION_KEYS.index("people")]
    _header, first = list(people.iter_rows(min_row=2, max_row=3, values_only=True))
    assert first[0] == "张伟" and first[1] == 30
    assert isinstance(first[5], float)  # timeliness as a number with a percent format


def test_html_is_standalone_and_escapes_data(doc):
    html = render_html(doc)
    assert html.startswith("<!doctype html>")
    assert "<link" not in html and "<script" not in html.replace("&lt;script", "")
    assert "&lt;script&gt;" in html
    for key in SECTION_KEYS:
        assert f'id="{key}"' in html
    assert html.count("<svg") >= 10
    assert "<title" in html and "<desc" in html


def test_formula_like_text_is_kept_as_text():
    from kesu.reports.document import Column, Document, Kind, Section, Table

    table = Table(title="t", columns=(Column("a"), Column("n", Kind.INT)), rows=(("=1+1", 3),))
    doc = Document(
        title="t",
        subtitle="s",
        generated_at=sample_report().generated_at,
        summary=(),
        sections=(Section(key="x", title="x", tables=(table,)),),
    )
    ws = load_workbook(BytesIO(render_xlsx(doc))).worksheets[1]
    assert ws["A3"].value == "'=1+1"
    assert ws["B3"].value == 3
