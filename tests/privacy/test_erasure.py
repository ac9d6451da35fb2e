"""Erasure of a customer's identity on request (docs/privacy.md): every copy outside the
sealed timeline goes, the complaints stay as anonymous records with the same figures, and
the refused cases change nothing."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kesu.analysis.filters import Filters
from kesu.analysis.kpis import kpi_summary
from kesu.analysis.periods import Period
from kesu.analysis.report import build_monthly_report
from kesu.complaints.access import PortalCustomer
from kesu.complaints.audit import verify
from kesu.complaints.errors import GuardFailed, InvalidInput, PermissionDenied
from kesu.complaints.models import Attachment, Complaint, Customer, CustomerDataLog, Event
from kesu.complaints.privacy import ERASED_NAME
from kesu.complaints.services import records
from kesu.complaints.services.customer_data import erase_customer
from kesu.complaints.states import State
from tests.api.conftest import NOW
from tests.privacy.conftest import EMAIL, NAME, PHONE

VIA = CustomerDataLog.Via.COMMAND
NOVEMBER = Period.month(2026, 11)


def figures(customer_id: int) -> tuple:
    """What the analysis says about November, for the company and for the customer."""
    report = build_monthly_report(NOVEMBER, now=NOW)
    by_customer = sorted((r.key, r.count) for r in report.by_customer)
    return (
        kpi_summary(NOVEMBER, now=NOW),
        kpi_summary(NOVEMBER, Filters(customer_id=customer_id), now=NOW),
        by_customer,
        report.totals,
    )


def stored_text(*, skip: set[str]) -> str:
    """Every row of every table but ``skip`` (app_label.model), as JSON text."""
    out = io.StringIO()
    call_command("dumpdata", format="json", stdout=out)
    rows = [r for r in json.loads(out.getvalue()) if r["model"] not in skip]
    return json.dumps(rows, ensure_ascii=False)


def test_erasure_removes_every_copy_and_keeps_the_figures(priv, django_capture_on_commit_callbacks):
    c = priv.spread()
    customer = priv.customer()
    files = list(Attachment.objects.filter(complaint=c))
    theirs = next(a for a in files if a.uploaded_by_id == priv.users["customer_a"].pk)
    staff_file = next(a for a in files if a.uploaded_by_id == priv.users["handler"].pk)
    before = figures(customer.pk)
    events = list(Event.objects.filter(complaint=c).values_list("seq", "hash"))
    assert PHONE in stored_text(skip=set()) and NAME in stored_text(skip=set())

    with django_capture_on_commit_callbacks(execute=True):
        result = erase_customer(customer, priv.users["cs_manager"], "客户来函要求删除", via=VIA)

    # Nothing outside the timeline holds the name, the phone (in any spacing) or the email.
    text = stored_text(skip={"complaints.event"})
    for value in (NAME, PHONE, "138 1662 0001", EMAIL, "cust_a"):
        assert value not in text, value
    customer.refresh_from_db()
    assert (customer.name, customer.company, customer.phone, customer.email) == (
        ERASED_NAME,
        "",
        "",
        "",
    )
    assert customer.erased_at == NOW
    # The figures of the past are the same.
    assert figures(customer.pk) == before
    # The customer's file is gone, rows and bytes; staff's evidence stays.
    assert not Attachment.objects.filter(pk=theirs.pk).exists()
    assert not theirs.file.storage.exists(theirs.file.name)
    assert Attachment.objects.filter(pk=staff_file.pk).exists()
    # The timeline: untouched, still sealed, one event added saying what happened.
    after = list(Event.objects.filter(complaint=c).values_list("seq", "hash"))
    assert after[: len(events)] == events and len(after) == len(events) + 1
    note = Event.objects.filter(complaint=c).order_by("-seq").first()
    assert note.action == "erase_customer" and note.actor == priv.users["cs_manager"]
    assert verify(complaint=c).ok
    # The customer's own words in the timeline are counted, not hidden.
    assert result.counts["events_with_identifiers"] >= 2
    log = CustomerDataLog.objects.get(customer=customer, kind="erasure")
    assert log.reason == "客户来函要求删除" and log.actor == priv.users["cs_manager"]
    assert NAME not in json.dumps(log.summary, ensure_ascii=False)


def test_after_erasure_the_person_is_gone_everywhere_they_could_be_met(priv):
    """The portal link and login stop working, the timeline shows the placeholder where the
    customer acted, and the same phone no longer finds them for a repeat."""
    c = priv.build(State.INVESTIGATING)
    records.complaint_add_info(
        complaint=c, actor=PortalCustomer.of(c), text="补充：货物外包装破损。"
    )
    Complaint.objects.filter(pk=c.pk).update(state=State.CLOSED, closed_at=NOW)
    c.refresh_from_db()
    timeline = priv.page("agent", f"/console/c/{c.number}/").content.decode()
    assert "cust_a" in timeline  # the customer's login, as the actor of their event
    customer = priv.customer()
    user = priv.users["customer_a"]
    erase_customer(customer, priv.users["admin"], "来电要求删除", via=VIA)

    assert priv.page(None, f"/portal/c/{c.portal_token}/").status_code == 404
    user.refresh_from_db()
    assert not user.is_active and user.display_name == ERASED_NAME
    assert user.username == f"erased-{user.pk}" and not user.check_password("x-test-password-1")
    timeline = priv.page("agent", f"/console/c/{c.number}/").content.decode()
    assert ERASED_NAME in timeline
    for value in ("cust_a", NAME, PHONE, EMAIL):
        assert value not in timeline, value
    # A new complaint from the same phone is a new customer, not a repeat of the erased one.
    again = priv.new(customer_name=NAME, customer_phone=PHONE)
    assert again.customer_id != customer.pk and not again.is_repeat


def test_refused_erasures_change_nothing(priv):
    open_case = priv.build(State.INVESTIGATING)
    customer = priv.customer()
    cs = priv.users["cs_manager"]
    with pytest.raises(GuardFailed) as refused:
        erase_customer(customer, cs, "客户要求", via=VIA)
    assert open_case.number in str(refused.value.message)
    with pytest.raises(InvalidInput):
        erase_customer(customer, cs, "  ", via=VIA)
    for who in ("quality", "agent", "manager", "executive", "customer_a"):
        with pytest.raises(PermissionDenied):
            erase_customer(customer, priv.users[who], "客户要求", via=VIA)
    customer.refresh_from_db()
    assert customer.name == NAME and customer.erased_at is None
    assert not CustomerDataLog.objects.exists()
    # Once erased, a second erasure is refused.
    other = Customer.objects.get(user=priv.users["customer_b"])
    erase_customer(other, cs, "客户要求", via=VIA)
    with pytest.raises(GuardFailed):
        erase_customer(other, cs, "再次", via=VIA)


def test_command_asks_for_confirmation(priv, monkeypatch):
    customer = priv.customer()
    answers = iter(["no"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    with pytest.raises(CommandError, match=r"Nothing was erased|未删除"):
        call_command("customer", "erase", str(customer.pk), "--reason", "来函")
    customer.refresh_from_db()
    assert customer.erased_at is None
    out = io.StringIO()
    call_command(
        "customer",
        "erase",
        str(customer.pk),
        "--reason",
        "来函",
        "--yes",
        "--as",
        "admin",
        stdout=out,
    )
    customer.refresh_from_db()
    assert customer.erased_at is not None and str(customer.pk) in out.getvalue()
    with pytest.raises(CommandError):
        call_command("customer", "erase", "999999", "--reason", "来函", "--yes")


def test_api_erasure(priv):
    customer = priv.customer()
    path = f"/customers/{customer.pk}/erase"
    for who in ("quality", "agent", "executive", "customer_a"):
        assert priv.post(who, path, {"reason": "来函"}).status_code == 403, who
    assert priv.post("cs_manager", "/customers/999999/erase", {"reason": "x"}).status_code == 404
    assert priv.post("cs_manager", path, {"reason": ""}).status_code == 422
    open_case = priv.build(State.ASSIGNED)
    r = priv.post("cs_manager", path, {"reason": "来函"})
    assert r.status_code == 409 and open_case.number in r.json()["message"]
    Complaint.objects.filter(pk=open_case.pk).update(state=State.CLOSED, closed_at=NOW)
    r = priv.post("cs_manager", path, {"reason": "来函"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["customer"] == customer.pk and body["counts"]["complaint_count"] == 1
    assert priv.post("admin", path, {"reason": "来函"}).status_code == 409


def test_console_erasure_has_a_confirmation_step(priv):
    customer = priv.customer()
    url = f"/console/customers/{customer.pk}/erase/"
    assert priv.page("quality", url).status_code == 403
    assert priv.page("agent", url).status_code == 403
    admin = priv.signed_in("admin")
    page = admin.get(url)
    assert page.status_code == 200 and 'data-test="erase-form"' in page.content.decode()
    r = admin.post(url, {"reason": "客户来函"})  # not confirmed
    assert r.status_code == 422 and 'data-test="error-confirm"' in r.content.decode()
    customer.refresh_from_db()
    assert customer.erased_at is None
    r = admin.post(url, {"reason": "客户来函", "confirm": "yes"})
    assert r.status_code == 302 and r["Location"] == f"/console/customers/{customer.pk}/"
    customer.refresh_from_db()
    assert customer.erased_at is not None
    page = admin.get(f"/console/customers/{customer.pk}/").content.decode()
    assert 'data-kind="erasure"' in page and "客户来函" in page
