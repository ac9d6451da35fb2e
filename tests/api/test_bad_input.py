"""Whatever a client sends, the answer is a 4xx JSON error, never a 500, and nothing changes."""

from __future__ import annotations

import json

import pytest

from kesu.complaints.models import Complaint, Event
from kesu.complaints.states import State

GOOD = {
    "customer_name": "陈建国",
    "customer_phone": "13816620001",
    "channel": "email",
    "category": "late_delivery",
    "description": "交货期延迟。",
}

BAD_INTAKE = [
    ("customer_name", 123),
    ("customer_name", ["a"]),
    ("customer_name", "x" * 101),
    ("customer_name", "a\x00b"),
    ("description", None),
    ("description", "x" * 20_001),
    ("claimed_amount", "-1"),
    ("claimed_amount", -0.01),
    ("claimed_amount", "abc"),
    ("claimed_amount", 1e30),
    ("claimed_amount", "1" * 40),
    ("claimed_amount", "1.234"),
    ("claimed_amount", "NaN"),
    ("claimed_amount", "Infinity"),
    ("claimed_amount", {"v": 1}),
    ("urgent", "perhaps"),
    ("received_at", "yesterday"),
    ("received_at", "9999-12-31T23:59:59-14:00"),
    ("received_at", "0001-01-01T00:00:00+14:00"),
    ("received_at", "2026-11-16T09:00:00"),
    ("received_at", 10**20),
    ("incident_at", "2026-02-30T10:00:00+08:00"),
    ("level", "Z"),
    ("category", "no-such-thing"),
    ("channel", "pigeon"),
    ("surprise", "unknown field"),
]


@pytest.mark.parametrize(
    ("field", "value"), BAD_INTAKE, ids=[f"{f}={v!r}"[:40] for f, v in BAD_INTAKE]
)
def test_bad_intake_fields(world, field, value):
    before = Complaint.objects.count()
    r = world.post("agent", "/complaints", {**GOOD, field: value})
    assert r.status_code == 422, r.content
    body = r.json()
    assert body["code"] == "invalid_input"
    assert field in body["errors"], body
    assert isinstance(body["errors"][field], str) and body["errors"][field]
    assert Complaint.objects.count() == before


RAW_BODIES = [
    b"{not json",
    b"[1, 2, 3]",
    b'"just a string"',
    b"null",
    b"12",
    b'{"customer_name": ',
    '{"customer_name": "\udcff"}'.encode("utf-8", "surrogatepass"),
    b"\xff\xfe\x00garbage",
]


@pytest.mark.parametrize("raw", RAW_BODIES, ids=range(len(RAW_BODIES)))
def test_garbage_bodies(world, raw):
    before = Complaint.objects.count()
    r = world.client.post(
        "/api/v1/complaints",
        data=raw,
        content_type="application/json",
        headers=world.headers("agent", None),
    )
    assert 400 <= r.status_code < 500, r.content
    assert "code" in r.json()
    assert Complaint.objects.count() == before


def test_bad_action_input(world):
    c = world.build(State.INVESTIGATING)
    base = f"/complaints/{c.number}"
    events = Event.objects.filter(complaint=c).count()
    cases = [
        ("notes", {"text": "x", "version": 10**30}),
        ("notes", {"text": "x", "version": -1}),
        ("notes", {"text": "x", "version": "one"}),
        ("notes", {}),
        ("notes", {"text": ""}),
        ("notes", {"text": "   "}),
        ("notes", None),
        ("reassign", {"handler": 10**30}),
        ("reassign", {"handler": "abc"}),
        ("reassign", {"department": "a\x00"}),
        ("reassign", {"department": "nowhere"}),
        ("solution", {"summary": "x", "actions": []}),
        ("solution", {"summary": "x", "actions": [{"kind": "apology", "amount": -5}]}),
        ("solution", {"summary": "x", "actions": [{"kind": "bribe"}]}),
        ("solution", {"summary": "x", "actions": [{"kind": "apology", "amount": 1e300}]}),
        ("solution", {"summary": "x", "actions": "apology"}),
        ("solution", {"summary": "x", "actions": [{"kind": "apology"}], "amount": "-1"}),
        ("extensions", {"milestone": "solution", "hours": 1e309, "reason": "x"}),
        ("extensions", {"milestone": "solution", "hours": -3, "reason": "x"}),
        ("extensions", {"milestone": "nope", "hours": 3, "reason": "x"}),
        (
            "meetings",
            {"held_at": "2999-01-01T00:00:00+08:00", "participants": "a", "decision": "b"},
        ),
        ("meetings", {"held_at": "soon", "participants": "a", "decision": "b"}),
        ("communications", {"channel": "telepathy", "direction": "out", "summary": "x"}),
        ("communications", {"channel": "phone", "direction": "sideways", "summary": "x"}),
        ("tasks", {"department": "finance", "title": "x", "owner": 10**18}),
        ("tasks", {"department": "finance", "title": "x", "due_at": "2026-13-01T00:00:00+08:00"}),
        ("level", {"level": "Q", "reason": "x"}),
        ("root-cause", {"root_cause": "gremlins"}),
        ("tasks/99999999999999999999999/complete", {"result": "x"}),
        ("tasks/abc/complete", {"result": "x"}),
        ("tasks/999/complete", {"result": "x"}),
        ("actions/999/complete", {}),
        ("extensions/-1/decide", {"approve": True}),
    ]
    for path, body in cases:
        r = world.post("handler", f"{base}/{path}", body)
        assert 400 <= r.status_code < 500, (path, body, r.status_code, r.content)
        assert r.json()["code"], (path, body)
    assert Event.objects.filter(complaint=c).count() == events


def test_wrong_methods_and_paths(world):
    n = world.complaints["customer_a"].number
    r = world.client.delete(f"/api/v1/complaints/{n}", headers=world.headers("agent", None))
    assert 400 <= r.status_code < 500
    r = world.get("agent", f"/complaints/{n}/nothing-here")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = world.get("agent", "/complaints/" + "K" * 500)
    assert r.status_code == 404


def test_huge_query_values(world):
    for params in (
        {"limit": "1e9"},
        {"received_from": "99999-01-01"},
        {"received_from": "0001-01-01T00:00:00+14:00"},
        {"is_overdue": "sometimes"},
        {"q": "x" * 1000},
    ):
        r = world.get("agent", "/complaints", params)
        assert r.status_code == 422, (params, r.content)
        assert json.loads(r.content)["code"] == "invalid_input"
