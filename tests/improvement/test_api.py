"""The improvement API: actions and audits through HTTP with bearer tokens."""

from __future__ import annotations

from datetime import timedelta

from kesu.improvement.models import ImprovementAction
from tests.conftest import at
from tests.improvement.conftest import DEPT, NOW


def create_body(imp, **kw):
    return {
        "title": "更换物流服务商",
        "description": "评估并更换延误率高的承运商。",
        "kind": "corrective",
        "source": "root_cause",
        "root_cause": "logistics_supplier_gap",
        "owner": imp.users["handler"].pk,
        "due_at": (NOW + timedelta(days=20)).isoformat(),
        **kw,
    }


def test_create_list_get_and_transitions(imp, time_machine):
    r = imp.post("quality", "/improvement/actions", create_body(imp))
    assert r.status_code == 201, r.content
    a = r.json()
    assert a["status"] == "open" and a["code"].startswith("CA-")
    assert a["allowed"] == ["start", "complete", "cancel"]
    assert [x["id"] for x in imp.get("handler", "/improvement/actions").json()] == [a["id"]]
    assert imp.get("other_handler", "/improvement/actions").json() == []
    assert imp.get("other_handler", f"/improvement/actions/{a['id']}").status_code == 404

    path = f"/improvement/actions/{a['id']}"
    assert imp.post("handler", path + "/start", {"note": "开始"}).json()["status"] == "in_progress"
    r = imp.post("handler", path + "/complete", {"evidence": "已签约新承运商"})
    assert r.json()["status"] == "done" and r.json()["effect"]["check_due_at"]
    r = imp.post("quality", path + "/effect")
    assert r.status_code == 409 and r.json()["code"] == "rule_not_met"
    time_machine.move_to(NOW + timedelta(days=31), tick=False)
    r = imp.post("quality", path + "/effect")
    assert r.json()["effect"]["before_count"] == 0
    r = imp.post("quality", path + "/verdict", {"effective": False, "note": "延误仍多"})
    out = r.json()
    assert out["status"] == "not_effective" and len(out["follow_ups"]) == 1
    assert [h["kind"] for h in out["history"]] == [
        "created",
        "started",
        "completed",
        "measured",
        "confirmed",
        "follow_up",
    ]


def test_errors(imp):
    r = imp.post("handler", "/improvement/actions", create_body(imp))
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"
    r = imp.post("quality", "/improvement/actions", create_body(imp, root_cause="nope"))
    assert r.status_code == 422 and "root_cause" in r.json()["errors"]
    r = imp.post("quality", "/improvement/actions", create_body(imp, complaints=["KS-0"]))
    assert r.status_code == 404
    assert not ImprovementAction.objects.exists()
    a = imp.post("quality", "/improvement/actions", create_body(imp)).json()
    r = imp.post("handler2", f"/improvement/actions/{a['id']}/start", {})
    assert r.status_code == 403
    r = imp.post(
        "quality", f"/improvement/actions/{a['id']}/verdict", {"effective": True, "note": "x"}
    )
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"
    assert imp.get(None, "/improvement/actions").status_code == 401


def test_filters(imp):
    imp.post("quality", "/improvement/actions", create_body(imp))
    imp.post("quality", "/improvement/actions", create_body(imp, owner=imp.users["manager"].pk))
    assert len(imp.get("handler", "/improvement/actions", {"mine": "true"}).json()) == 1
    assert len(imp.get("quality", "/improvement/actions", {"department": DEPT}).json()) == 2
    assert imp.get("quality", "/improvement/actions", {"department": "nope"}).json() == []
    assert imp.get("quality", "/improvement/actions", {"overdue": "true"}).json() == []


def test_audits(imp):
    for d in (3, 8, 12):
        imp.closed(at(f"2026-10-{d:02d} 12:00"))
    body = {"department": DEPT, "month": "2026-10-01", "size": 2, "seed": 42}
    assert imp.post("manager", "/improvement/audits", body).status_code == 403
    r = imp.post("quality", "/improvement/audits", body)
    assert r.status_code == 201, r.content
    audit = r.json()
    assert (audit["sample_size"], audit["seed"], audit["candidates"]) == (2, 42, 3)
    path = f"/improvement/audits/{audit['id']}"
    points = {
        "timely": True,
        "process_followed": True,
        "solution_reasonable": False,
        "customer_satisfied": True,
        "records_complete": True,
    }
    for item in audit["items"]:
        r = imp.post("quality", f"{path}/items/{item['id']}/score", {**points, "notes": {}})
        assert r.status_code == 200, r.content
    scored = imp.get("manager", path).json()
    assert [i["score"] for i in scored["items"]] == [80, 80]
    r = imp.post("quality", path + "/complete", {"note": "ok"})
    assert r.json()["status"] == "completed"
    assert len(imp.get("executive", "/improvement/audits", {"month": "2026-10-01"}).json()) == 1
    assert imp.get("other_manager", "/improvement/audits").json() == []
    assert imp.get("handler", path).status_code == 404
    # A finding opens an action linked to the item.
    item = scored["items"][0]
    r = imp.post(
        "quality",
        "/improvement/actions",
        create_body(imp, source="audit", audit_item=item["id"], root_cause=""),
    )
    assert r.status_code == 201 and r.json()["complaints"] == [item["complaint"]]
