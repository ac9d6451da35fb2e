"""Export of one customer's data on their request (docs/privacy.md): everything kesu holds
about the person, nothing of the company's internal records, logged; through the service,
the command, the API and the console, for the roles that handle such requests only."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kesu.complaints.models import Customer, CustomerDataLog
from kesu.complaints.services.customer_data import export_customer_data, find_customers
from tests.privacy.conftest import EMAIL, NAME, PDF, PHONE

VIA = CustomerDataLog.Via.COMMAND


def unzip(content: bytes) -> tuple[dict, dict[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(files.pop("customer.json")), files


def test_export_holds_everything_about_the_person_and_nothing_internal(priv):
    c = priv.spread()
    customer = priv.customer()
    doc, files = unzip(export_customer_data(customer, actor=priv.users["admin"], via=VIA))

    assert doc["format"] == "kesu-customer-export"
    assert (doc["customer"]["name"], doc["customer"]["phone"]) == (NAME, PHONE)
    assert doc["portal_account"]["username"] == "cust_a"
    (case,) = doc["complaints"]
    assert case["number"] == c.number and case["state"] == "closed"
    assert PHONE[:3] in case["description"] and case["handler"]
    # What the customer said and what staff recorded of their contacts with them.
    assert any(EMAIL in e["data"].get("text", "") for e in case["timeline"])
    assert any(PHONE in m["summary"] for m in case["communications"])
    (callback,) = case["callbacks"]
    assert (callback["outcome_rating"], callback["process_rating"]) == (4, 5)
    assert NAME in callback["notes"]
    assert case["rounds"][0]["satisfied"] is True
    assert case["solutions"][0]["summary"]
    # Their file, in the zip; staff's internal file not even listed.
    (att,) = case["attachments"]
    assert att["uploaded_by_customer"] and files[att["file"]] == PDF
    assert len(files) == 1
    # Messages sent to them and mails received from them.
    assert {m["address"] for m in doc["messages_sent"]} == {PHONE, EMAIL}
    assert doc["mails_received"][0]["from"] == EMAIL
    # The company's internal working records are not in it.
    text = json.dumps(doc, ensure_ascii=False)
    for internal in ("仓库漏发", "仓库记录.pdf", '"findings"', '"suggested_level"'):
        assert internal not in text, internal
    log = CustomerDataLog.objects.get(customer=customer)
    assert (log.kind, log.actor, log.summary["complaints"]) == ("export", priv.users["admin"], 1)
    assert log.summary["files"] == 1


def test_lookup_by_each_kind_of_reference(priv):
    c = priv.new()
    customer = priv.customer()
    for ref in (str(customer.pk), PHONE, EMAIL.upper(), c.number, c.number.lower()):
        assert [x.pk for x in find_customers(ref)] == [customer.pk], ref
    assert find_customers("13900000000") == []


def test_command_export(priv, tmp_path):
    priv.new()
    target = tmp_path / "out.zip"
    call_command("customer", "export", PHONE, "-o", str(target), "--as", "m_customer_service")
    doc, _ = unzip(target.read_bytes())
    assert doc["customer"]["phone"] == PHONE
    assert CustomerDataLog.objects.get().via == "command"
    Customer.objects.create(name="陈建国", phone=PHONE)  # the same phone, another record
    with pytest.raises(CommandError, match="2"):
        call_command("customer", "export", PHONE, "-o", str(target))
    with pytest.raises(CommandError):
        call_command("customer", "export", "nobody@example.cn", "-o", str(target))
    with pytest.raises(CommandError):  # an agent does not handle data requests
        call_command("customer", "export", EMAIL, "-o", str(target), "--as", "agent")


def test_api_lookup_and_export(priv):
    priv.new()
    customer = priv.customer()
    r = priv.post("cs_manager", "/customers/lookup", {"ref": PHONE})
    assert r.status_code == 200, r.content
    assert [(x["id"], x["phone"], x["complaint_count"]) for x in r.json()] == [
        (customer.pk, PHONE, 1)
    ]
    path = f"/customers/{customer.pk}/export"
    for who in ("agent", "quality", "executive", "manager", "customer_a"):
        assert priv.post(who, "/customers/lookup", {"ref": PHONE}).status_code == 403, who
        assert priv.get(who, path).status_code == 403, who
    assert priv.get(None, path).status_code == 401
    assert priv.get("admin", "/customers/99999999/export").status_code == 404
    r = priv.get("admin", path)
    assert r.status_code == 200 and r["Content-Type"] == "application/zip"
    doc, _ = unzip(r.content)
    assert doc["customer"]["id"] == customer.pk
    assert CustomerDataLog.objects.get().via == "api"


def test_console_lookup_detail_and_export(priv):
    c = priv.new()
    customer = priv.customer()
    manager = priv.signed_in("cs_manager")
    page = manager.get("/console/customers/", {"ref": c.number}).content.decode()
    assert f'data-customer="{customer.pk}"' in page and PHONE in page
    detail = manager.get(f"/console/customers/{customer.pk}/")
    assert detail.status_code == 200 and c.number in detail.content.decode()
    r = manager.post(f"/console/customers/{customer.pk}/export/")
    assert r.status_code == 200 and r["Content-Type"] == "application/zip"
    assert unzip(r.content)[0]["customer"]["email"] == EMAIL
    assert 'data-test="nav-customers"' in manager.get("/console/").content.decode()
    agent = priv.signed_in("agent")
    assert 'data-test="nav-customers"' not in agent.get("/console/").content.decode()
    for who in ("agent", "quality", "manager"):
        client = priv.signed_in(who)
        assert client.get("/console/customers/").status_code == 403, who
        assert client.post(f"/console/customers/{customer.pk}/export/").status_code == 403
    assert manager.get("/console/customers/99999999/").status_code == 404
    assert CustomerDataLog.objects.count() == 1
