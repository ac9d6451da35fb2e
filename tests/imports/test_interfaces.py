"""The import through its three doors — the console page, the API and `kesu import` — and
the template: downloaded, filled in and imported again."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from kesu.complaints.models import Complaint, CustomerAccount
from kesu.complaints.services.importing import COLUMNS, VALID_ONLY, build_template
from tests.imports.conftest import GOOD_ROWS, csv_file, expected_errors, xlsx_file

URL = "/console/import/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def signed_in(world, who: str) -> Client:
    client = Client()
    client.force_login(world.users[who])
    return client


def upload(name: str, file: io.BytesIO) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, file.getvalue())


# --- console ---------------------------------------------------------------------------------


def test_the_console_page_imports_and_shows_the_report(world):
    client = signed_in(world, "agent")
    page = client.get(URL, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert b'data-test="nav-import"' in page.content
    assert b'data-test="template-xlsx"' in page.content
    before = Complaint.objects.count()
    r = client.post(
        URL,
        {"file": upload("登记.xlsx", xlsx_file()), "mode": VALID_ONLY},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 200
    assert Complaint.objects.count() == before + 3
    report = r.context["report"]
    existing = world.complaints["customer_a"].number
    assert [(e.row, e.field, e.column, e.message) for e in report.errors] == expected_errors(
        existing
    )
    html = r.content.decode()
    assert html.count('data-test="import-error"') == 7
    assert 'data-row="11" data-field="external_ref"' in html
    assert html.count('data-test="created-number"') == 3


def test_all_or_nothing_on_the_page_answers_422_and_stores_nothing(world):
    before = Complaint.objects.count()
    r = signed_in(world, "agent").post(
        URL, {"file": upload("登记.csv", csv_file()), "mode": "all_or_nothing"}
    )
    assert r.status_code == 422
    assert 'data-status="refused"' in r.content.decode()
    assert Complaint.objects.count() == before


def test_an_unreadable_file_is_a_form_error(world):
    r = signed_in(world, "agent").post(
        URL,
        {"file": SimpleUploadedFile("x.xls", b"\xd0\xcf\x11\xe0..."), "mode": VALID_ONLY},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 422
    assert "save it as .xlsx" in r.content.decode()


@pytest.mark.parametrize("who", ["handler", "manager", "executive", "quality"])
def test_the_page_is_refused_to_those_who_may_not_import(world, who):
    client = signed_in(world, who)
    assert client.get(URL).status_code == 403
    assert (
        client.post(URL, {"file": upload("a.csv", csv_file()), "mode": VALID_ONLY}).status_code
        == 403
    )
    assert client.get("/console/import/template.xlsx").status_code == 403
    assert b'data-test="nav-import"' not in client.get("/console/search/").content


def test_admins_and_customer_service_managers_may_import(world):
    cs = world.users["agent"].department
    cs_manager = cs.members.create(username="cs_manager", role="manager")
    for user in (world.users["admin"], cs_manager):
        client = Client()
        client.force_login(user)
        assert client.get(URL).status_code == 200


# --- API -------------------------------------------------------------------------------------


def test_the_api_imports_a_multipart_file(world):
    r = world.upload(
        "agent",
        "/imports",
        {"file": upload("登记.xlsx", xlsx_file()), "mode": VALID_ONLY},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 200, r.content
    body = json.loads(r.content)
    existing = world.complaints["customer_a"].number
    assert [(e["row"], e["field"], e["column"], e["message"]) for e in body["errors"]] == (
        expected_errors(existing)
    )
    assert body["status"] == "imported"
    assert (body["rows"], body["valid"], body["invalid"], body["stored"]) == (10, 3, 7, 3)
    assert [c["row"] for c in body["created"]] == list(GOOD_ROWS)
    assert body["ignored_columns"] == ["备注"]


def test_the_api_refuses_all_or_nothing_with_the_report_in_the_users_language(world):
    before = Complaint.objects.count()
    r = world.upload(
        "agent",
        "/imports",
        {"file": upload("登记.csv", csv_file())},
        headers={"Accept-Language": "zh-CN"},
    )
    assert r.status_code == 422
    body = json.loads(r.content)
    assert body["status"] == "refused" and body["stored"] == 0 and body["created"] == []
    with translation.override("zh-hans"):
        unknown = gettext("Unknown category.")
    assert unknown != "Unknown category."  # a translated intake message
    assert {"row": 5, "field": "category", "column": "投诉事由", "message": unknown} in (
        body["errors"]
    )
    assert Complaint.objects.count() == before


def test_the_api_answers_bad_requests_with_4xx(world):
    bad_mode = world.upload(
        "agent", "/imports", {"file": upload("a.csv", csv_file()), "mode": "some"}
    )
    assert bad_mode.status_code == 422
    assert json.loads(bad_mode.content)["code"] == "invalid_input"
    no_file = world.upload("agent", "/imports", {"mode": VALID_ONLY})
    assert no_file.status_code == 422
    empty = world.upload(
        "agent", "/imports", {"file": SimpleUploadedFile("a.csv", b"")}, {"Accept-Language": "en"}
    )
    assert empty.status_code in (400, 422)
    forbidden = world.upload("handler", "/imports", {"file": upload("a.csv", csv_file())})
    assert forbidden.status_code == 403
    assert world.upload(None, "/imports", {"file": upload("a.csv", csv_file())}).status_code == 401


def test_the_api_refuses_an_unreadable_file_naming_it(world):
    r = world.upload(
        "agent",
        "/imports",
        {"file": SimpleUploadedFile("a.xlsx", b"PK\x03\x04junk")},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 422
    body = json.loads(r.content)
    assert body["code"] == "invalid_input"
    assert body["errors"] == {"file": "The file could not be read as an Excel workbook (.xlsx)."}


def test_the_api_serves_the_templates(world):
    r = world.get("agent", "/imports/template.xlsx", headers={"Accept-Language": "en"})
    assert r.status_code == 200
    assert r["Content-Type"] == XLSX
    wb = load_workbook(io.BytesIO(r.content))
    assert [c.value for c in wb.worksheets[0][1]] == [c.field for c in COLUMNS]
    r = world.get("agent", "/imports/template.csv")
    assert r.status_code == 200
    assert r.content.startswith("\ufeff原编号,受理时间".encode())
    assert world.get("handler", "/imports/template.csv").status_code == 403


# --- the template ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_template_round_trips(world, lang):
    wb = load_workbook(io.BytesIO(build_template(lang, "xlsx")))
    data, doc = wb.worksheets
    header = [c.value for c in data[1]]
    assert header == [c.zh if lang == "zh-hans" else c.field for c in COLUMNS]
    documented = {row[1].value: row for row in doc.iter_rows(min_row=2)}
    assert set(documented) == {c.field for c in COLUMNS}
    allowed_categories = documented["category"][4].value
    assert "late_delivery — " in allowed_categories
    assert "hotline — " in documented["channel"][4].value
    # Fill it as a user would: the documented example of every column, a category.
    example = {row[1].value: row[5].value for row in doc.iter_rows(min_row=2)}
    example["category"] = "late_delivery"
    CustomerAccount.objects.create(code=example["account_code"], name="恒昌贸易")
    data.append([example[c.field] or None for c in COLUMNS])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    r = world.upload("agent", "/imports", {"file": upload("filled.xlsx", out)})
    body = json.loads(r.content)
    assert r.status_code == 200, body
    assert body["errors"] == [] and body["stored"] == 1
    c = Complaint.objects.get(number=body["created"][0]["number"])
    assert (c.customer.name, c.category, c.claimed_amount) == ("陈建国", "late_delivery", 500)
    assert c.customer.account.code == example["account_code"]


def test_the_csv_template_round_trips(world):
    text = build_template("zh-hans", "csv").decode("utf-8-sig")
    values = {
        "external_ref": "OLD-7",
        "received_at": "2026-11-01 08:00",
        "customer_name": "王五",
        "customer_phone": "13900007777",
        "category": "交货期延迟",
        "description": "货没到。",
    }
    filled = text + ",".join(values.get(c.field, "") for c in COLUMNS) + "\r\n"
    r = world.upload(
        "agent", "/imports", {"file": SimpleUploadedFile("t.csv", filled.encode("utf-8-sig"))}
    )
    body = json.loads(r.content)
    assert r.status_code == 200, body
    assert body["stored"] == 1


# --- command line ----------------------------------------------------------------------------


def test_the_command_imports_and_prints_the_report(world, tmp_path):
    path = tmp_path / "登记.xlsx"
    path.write_bytes(xlsx_file().getvalue())
    out = io.StringIO()
    with translation.override("en"):
        call_command("import", str(path), "--mode", "valid", "--as", "agent", stdout=out)
    text = out.getvalue()
    assert "row 4\t联系电话 (customer_phone)\tThis is not a valid phone number." in text
    assert "row 8\t-\tDuplicate of row 2." in text
    assert "imported 3 (closed history 1" in text
    assert Complaint.objects.filter(events__data__import_file="登记.xlsx").distinct().count() == 3


def test_the_command_refuses_all_or_nothing_and_bad_users(world, tmp_path):
    path = tmp_path / "登记.csv"
    path.write_bytes(csv_file().getvalue())
    before = Complaint.objects.count()
    with pytest.raises(CommandError) as refused:
        call_command("import", str(path), "--as", "agent", stdout=io.StringIO())
    assert refused.value.returncode == 1
    assert Complaint.objects.count() == before
    with pytest.raises(CommandError):
        call_command("import", str(path), "--as", "h_logistics", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("import", str(tmp_path / "missing.csv"), stdout=io.StringIO())
    # Without --as the only admin imports.
    call_command("import", str(path), "--mode", "valid", stdout=io.StringIO())
    assert Complaint.objects.count() == before + 3


def test_the_timeline_says_where_an_imported_complaint_came_from(world):
    client = signed_in(world, "agent")
    r = client.post(URL, {"file": upload("登记.xlsx", xlsx_file()), "mode": VALID_ONLY})
    history = dict(r.context["report"].created)[7]
    page = client.get(f"/console/c/{history}/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "登记.xlsx" in html and "OLD-1" in html
    assert "imported as closed history" in html
    assert "2024-03-05 17:00" in html
