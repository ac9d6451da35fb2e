"""The action forms of the complaint page, end to end through the page: every action of the
lifecycle table staff may take, the main path from dispatch to closure and the unsatisfied
callback that opens a new round, refusals (forged, stale, invalid) that change nothing, and
htmx fragments against plain posts with redirects."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from kesu.complaints.lifecycle import ACTIONS
from kesu.complaints.models import (
    Attachment,
    Callback,
    Communication,
    Complaint,
    DeadlineExtension,
    Event,
    Meeting,
    Solution,
    SolutionStatus,
    Task,
)
from kesu.complaints.services import records
from kesu.complaints.services.perform import PERFORMERS
from kesu.complaints.states import State
from kesu.console.forms import ACTION_FORMS
from tests.console.conftest import NOW, shown_actions
from tests.console.test_complaint_page import PNG, html

CUSTOMER_ONLY = {name for name, act in ACTIONS.items() if act.roles == {"customer"}}


def fresh(c: Complaint) -> Complaint:
    return Complaint.objects.get(pk=c.pk)


def local(moment) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def snapshot(c: Complaint) -> tuple:
    c = fresh(c)
    return (c.state, c.version, Event.objects.filter(complaint=c).count())


def test_every_action_staff_may_take_has_a_form_and_every_action_a_performer():
    assert PERFORMERS.keys() == ACTIONS.keys()
    assert ACTION_FORMS.keys() == ACTIONS.keys() - CUSTOMER_ONLY
    assert {"rate", "add_info"} == CUSTOMER_ONLY


# --- the main path ---------------------------------------------------------------------------


def _state_of(response) -> str:
    return html(response).split('data-test="state" data-state="')[1].split('"')[0]


def test_main_path_from_dispatch_to_closure_through_the_page(console, pages):
    c = console.new()
    r = pages.post(
        "agent",
        c,
        "dispatch",
        {
            "department": "logistics",
            "handler": console.users["handler"].pk,
            "level": "C",
            "category": "late_delivery",
            "note": "请尽快联系客户。",
        },
        htmx=True,
    )
    assert r.status_code == 200, html(r)
    assert "<html" not in html(r)  # the main region only
    assert _state_of(r) == State.ASSIGNED
    assert 'data-test="notice"' in html(r)
    assert fresh(c).handler == console.users["handler"]

    r = pages.post("handler", c, "accept", htmx=True)
    assert _state_of(r) == State.INVESTIGATING
    assert shown_actions(r) >= {"propose_solution", "set_root_cause", "request_info"}

    r = pages.post(
        "handler",
        c,
        "propose_solution",
        {
            "summary": "赔偿延误损失并加急发货。",
            "root_cause": "operation_error",
            "root_cause_text": "排产遗漏。",
            "findings": "订单未进入排产。",
            "kind_1": "compensation",
            "description_1": "赔偿延误损失",
            "amount_1": "4500",
            "owner_1": str(console.users["handler"].pk),
            "due_at_1": local(NOW + timedelta(days=2)),
            "kind_2": "reshipment",
            "description_2": "加急发货",
            "amount_2": "",
        },
        htmx=True,
    )
    assert r.status_code == 200, html(r)
    assert _state_of(r) == State.PENDING_APPROVAL  # 4500 is above the handler's 2000
    solution = Solution.objects.get(complaint=c)
    assert solution.amount == Decimal("4500") and solution.required_role == "manager"
    assert [a.kind for a in solution.actions.order_by("id")] == ["compensation", "reshipment"]
    assert fresh(c).root_cause == "operation_error"
    assert "approve_solution" not in shown_actions(pages.get("handler", c))

    r = pages.post("manager", c, "approve_solution", {"reason": "同意。"}, htmx=True)
    assert _state_of(r) == State.RESOLVING
    assert Solution.objects.get(pk=solution.pk).status == SolutionStatus.APPROVED

    r = pages.post("handler", c, "report_resolved", {"summary": "已赔付并发货。"}, htmx=True)
    assert _state_of(r) == State.PENDING_CALLBACK

    # the callback is made by customer service, never the handler (b2b: agents)
    assert "record_callback" not in shown_actions(pages.get("handler", c))
    r = pages.post(
        "agent2",
        c,
        "record_callback",
        {
            "reached": "yes",
            "method": "phone",
            "outcome_rating": "5",
            "process_rating": "4",
            "accepted": "yes",
            "notes": "客户满意。",
        },
        htmx=True,
    )
    assert _state_of(r) == State.CLOSED
    c = fresh(c)
    assert c.state == State.CLOSED and c.close_reason == "satisfied"
    assert Callback.objects.get(complaint=c).by == console.users["agent2"]


def test_an_unsatisfied_callback_sends_the_case_back_as_a_new_round(console, pages):
    c = console.build(State.PENDING_CALLBACK)
    r = pages.post(
        "agent",
        c,
        "record_callback",
        {
            "reached": "yes",
            "method": "phone",
            "outcome_rating": "2",
            "process_rating": "3",
            "accepted": "no",
            "notes": "赔偿不够。",
        },
    )
    assert r.status_code == 302
    c = fresh(c)
    assert c.state == State.INVESTIGATING
    assert c.round_no == 2 and c.reopen_count == 1
    page = html(pages.get("handler", c))
    assert 'data-test="round-1"' in page
    assert "propose_solution" in shown_actions(pages.get("handler", c))


def test_a_callback_that_does_not_reach_the_customer_is_counted(console, pages):
    c = console.build(State.PENDING_CALLBACK)
    r = pages.post("agent", c, "record_callback", {"reached": "no", "method": "phone"})
    assert r.status_code == 302
    assert fresh(c).state == State.PENDING_CALLBACK
    assert Callback.objects.filter(complaint=c, reached=False).count() == 1


# --- plain posts and htmx --------------------------------------------------------------------


def test_a_plain_post_redirects_back_to_the_page_with_a_message(console, pages):
    c = console.new()
    r = pages.post("agent", c, "add_note", {"text": "客户很着急。"})
    assert r.status_code == 302
    assert r["Location"].startswith(f"/console/c/{c.number}/")
    page = html(pages.client("agent").get(r["Location"]))
    assert 'class="msg msg-success"' in page
    assert "客户很着急。" in page


def test_a_plain_post_that_is_refused_shows_the_page_with_the_error(console, pages):
    c = console.new()
    r = pages.post("agent", c, "merge", {"into": "KS-19990101-0001"})
    assert r.status_code == 422
    page = html(r)
    assert "<html" in page
    assert 'data-code="invalid_input"' in page
    assert '<details class="action" data-test="action-merge" open>' in page
    assert 'value="KS-19990101-0001"' in page  # what was typed is kept
    assert fresh(c).state == State.RECEIVED


def test_an_htmx_refusal_is_a_fragment_aimed_at_the_forms_error_slot(console, pages):
    c = console.new()
    before = snapshot(c)
    r = pages.post(
        "agent",
        c,
        "add_note",
        {"text": "   "},
        htmx=True,
        **{"HX-Target-Error": "#errors-add_note"},
    )
    assert r.status_code == 422
    assert r["HX-Retarget"] == "#errors-add_note"
    assert 'data-test="error"' in html(r) and "<html" not in html(r)
    assert snapshot(c) == before


def test_a_form_error_names_the_field(console, pages):
    c = console.build(State.INVESTIGATING)
    r = pages.post("handler", c, "request_info", {"message": ""}, htmx=True)
    assert r.status_code == 422
    assert 'data-code="invalid_input"' in html(r)
    assert fresh(c).state == State.INVESTIGATING


# --- refusals that change nothing ------------------------------------------------------------

FORGED = [
    # (who, state, action, data, status)
    ("handler", State.ASSIGNED, "dispatch", {"department": "logistics"}, 403),
    ("agent", State.ASSIGNED, "accept", {}, 403),
    ("handler", State.PENDING_APPROVAL, "approve_solution", {}, 403),
    ("agent", State.PENDING_APPROVAL, "approve_solution", {}, 403),
    ("manager", State.RECEIVED, "dispatch", {"department": "logistics"}, 404),
    ("agent", State.INVESTIGATING, "dispatch", {"department": "logistics"}, 409),
    ("agent", State.CLOSED, "add_attachment", {}, 409),
    ("quality", State.INVESTIGATING, "reassign", {"handler": "1"}, 403),
    ("executive", State.INVESTIGATING, "propose_solution", {"summary": "x"}, 403),
    ("other_handler", State.INVESTIGATING, "add_note", {"text": "x"}, 404),
    ("handler", State.PENDING_CALLBACK, "record_callback", {"reached": "no"}, 403),
]


@pytest.mark.parametrize(("who", "state", "action", "data", "status"), FORGED)
def test_a_forged_post_of_an_action_not_allowed_is_refused(
    console, pages, who, state, action, data, status
):
    c = console.build(state)
    before = snapshot(c)
    for htmx in (False, True):
        r = pages.post(who, c, action, data, htmx=htmx)
        assert r.status_code == status, (htmx, html(r)[:500])
    assert snapshot(c) == before


def test_an_unknown_action_is_not_found(console, pages):
    c = console.new()
    assert pages.post("agent", c, "rate", {}).status_code == 404  # the customer's, no form
    assert pages.post("agent", c, "nonsense", {}).status_code == 404
    assert pages.client("agent").get(f"/console/c/{c.number}/act/add_note/").status_code == 405


def test_a_stale_page_is_told_the_complaint_changed(console, pages):
    c = console.new()
    stale = fresh(c).version
    records.complaint_add_note(complaint=c, actor=console.users["agent2"], text="同事先改了。")
    before = snapshot(c)
    r = pages.post(
        "agent",
        c,
        "dispatch",
        {"department": "logistics", "level": "C", "category": "late_delivery"},
        version=stale,
    )
    assert r.status_code == 409
    assert 'data-code="changed_by_someone_else"' in html(r)
    r = pages.post("agent", c, "add_note", {"text": "x"}, version=stale, htmx=True)
    assert r.status_code == 409
    assert 'data-code="changed_by_someone_else"' in html(r)
    assert snapshot(c) == before
    # a form that the new state forbids is the other writer's doing too
    records.complaint_change_level(
        complaint=fresh(c), actor=console.users["agent2"], level="B", reason="升级"
    )
    from kesu.complaints.services import transitions

    transitions.complaint_dispatch(
        complaint=fresh(c), actor=console.users["agent2"], department="logistics"
    )
    r = pages.post("agent", c, "dispatch", {"department": "logistics"}, version=stale)
    assert r.status_code == 409
    assert 'data-code="changed_by_someone_else"' in html(r)


def test_a_missing_version_is_refused(console, pages):
    c = console.new()
    r = pages.client("agent").post(f"/console/c/{c.number}/act/add_note/", {"text": "x"})
    assert r.status_code == 422
    assert Event.objects.filter(complaint=c, kind="note").count() == 0


# --- each action through its form ------------------------------------------------------------


def test_request_and_provide_info(console, pages):
    c = console.build(State.INVESTIGATING)
    r = pages.post("handler", c, "request_info", {"message": "请提供签收单照片。"})
    assert r.status_code == 302 and fresh(c).state == State.AWAITING_CUSTOMER
    r = pages.post("agent", c, "provide_info", {"text": "客户电话补充:签收时已注明破损。"})
    assert r.status_code == 302 and fresh(c).state == State.INVESTIGATING


def test_refuse_solution(console, pages):
    c = console.build(State.PENDING_APPROVAL)
    r = pages.post("manager", c, "refuse_solution", {"reason": "金额过高。"}, htmx=True)
    assert _state_of(r) == State.INVESTIGATING
    assert Solution.objects.get(complaint=c).status == SolutionStatus.REJECTED


def test_pass_review_and_return_for_rework(console, pages):
    c = console.build(State.PENDING_REVIEW, review=True)
    r = pages.post("agent", c, "return_for_rework", {"reason": "缺少签收记录。"}, htmx=True)
    assert _state_of(r) == State.RESOLVING
    pages.post("handler", c, "report_resolved", {"summary": "已补齐记录。"})
    assert fresh(c).state == State.PENDING_REVIEW
    r = pages.post("agent", c, "pass_review", {"note": "记录完整。"}, htmx=True)
    assert _state_of(r) == State.PENDING_CALLBACK


def test_reopen_after_closure(console, pages):
    c = console.build(State.CLOSED)
    r = pages.post("agent", c, "reopen", {"reason": "客户来电:问题再次出现。"}, htmx=True)
    assert _state_of(r) == State.INVESTIGATING
    assert fresh(c).round_no == 2


def test_reject_with_recourse(console, pages):
    c = console.new()
    page = html(pages.get("agent", c))
    assert "12315" in page  # the policy's recourse is offered
    r = pages.post(
        "agent", c, "reject", {"reason": "不属于本公司业务。", "recourse": "可向12315反映。"}
    )
    assert r.status_code == 302
    c = fresh(c)
    assert c.state == State.REJECTED and c.rejection_recourse == "可向12315反映。"


def test_merge_into_another_complaint(console, pages):
    keep = console.new()
    c = console.new(description="重复来电,同一批货。")
    r = pages.post("agent", c, "merge", {"into": f" {keep.number} "}, htmx=True)
    assert _state_of(r) == State.MERGED
    assert fresh(c).merged_into == keep
    other = console.new()
    r = pages.post("agent", other, "merge", {"into": other.number})
    assert r.status_code == 422


def test_acknowledge(console, pages):
    c = console.new()
    r = pages.post("agent", c, "acknowledge", {"channel": "sms", "summary": "已短信告知受理。"})
    assert r.status_code == 302
    assert Event.objects.filter(complaint=c, kind="acknowledged").exists()
    assert Communication.objects.filter(complaint=c, channel="sms").exists()


def test_dispatch_refuses_a_handler_of_another_department(console, pages):
    c = console.new()
    before = snapshot(c)
    r = pages.post(
        "agent",
        c,
        "dispatch",
        {
            "department": "logistics",
            "handler": console.users["other_handler"].pk,
            "level": "C",
            "category": "late_delivery",
        },
        htmx=True,
    )
    assert r.status_code == 422
    assert snapshot(c) == before


def test_dispatch_without_a_department_follows_the_policys_routing(console, pages):
    c = console.new(category="invoicing", description="发票开错。")
    r = pages.post(
        "agent",
        c,
        "dispatch",
        {"department": "", "level": "B", "category": "invoicing", "urgent": "on"},
    )
    assert r.status_code == 302
    c = fresh(c)
    assert c.department.code == "finance" and c.level == "B" and c.urgent


def test_reassign_and_change_level(console, pages):
    c = console.build(State.INVESTIGATING)
    handler2 = console.users["handler2"]
    r = pages.post("manager", c, "reassign", {"handler": handler2.pk, "reason": "休假。"})
    assert r.status_code == 302 and fresh(c).handler == handler2
    r = pages.post("agent", c, "change_level", {"level": "B", "reason": "客户第二次来电。"})
    assert r.status_code == 302 and fresh(c).level == "B"
    r = pages.post("agent", c, "change_level", {"level": "B", "reason": "再改一次。"})
    assert r.status_code == 409  # unchanged: the service says so


def test_log_communication_from_a_standard_reply(console, pages):
    c = console.build(State.INVESTIGATING)
    page = html(pages.get("handler", c))
    # the reply is filled in for this complaint (customer, number) and offered in the form
    assert "陈建国" in page and 'data-text="' in page
    assert f"{c.number}" in page.split("data-reply-into")[1]
    r = pages.post(
        "handler",
        c,
        "log_communication",
        {
            "channel": "phone",
            "direction": "out",
            "template": "info.requested",
            "summary": "已电话联系客户,说明处理进度。",
            "at": local(NOW - timedelta(hours=1)),
        },
    )
    assert r.status_code == 302, html(r)
    comm = Communication.objects.get(complaint=c, template="info.requested")
    assert comm.at == NOW - timedelta(hours=1)
    r = pages.post(
        "handler",
        c,
        "log_communication",
        {
            "channel": "phone",
            "direction": "out",
            "summary": "未来",
            "at": local(NOW + timedelta(hours=2)),
        },
    )
    assert r.status_code == 422


def test_add_attachment_through_the_form(console, pages):
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = console.build(State.INVESTIGATING)
    upload = SimpleUploadedFile("签收单.png", PNG, content_type="image/png")
    r = pages.post("handler", c, "add_attachment", {"file": upload, "visible_to_customer": ""})
    assert r.status_code == 302
    att = Attachment.objects.get(complaint=c)
    assert att.name == "签收单.png" and not att.visible_to_customer
    bad = SimpleUploadedFile("x.html", b"<script>alert(1)</script>", content_type="text/html")
    r = pages.post("handler", c, "add_attachment", {"file": bad}, htmx=True)
    assert r.status_code == 422
    assert Attachment.objects.filter(complaint=c).count() == 1


def test_root_cause_tasks_and_actions(console, pages):
    c = console.build(State.INVESTIGATING)
    r = pages.post(
        "handler",
        c,
        "set_root_cause",
        {
            "root_cause": "process_defect",
            "root_cause_text": "交接流程缺失。",
            "findings": "排查了三个环节。",
        },
    )
    assert r.status_code == 302
    assert fresh(c).root_cause == "process_defect"

    r = pages.post(
        "handler",
        c,
        "add_task",
        {
            "department": "finance",
            "title": "支付赔偿款",
            "owner": console.users["finance_handler"].pk,
            "due_at": local(NOW + timedelta(days=1)),
            "required": "on",
        },
    )
    assert r.status_code == 302
    task = Task.objects.get(complaint=c)
    assert task.owner == console.users["finance_handler"] and task.required

    console.propose(fresh(c), Decimal("100"))
    r = pages.post("handler", c, "report_resolved", {}, htmx=True)
    assert r.status_code == 409  # the required task is open
    assert "支付赔偿款" in html(r)

    r = pages.post("finance_handler", c, "complete_task", {"task": task.pk, "result": "已付款。"})
    assert r.status_code == 302
    assert Task.objects.get(pk=task.pk).status == Task.Status.DONE
    r = pages.post("agent", c, "complete_task", {"task": 999999, "result": "x"})
    assert r.status_code == 422  # not one of the choices

    action = console.approved_action(c)
    r = pages.post("handler", c, "complete_action", {"action_id": action.pk}, htmx=True)
    assert r.status_code == 200
    action.refresh_from_db()
    assert action.done_at == NOW
    assert 'data-test="nothing-to-do"' in html(pages.get("handler", c))


def test_record_a_meeting(console, pages):
    c = console.build(State.INVESTIGATING)
    r = pages.post(
        "handler",
        c,
        "record_meeting",
        {
            "held_at": local(NOW - timedelta(hours=2)),
            "participants": "物流部、财务部、客服部",
            "decision": "先赔付再追责。",
        },
    )
    assert r.status_code == 302
    assert Meeting.objects.get(complaint=c).decision == "先赔付再追责。"


def test_ask_for_and_decide_more_time(console, pages):
    c = console.build(State.INVESTIGATING)
    r = pages.post(
        "handler",
        c,
        "request_extension",
        {"milestone": "solution", "hours": "8", "reason": "等待物流公司的调查结果。"},
    )
    assert r.status_code == 302
    ext = DeadlineExtension.objects.get(milestone__complaint=c)
    assert "decide_extension" not in shown_actions(pages.get("handler", c))
    r = pages.post(
        "manager",
        c,
        "decide_extension",
        {"extension": ext.pk, "approve": "yes", "reason": "同意。"},
        htmx=True,
    )
    assert r.status_code == 200
    ext.refresh_from_db()
    assert ext.status == DeadlineExtension.Status.APPROVED
    assert ext.milestone.original_due_at < ext.milestone.due_at


def test_the_page_after_an_action_that_takes_the_case_away(console, pages):
    """A manager who reassigns to another department still sees it (they touched it)."""
    c = console.build(State.INVESTIGATING)
    r = pages.post(
        "manager", c, "reassign", {"department": "sales", "reason": "属于销售问题。"}, htmx=True
    )
    assert r.status_code == 200
    assert fresh(c).department.code == "sales" and fresh(c).state == State.ASSIGNED
