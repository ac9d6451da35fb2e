"""A complaint from intake to closure through the HTTP API only; stale writers and people
outside the case."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from kesu.complaints.models import Event
from kesu.complaints.states import State
from tests.support.files import PDF, PNG


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.json()
    return response.json()


def test_happy_path_through_the_api(world):
    u = world.users
    c = ok(
        world.post(
            "agent",
            "/complaints",
            {
                "customer_name": "陈建国",
                "customer_phone": "13816620001",
                "channel": "email",
                "category": "packaging_damage",
                "description": "到货包装破损,三台设备外壳变形。",
                "demand": "赔偿损失",
                "claimed_amount": "6000",
            },
        ),
        201,
    )
    n = c["number"]
    base = f"/complaints/{n}"

    c = ok(
        world.post(
            "agent",
            f"{base}/dispatch",
            {"department": "logistics", "handler": u["handler"].pk, "level": "C"},
        )
    )
    assert c["state"] == "assigned" and c["handler"]["id"] == u["handler"].pk
    c = ok(world.post("handler", f"{base}/accept", {"version": c["version"]}))
    assert c["state"] == "investigating"
    c = ok(
        world.post(
            "handler",
            f"{base}/root-cause",
            {"root_cause": "logistics_supplier_gap", "findings": "承运商装卸不当"},
        )
    )
    assert c["root_cause"] == "logistics_supplier_gap"

    # 5,000 CNY is above the handler's limit (2,000): it waits for the manager.
    sol = ok(
        world.post(
            "handler",
            f"{base}/solution",
            {
                "summary": "赔偿外壳更换费用并致歉",
                "actions": [
                    {"kind": "apology", "description": "书面致歉"},
                    {"kind": "compensation", "amount": 5000, "owner": u["handler"].pk},
                ],
            },
        ),
        201,
    )
    assert sol["status"] == "pending_approval" and sol["amount"] == "5000.00"
    c = ok(world.get("handler", base))
    assert c["state"] == "pending_approval" and c["version"] == sol["complaint_version"]
    assert "approve_solution" not in c["allowed_actions"]
    assert world.post("handler", f"{base}/solution/approve").status_code == 403

    c = ok(world.post("manager", f"{base}/solution/approve", {"reason": "同意"}))
    assert c["state"] == "resolving"
    assert c["solutions"][0]["decided_by"]["id"] == u["manager"].pk

    c = ok(world.post("handler", f"{base}/resolve", {"summary": "已赔付"}))
    assert c["state"] == "pending_callback"  # b2b has no review step

    # The callback is made by another agent than the one who recorded it.
    cb = ok(
        world.post(
            "agent2",
            f"{base}/callbacks",
            {"reached": True, "outcome_rating": 5, "process_rating": 4, "accepted": True},
        ),
        201,
    )
    assert cb["by"]["id"] == u["agent2"].pk
    c = ok(world.get("agent", base))
    assert c["state"] == "closed" and c["close_reason"] == "satisfied"
    assert c["rounds"][0]["satisfied"] is True
    timeline = ok(world.get("agent", f"{base}/timeline"))
    moves = [(e["from_state"], e["to_state"]) for e in timeline if e["kind"] == "transition"]
    assert moves == [
        ("received", "assigned"),
        ("assigned", "investigating"),
        ("investigating", "pending_approval"),
        ("pending_approval", "resolving"),
        ("resolving", "pending_callback"),
        ("pending_callback", "closed"),
    ]
    # and the customer can follow it
    mine = ok(world.get("customer_a", f"{base}/timeline"))
    assert ("pending_callback", "closed") in [(e["from_state"], e["to_state"]) for e in mine]


def test_stale_version_is_409_and_changes_nothing(world):
    c = world.build(State.INVESTIGATING)
    base = f"/complaints/{c.number}"
    seen = world.get("agent", base).json()["version"]
    ok(world.post("agent", f"{base}/notes", {"text": "第一条", "version": seen}), 201)
    events = Event.objects.filter(complaint=c).count()
    r = world.post("handler", f"{base}/notes", {"text": "第二条", "version": seen})
    assert r.status_code == 409
    assert r.json()["code"] == "changed_by_someone_else"
    assert Event.objects.filter(complaint=c).count() == events
    assert world.get("agent", base).json()["version"] == seen + 1
    r = world.post("handler", f"{base}/notes", {"text": "第二条", "version": seen + 1})
    assert r.status_code == 201


def test_wrong_state_is_409(world):
    c = world.build(State.RECEIVED)
    r = world.post("agent", f"/complaints/{c.number}/resolve")
    assert r.status_code == 403  # an agent never reports resolved
    c = world.build(State.INVESTIGATING)
    r = world.post("agent", f"/complaints/{c.number}/dispatch", {"department": "logistics"})
    assert r.status_code == 409
    assert r.json()["code"] == "invalid_transition"


def test_outsiders_get_404_on_actions(world):
    c = world.build(State.INVESTIGATING)
    base = f"/complaints/{c.number}"
    events = Event.objects.filter(complaint=c).count()
    for who, path, body in (
        ("other_handler", f"{base}/notes", {"text": "看看"}),
        ("other_manager", f"{base}/reassign", {"handler": world.users["other_handler"].pk}),
        ("customer_b", f"{base}/info", {"text": "补充"}),
    ):
        r = world.post(who, path, body)
        assert r.status_code == 404, (who, path, r.json())
    photo = SimpleUploadedFile("a.png", PNG, content_type="image/png")
    r = world.upload("customer_b", f"{base}/attachments", {"file": photo})
    assert r.status_code == 404
    assert Event.objects.filter(complaint=c).count() == events


def test_unknown_user_reference_is_a_field_error(world):
    c = world.build(State.RECEIVED)
    r = world.post(
        "agent",
        f"/complaints/{c.number}/dispatch",
        {"department": "logistics", "handler": 987654},
        headers={"Accept-Language": "en"},
    )
    assert r.status_code == 422
    assert r.json()["errors"] == {"handler": "Unknown user."}
    inactive = world.users["handler2"]
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    r = world.post(
        "agent",
        f"/complaints/{c.number}/dispatch",
        {"department": "logistics", "handler": inactive.pk},
    )
    assert r.status_code == 422 and "handler" in r.json()["errors"]


def test_merge_into_unknown_number_is_a_field_error(world):
    c = world.build(State.RECEIVED)
    other = world.complaints["customer_b"]
    for into in ("KS-20991231-0001", "bad number!"):
        r = world.post("agent", f"/complaints/{c.number}/merge", {"into": into})
        assert r.status_code == 422 and "into" in r.json()["errors"], into
    r = world.post("agent", f"/complaints/{c.number}/merge", {"into": other.number})
    assert r.status_code == 200
    assert r.json()["merged_into"] == other.number


def test_attachment_upload(world):
    c = world.build(State.INVESTIGATING)
    path = f"/complaints/{c.number}/attachments"
    photo = SimpleUploadedFile("签收单.png", PNG, content_type="image/png")
    r = world.upload("customer_a", path, {"file": photo})
    assert r.status_code == 201, r.json()
    assert r.json()["name"] == "签收单.png" and r.json()["visible_to_customer"] is True
    exe = SimpleUploadedFile("x.exe", b"MZ", content_type="application/x-msdownload")
    r = world.upload("handler", path, {"file": exe})
    assert r.status_code == 422 and "file" in r.json()["errors"]
    r = world.upload("handler", path, {})
    assert r.status_code == 422 and "file" in r.json()["errors"]
    doc = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    r = world.upload("handler", path, {"file": doc, "visible_to_customer": "false", "version": 1})
    assert r.status_code == 409  # stale version
