"""GET /complaints/{number} and its timeline, as each role sees them."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from kesu.accounts.models import Role
from kesu.complaints.models import Event
from kesu.complaints.services import records
from kesu.complaints.states import State

STAFF_WHO_SEE = ("agent", "handler", "manager", "executive", "quality", "admin")


def rich_case(world):
    """A case in execution with a task, an internal note, an internal file and a contact."""
    c = world.build(State.RESOLVING)
    u = world.users
    world.add_task(c)
    records.complaint_add_note(complaint=c, actor=u["manager"], text="客户曾威胁取消订单")
    records.complaint_add_attachment(
        complaint=c,
        actor=u["handler"],
        name="内部核查.pdf",
        content=b"%PDF-1.4 internal",
        content_type="application/pdf",
        visible_to_customer=False,
    )
    records.complaint_add_attachment(
        complaint=c,
        actor=u["handler"],
        name="补发单.pdf",
        content=b"%PDF-1.4 shipped",
        content_type="application/pdf",
    )
    records.complaint_log_communication(
        complaint=c, actor=u["handler"], channel="phone", direction="out", summary="已电话致歉"
    )
    c.refresh_from_db()
    return c


def test_staff_see_the_whole_record(world):
    c = rich_case(world)
    for who in STAFF_WHO_SEE:
        r = world.get(who, f"/complaints/{c.number}")
        assert r.status_code == 200, (who, r.json())
        d = r.json()
        assert d["version"] == c.version
        assert d["grading"]["level"] == {
            "chosen": "C",
            "suggested": d["grading"]["level"]["suggested"],
        }
        assert d["department"]["code"] == "logistics"
        assert d["handler"]["id"] == world.users["handler"].pk
        assert d["received_by"]["display_name"] == "agent"
        assert len(d["tasks"]) == 1 and d["tasks"][0]["department"] == "finance"
        assert {a["name"] for a in d["attachments"]} == {"内部核查.pdf", "补发单.pdf"}
        assert d["root_cause"] == "operation_error"
        kinds = {m["kind"] for m in d["milestones"]}
        assert {"ack", "dispatch", "contact", "solution"} <= kinds
        sol = d["solutions"][0]
        assert sol["status"] == "approved" and sol["actions"][0]["kind"] == "apology"
        assert d["rounds"][0]["number"] == 1
    handler_actions = world.get("handler", f"/complaints/{c.number}").json()["allowed_actions"]
    assert "report_resolved" in handler_actions and "dispatch" not in handler_actions
    assert world.get("quality", f"/complaints/{c.number}").json()["allowed_actions"] == ["add_note"]


def test_customer_sees_their_case_without_internals(world):
    c = rich_case(world)
    r = world.get("customer_a", f"/complaints/{c.number}")
    assert r.status_code == 200
    d = r.json()
    assert d["customer"]["phone"] == "13816620001"
    assert d["grading"] is None
    assert d["findings"] is None and d["root_cause"] is None
    assert d["tasks"] == [] and d["callbacks"] == [] and d["extensions"] == []
    assert d["received_by"] is None
    assert [a["name"] for a in d["attachments"]] == ["补发单.pdf"]
    assert d["handler"] == {"id": None, "display_name": "h_logistics", "role": "handler"}
    assert d["solutions"][0]["actions"][0]["owner"] is None
    assert d["solutions"][0]["required_role"] is None
    assert set(d["allowed_actions"]) == {"add_info", "add_attachment"}


def test_customer_timeline_only_shows_customer_events(world):
    c = rich_case(world)
    staff = world.get("agent", f"/complaints/{c.number}/timeline").json()
    mine = world.get("customer_a", f"/complaints/{c.number}/timeline").json()
    assert len(staff) == Event.objects.filter(complaint=c).count()
    visible = Event.objects.filter(complaint=c, visible_to_customer=True)
    assert [e["id"] for e in mine] == list(
        visible.order_by("at", "id").values_list("id", flat=True)
    )
    assert "note" in {e["kind"] for e in staff}
    assert "note" not in {e["kind"] for e in mine}
    assert "task" not in {e["kind"] for e in mine}
    with translation.override("zh-hans"):
        labels = {role.value: str(role.label) for role in Role}
    for e in mine:
        actor = e["actor"]
        if actor is not None:
            assert actor["id"] is None
            # the handler by name, other staff by role only
            expected = "h_logistics" if actor["role"] == "handler" else labels[actor["role"]]
            assert actor["display_name"] == expected
        assert "suggested" not in e["data"] and "handler" not in e["data"]


def test_not_visible_is_404_not_403(world):
    c = world.build(State.INVESTIGATING)
    for who in ("customer_b", "other_handler", "other_manager"):
        for path in (f"/complaints/{c.number}", f"/complaints/{c.number}/timeline"):
            r = world.get(who, path)
            assert r.status_code == 404, (who, path)
            assert r.json()["code"] == "not_found"
    # an unknown number answers exactly the same
    unknown = world.get("other_handler", "/complaints/KS-20991231-9999")
    hidden = world.get("other_handler", f"/complaints/{c.number}")
    assert unknown.json() == hidden.json()
    assert world.get("agent", "/no-such-path").status_code == 404
    assert world.get("agent", "/complaints/a%00b").status_code == 404


def detail_queries(world, number: str) -> int:
    world.get("agent", "/me")
    with CaptureQueriesContext(connection) as ctx:
        assert world.get("agent", f"/complaints/{number}").status_code == 200
    return len(ctx.captured_queries)


def test_detail_query_count_is_constant(world):
    small = world.build(State.RESOLVING)
    big = rich_case(world)
    for _ in range(3):
        world.add_task(big)
        records.complaint_add_note(complaint=big, actor=world.users["agent"], text="跟进")
    assert detail_queries(world, small.number) == detail_queries(world, big.number)
