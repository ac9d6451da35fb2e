"""POST /complaints: recording, validation messages in both languages, idempotency."""

from __future__ import annotations

from datetime import timedelta

from kesu.complaints.models import Complaint, Event
from tests.api.conftest import NOW

BODY = {
    "customer_name": "陈建国",
    "customer_phone": "13816620001",
    "channel": "hotline",
    "category": "wrong_shipment",
    "description": "收到的型号不对,要求换货。",
    "claimed_amount": "1200.50",
    "order_no": "PO-2026-118",
    "received_at": (NOW - timedelta(minutes=20)).isoformat(),
}


def test_agent_records_a_complaint(world):
    r = world.post("agent", "/complaints", BODY)
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["number"].startswith("KS-20261116-")
    assert body["state"] == "received"
    assert body["claimed_amount"] == "1200.50"
    assert body["customer"]["name"] == "陈建国"
    assert body["received_by"]["id"] == world.users["agent"].pk
    assert "dispatch" in body["allowed_actions"]
    assert "Idempotent-Replayed" not in r.headers


def test_amount_as_a_number(world):
    r = world.post("agent", "/complaints", {**BODY, "claimed_amount": 99.9})
    assert r.status_code == 201, r.json()
    assert r.json()["claimed_amount"] == "99.90"


def test_customer_records_their_own(world):
    r = world.post("customer_b", "/complaints", {**BODY, "customer_name": "刘芳"})
    assert r.status_code == 201, r.json()
    number = r.json()["number"]
    assert world.get("customer_b", f"/complaints/{number}").status_code == 200
    assert world.get("customer_a", f"/complaints/{number}").status_code == 404


def test_handler_may_not_record(world):
    r = world.post("handler", "/complaints", BODY)
    assert r.status_code == 403
    assert r.json()["code"] == "permission_denied"


def test_validation_errors_name_fields_in_chinese_by_default(world):
    r = world.post("agent", "/complaints", {"channel": "hotline", "description": "x"})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "invalid_input"
    assert body["errors"]["customer_name"] == "这个字段是必填项。"
    assert r.headers["Content-Language"] == "zh-hans"


def test_validation_errors_in_english_on_request(world):
    r = world.post(
        "agent",
        "/complaints",
        {"channel": "hotline", "description": "x"},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 422
    assert r.json()["errors"]["customer_name"] == "This field is required."
    assert r.headers["Content-Language"] == "en"


def test_service_validation_is_reported_per_field(world):
    before = Complaint.objects.count()
    r = world.post(
        "agent",
        "/complaints",
        {**BODY, "channel": "pigeon", "customer_phone": "", "customer_email": "not-an-email"},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert set(errors) >= {"channel", "customer_email"}
    assert Complaint.objects.count() == before


def test_received_at_in_the_future_is_refused(world):
    r = world.post(
        "agent",
        "/complaints",
        {**BODY, "received_at": (NOW + timedelta(hours=1)).isoformat()},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 422
    assert r.json()["errors"]["received_at"] == "The time received cannot be in the future."


def test_received_at_needs_an_offset(world):
    r = world.post("agent", "/complaints", {**BODY, "received_at": "2026-11-16T09:00:00"})
    assert r.status_code == 422
    assert "received_at" in r.json()["errors"]


def test_negative_amount_is_refused(world):
    r = world.post("agent", "/complaints", {**BODY, "claimed_amount": "-5"})
    assert r.status_code == 422
    assert "claimed_amount" in r.json()["errors"]


def test_idempotent_replay_returns_the_first_complaint(world):
    first = world.post("agent", "/complaints", BODY, headers={"Idempotency-Key": "crm-42"})
    assert first.status_code == 201
    events = Event.objects.count()
    again = world.post("agent", "/complaints", BODY, headers={"Idempotency-Key": "crm-42"})
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["number"] == first.json()["number"]
    assert Complaint.objects.filter(order_no="PO-2026-118").count() == 1
    assert Event.objects.count() == events


def test_idempotency_key_reused_with_another_body(world):
    assert (
        world.post("agent", "/complaints", BODY, headers={"Idempotency-Key": "k1"}).status_code
        == 201
    )
    r = world.post(
        "agent", "/complaints", {**BODY, "description": "别的事"}, headers={"Idempotency-Key": "k1"}
    )
    assert r.status_code == 422
    assert r.json()["code"] == "idempotency_key_reused"


def test_idempotency_keys_are_per_caller(world):
    a = world.post("agent", "/complaints", BODY, headers={"Idempotency-Key": "same"})
    b = world.post("agent2", "/complaints", BODY, headers={"Idempotency-Key": "same"})
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["number"] != b.json()["number"]


def test_idempotency_key_too_long(world):
    r = world.post("agent", "/complaints", BODY, headers={"Idempotency-Key": "k" * 201})
    assert r.status_code == 422
    assert "Idempotency-Key" in r.json()["errors"]


def test_language_of_the_customer_messages(world):
    from kesu.outbox.models import OutboxMessage

    base = {
        "customer_name": "Ann Lee",
        "customer_email": "ann@example.com",
        "channel": "email",
        "description": "The parcel arrived broken.",
        "category": "late_delivery",
    }
    made = world.post("agent", "/complaints", {**base, "language": "en-GB"})
    assert made.status_code == 201, made.content
    ack = OutboxMessage.objects.get(event="complaint.received", address="ann@example.com")
    assert ack.language == "en"
    bad = world.post("agent", "/complaints", {**base, "language": "fr"})
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"language"}
