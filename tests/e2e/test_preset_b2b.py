"""Seed 001 《客户抱怨与投诉处理控制程序》 (preset ``b2b``) followed through the HTTP API only.

The preset's numbers (src/kesu/policy/presets/b2b.yaml), all on the business clock — working
hours 09:00–12:00 and 13:00–18:00 (8 h = 1 working day), Monday–Friday, Chinese statutory
holidays off and 调休 make-up days on:

    milestone  start       A     B     C
    ack        received    1h    1h    1h     信息接收与初步安抚(1小时内)
    dispatch   received    2h    2h    2h     评估、定级与任务分派(2小时内)
    contact    dispatched  2h    4h    8h     A 2小时 / B 4小时 / C 8小时内与客户取得联系
    solution   dispatched  1wd   2wd   3wd    (pausable)
    callback   resolved    1wd   1wd   1wd    回访与闭环(解决后24小时内), 非原处理人

warn at 80 %; a breach goes to the manager, A-level breaches and a complaint's second breach
also to the executive. Approval: handler ≤ 2,000, manager ≤ 20,000, executive above; any A
solution needs the executive (高层管理者审批重大投诉的解决方案), any B solution the manager.
No review step; customer service (not the handler) calls back; closed only when the customer
accepts the outcome. Every expected time below is worked out by hand in the comments; the
weeks used (2026-11-16 … 11-24) have no holiday, 11-21/22 is a weekend.

This replaces the service-level scenario tests/complaints/test_preset_b2b.py.
"""

from __future__ import annotations

from kesu.outbox.models import OutboxMessage
from tests.conftest import at
from tests.e2e.conftest import (
    check,
    forbidden,
    moment,
    moves,
    to_customer,
    told,
)

CALLBACK_OK = {"reached": True, "outcome_rating": 5, "process_rating": 5, "accepted": True}


def test_a_level_procedure(procedure):
    """An A-level complaint phoned in on Friday 2026-11-20: suggested A from 律师/起诉/重大项目,
    dispatched within 2 h, the 2 h contact missed and escalated to the manager and the
    executive exactly once, a pause for the customer's documents over the weekend, a 3,000
    CNY solution (within the manager's amount) that only the executive may approve, resolution,
    a failed and then a satisfied callback by customer service — never by the handler."""
    p = procedure("b2b", "2026-11-20 09:00")
    agent, agent2, executive, admin = (
        p.people.agent,
        p.people.agent2,
        p.people.executive,
        p.people.admin,
    )
    handler, manager = p.people.handlers["logistics"], p.people.managers["logistics"]
    other_manager = p.people.managers["sales"]

    # 信息接收与初步安抚: Friday 09:00 on the phone (a live channel: acknowledged on the call).
    c = p.post(
        agent,
        "/complaints",
        {
            "customer_name": "周静",
            "customer_company": "南京鼎盛机械制造有限公司",
            "customer_phone": "13851770006",
            "channel": "hotline",
            "description": "重大项目的设备交货期已经延误一周，客户说再不解决就找律师起诉。",
            "demand": "本周内发货并赔偿损失",
        },
        status=201,
    )
    n = c["number"]
    assert n.startswith("KS-20261120-") and c["state"] == "received"
    # Suggested from 律师/起诉/重大项目 → A; 交货期 → late_delivery (物流与计划部). The
    # agent gave neither: the suggestion is the choice, and both are kept.
    assert c["grading"]["level"] == {"chosen": "A", "suggested": "A"}
    assert c["grading"]["category"] == {"chosen": "late_delivery", "suggested": "late_delivery"}
    assert any("001 A级" in reason for reason in c["grading"]["reasons"])
    # The customer is told it is accepted, by SMS (no e-mail was given).
    assert to_customer("complaint.received", n) == [("sms", "13851770006")]
    ms = p.milestones(agent, n)
    assert set(ms) == {"ack", "dispatch"}
    check(ms["ack"], due="2026-11-20 10:00", met="2026-11-20 09:00")  # 1 h, met on the call
    check(ms["dispatch"], due="2026-11-20 11:00")  # 2 h

    # Forbidden steps before dispatch, each changing nothing: customer service cannot accept
    # for a department (role), the department cannot see it yet, no callback in this state.
    p.at("2026-11-20 09:30")
    forbidden(p, agent, n, "accept", {}, status=403, code="permission_denied")
    forbidden(p, handler, n, "accept", {}, status=404, code="not_found")
    forbidden(p, agent2, n, "callbacks", CALLBACK_OK, status=409, code="invalid_transition")

    # 评估、定级与任务分派 at 10:30.
    p.at("2026-11-20 10:30")
    c = p.act(
        agent, n, "dispatch", {"department": "logistics", "handler": handler.pk, "level": "A"}
    )
    assert c["state"] == "assigned" and c["handler"]["id"] == handler.pk
    ms = p.milestones(agent, n)
    check(ms["dispatch"], due="2026-11-20 11:00", met="2026-11-20 10:30")
    assert ms["dispatch"]["met_on_time"] is True
    # A: contact in 2 working hours across lunch: 10:30–12:00 (1.5 h) + 13:00–13:30.
    check(ms["contact"], due="2026-11-20 13:30")
    # solution 1wd = 8 h: Fri 10:30–12:00 + 13:00–18:00 = 6.5 h, (weekend) Mon 09:00 + 1.5 h.
    check(ms["solution"], due="2026-11-23 10:30")

    # Warning at 80 % of 2 h = 96 min: 90 min to 12:00 + 6 → 13:06, to the handler.
    assert not p.sweep("2026-11-20 13:05")
    r = p.sweep("2026-11-20 13:06")
    assert (r.warned, r.breached) == (1, 0)
    assert told("milestone.warning", handler, n) == 1
    # Breach at 13:30: the department manager, and for A the executive (销售部最高领导介入).
    assert not p.sweep("2026-11-20 13:29")
    r = p.sweep("2026-11-20 13:30")
    assert (r.warned, r.breached, r.executive) == (0, 1, 1)
    assert told("milestone.breached", manager, n) == 1
    assert told("milestone.breached", handler, n) == 1
    assert told("milestone.breached_executive", executive, n) == 1
    assert told("milestone.breached", other_manager, n) == 0
    # However many sweeps run, the breach escalates once.
    outbox = OutboxMessage.objects.count()
    for minute in ("13:31", "13:40", "17:00"):
        assert not p.sweep(f"2026-11-20 {minute}")
    assert OutboxMessage.objects.count() == outbox
    timeline = p.get(admin, f"/complaints/{n}/timeline")
    assert [e["data"]["milestone"] for e in timeline if e["kind"] == "milestone_breached"] == [
        "contact"
    ]
    c = p.complaint(agent, n)
    assert c["is_overdue"] is True and c["breach_count"] == 1

    p.at("2026-11-20 13:45")
    assert p.act(handler, n, "accept")["state"] == "investigating"
    p.at("2026-11-20 14:00")
    p.post(
        handler,
        f"/complaints/{n}/communications",
        {"channel": "phone", "direction": "out", "summary": "已致电客户说明原因,制定沟通方案"},
        status=201,
    )
    contact = p.milestones(agent, n)["contact"]
    check(contact, due="2026-11-20 13:30", met="2026-11-20 14:00", breached="2026-11-20 13:30")
    assert contact["met_on_time"] is False

    # Waiting for the customer from Friday 15:00 to Monday 10:00: the solution clock stops.
    p.at("2026-11-20 15:00")
    c = p.act(handler, n, "request-info", {"message": "请提供项目合同及交货期确认函"})
    assert c["state"] == "awaiting_customer"
    assert to_customer("info.requested", n) == [("sms", "13851770006")]
    assert p.milestones(agent, n)["solution"]["paused"] is True
    # Unpaused, the solution (8 h from Fri 10:30) would warn at 80 % = 384 min: 90 + 294 →
    # Fri 17:54. Paused, nothing happens then, over the weekend or on Monday morning.
    assert not p.sweep("2026-11-20 17:55")
    assert not p.sweep("2026-11-21 12:00")
    assert not p.sweep("2026-11-23 09:59")

    p.at("2026-11-23 10:00")
    c = p.act(agent, n, "provide-info", {"text": "客户来电,合同及确认函已发邮件"})
    assert c["state"] == "investigating"
    # Paused working time: Fri 15:00–18:00 (3 h) + Mon 09:00–10:00 (1 h) = 4 h.
    # Due Mon 10:30 + 4 h: 10:30–12:00 (1.5 h) + 13:00–15:30 → Mon 15:30.
    solution = p.milestones(agent, n)["solution"]
    assert solution["paused"] is False
    check(solution, due="2026-11-23 15:30")

    # 3,000 CNY is above the handler's 2,000 and within the manager's 20,000, but every A-level
    # solution goes to the executive.
    p.at("2026-11-23 11:00")
    sol = p.post(
        handler,
        f"/complaints/{n}/solution",
        {
            "summary": "紧急补发并赔偿延误损失",
            "root_cause": "logistics_supplier_gap",
            "root_cause_text": "承运商排车失误",
            "actions": [
                {"kind": "reshipment", "description": "加急补发"},
                {"kind": "compensation", "amount": "3000", "owner": handler.pk},
            ],
        },
        status=201,
    )
    assert (sol["status"], sol["required_role"], sol["amount"]) == (
        "pending_approval",
        "executive",
        "3000.00",
    )
    assert told("solution.approval_needed", executive, n) == 1
    assert told("solution.approval_needed", manager, n) == 0
    forbidden(p, manager, n, "solution/approve", {}, status=403, code="permission_denied")
    forbidden(p, other_manager, n, "solution/approve", {}, status=404, code="not_found")
    forbidden(p, handler, n, "solution/approve", {}, status=403, code="permission_denied")

    # The solution's warning moved with the pause: Fri 17:54 + 4 working hours = Fri 6 min +
    # Mon 09:00–12:00 + 13:00–13:54 → Mon 13:54.
    assert not p.sweep("2026-11-23 13:53")
    r = p.sweep("2026-11-23 13:54")
    assert (r.warned, r.breached) == (1, 0)
    assert told("milestone.warning", handler, n) == 2

    p.at("2026-11-23 14:00")
    c = p.act(executive, n, "solution/approve", {"reason": "同意"})
    assert c["state"] == "resolving"
    assert c["solutions"][0]["decided_by"]["id"] == executive.pk
    solution = p.milestones(agent, n)["solution"]
    check(solution, due="2026-11-23 15:30", met="2026-11-23 14:00")
    assert solution["met_on_time"] is True
    assert to_customer("solution.communicated", n) == [("sms", "13851770006")]

    p.at("2026-11-23 15:00")
    c = p.act(handler, n, "resolve", {"summary": "已补发到货"})
    assert c["state"] == "pending_callback"  # b2b has no review step
    # 回访 within 24 h: 1wd from Mon 15:00 = Mon 3 h + Tue 09:00–12:00 + 13:00–15:00.
    check(p.milestones(agent, n)["callback"], due="2026-11-24 15:00")
    assert to_customer("callback.survey", n) == [("sms", "13851770006")]

    # 非原处理人: neither the handler nor his manager makes the callback; customer service does.
    p.at("2026-11-24 09:30")
    forbidden(p, handler, n, "callbacks", CALLBACK_OK, status=403, code="permission_denied")
    forbidden(p, manager, n, "callbacks", CALLBACK_OK, status=403, code="permission_denied")
    assert "record_callback" not in p.complaint(handler, n)["allowed_actions"]
    assert "record_callback" in p.complaint(agent2, n)["allowed_actions"]

    # Closed only on a satisfied callback: an unanswered call leaves it open …
    p.at("2026-11-24 10:00")
    p.post(
        agent2, f"/complaints/{n}/callbacks", {"reached": False, "notes": "无人接听"}, status=201
    )
    c = p.complaint(agent, n)
    assert c["state"] == "pending_callback" and c["closed_at"] is None
    assert p.milestones(agent, n)["callback"]["met_at"] is None
    # … the customer's acceptance closes it.
    p.at("2026-11-24 11:00")
    cb = p.post(
        agent2,
        f"/complaints/{n}/callbacks",
        {**CALLBACK_OK, "process_rating": 4, "notes": "客户确认满意"},
        status=201,
    )
    assert cb["by"]["id"] == agent2.pk
    c = p.complaint(agent, n)
    assert (c["state"], c["close_reason"]) == ("closed", "satisfied")
    assert (c["is_overdue"], c["breach_count"]) == (False, 1)
    assert c["rounds"][0]["satisfied"] is True
    assert [cb["reached"] for cb in c["callbacks"]] == [False, True]
    callback = p.milestones(agent, n)["callback"]
    check(callback, due="2026-11-24 15:00", met="2026-11-24 11:00")
    assert callback["met_on_time"] is True
    assert moves(p, n) == [
        ("received", "assigned"),
        ("assigned", "investigating"),
        ("investigating", "awaiting_customer"),
        ("awaiting_customer", "investigating"),
        ("investigating", "pending_approval"),
        ("pending_approval", "resolving"),
        ("resolving", "pending_callback"),
        ("pending_callback", "closed"),
    ]


def test_b_level_portal_complaint_unsatisfied_then_closed(procedure):
    """A B-level complaint filed by the customer on the portal on Monday 2026-11-16: the 1 h
    acknowledgment and the 2 h dispatch missed (escalated to the customer-service manager,
    the second breach also to the executive), the 4 h contact kept, the B solution approved
    by the manager, the customer's unsatisfied rating starting round 2 instead of closing, a
    25,000 CNY solution approved by the executive, closure on a satisfied callback."""
    p = procedure("b2b", "2026-11-16 09:00")
    agent, agent2, executive = p.people.agent, p.people.agent2, p.people.executive
    customer = p.people.customer
    cs_manager = p.people.managers["customer_service"]
    handler, manager = p.people.handlers["finance"], p.people.managers["finance"]

    c = p.post(
        customer,
        "/complaints",
        {
            "customer_name": "陈建国",
            "customer_phone": "13816620001",
            "customer_email": "chen@example.cn",
            "channel": "web",
            "description": "十月的发票开错了税号,已经多次联系都没人理,影响我们月底付款。",
            "level": "A",  # a customer's own grading is not taken
        },
        status=201,
    )
    n = c["number"]
    # The customer sees the case but not the internal grading.
    assert c["grading"] is None and c["received_by"] is None
    c = p.complaint(agent, n)
    # 多次/没人理 → B (001 B级 多次沟通无果); 发票 → invoicing (the first category rule that
    # matches, before 付款 → payment_dispute).
    assert c["grading"]["level"] == {"chosen": "B", "suggested": "B"}
    assert c["grading"]["category"] == {"chosen": "invoicing", "suggested": "invoicing"}
    assert to_customer("complaint.received", n) == [
        ("email", "chen@example.cn"),
        ("sms", "13816620001"),
    ]
    # The portal is not a live channel: ack 1 h → 10:00; dispatch 2 h → 11:00.
    ms = p.milestones(agent, n)
    check(ms["ack"], due="2026-11-16 10:00")
    check(ms["dispatch"], due="2026-11-16 11:00")

    # Nobody has it yet: customer service (every agent) owns it. ack warns at 80 % of 60 min
    # → 09:48 and breaches at 10:00, to the customer-service manager; B and a first breach:
    # not the executive.
    assert not p.sweep("2026-11-16 09:47")
    assert p.sweep("2026-11-16 09:48").warned == 1
    assert told("milestone.warning", agent, n) == 1
    assert told("milestone.warning", agent2, n) == 1
    assert not p.sweep("2026-11-16 09:59")
    r = p.sweep("2026-11-16 10:00")
    assert (r.warned, r.breached, r.executive) == (0, 1, 0)
    assert told("milestone.breached", cs_manager, n) == 1
    assert told("milestone.breached", agent, n) == 1
    assert told("milestone.breached", manager, n) == 0
    assert told("milestone.breached_executive", executive, n) == 0
    assert not p.sweep("2026-11-16 10:05")

    p.at("2026-11-16 10:20")
    p.act(agent, n, "acknowledge", {"channel": "phone", "summary": "已致电客户致歉并受理"})
    check(
        p.milestones(agent, n)["ack"],
        due="2026-11-16 10:00",
        met="2026-11-16 10:20",
        breached="2026-11-16 10:00",
    )
    # A customer cannot grade or dispatch (role).
    forbidden(
        p, customer, n, "dispatch", {"department": "finance"}, status=403, code="permission_denied"
    )

    # dispatch warns at 80 % of 2 h = 96 min → 10:36 and breaches at 11:00: the complaint's
    # second breach, so the executive hears of it too although it is B.
    assert not p.sweep("2026-11-16 10:35")
    assert p.sweep("2026-11-16 10:36").warned == 1
    assert told("milestone.warning", agent, n) == 2
    r = p.sweep("2026-11-16 11:00")
    assert (r.warned, r.breached, r.executive) == (0, 1, 1)
    assert told("milestone.breached", cs_manager, n) == 2
    assert told("milestone.breached_executive", executive, n) == 1
    assert not p.sweep("2026-11-16 11:05")

    # Dispatched at 11:10 to 财务部 without a handler: the department's manager is told.
    p.at("2026-11-16 11:10")
    c = p.act(agent, n, "dispatch", {"department": "finance", "level": "B"})
    assert c["state"] == "assigned" and c["handler"] is None
    assert told("complaint.assigned", manager, n) == 1
    ms = p.milestones(agent, n)
    check(
        ms["dispatch"], due="2026-11-16 11:00", met="2026-11-16 11:10", breached="2026-11-16 11:00"
    )
    # B: contact 4 h: 11:10–12:00 (50 min) + 13:00 + 190 min → 16:10.
    check(ms["contact"], due="2026-11-16 16:10")
    # solution 2wd = 16 h: Mon 50 + 300 min = 5h50, Tue 8 h = 13h50, Wed 09:00 + 2h10 → 11:10.
    check(ms["solution"], due="2026-11-18 11:10")

    # Another department's handler cannot take it on.
    forbidden(p, p.people.handlers["logistics"], n, "accept", {}, status=404, code="not_found")
    p.at("2026-11-16 11:20")
    c = p.act(handler, n, "accept")
    assert c["state"] == "investigating" and c["handler"]["id"] == handler.pk

    # contact warns at 80 % of 4 h = 192 min: 50 + 142 min → 15:22, to the handler.
    assert not p.sweep("2026-11-16 15:21")
    assert p.sweep("2026-11-16 15:22").warned == 1
    assert told("milestone.warning", handler, n) == 1
    p.at("2026-11-16 15:40")
    p.post(
        handler,
        f"/complaints/{n}/communications",
        {"channel": "phone", "direction": "out", "summary": "已联系客户核对税号"},
        status=201,
    )
    contact = p.milestones(agent, n)["contact"]
    check(contact, due="2026-11-16 16:10", met="2026-11-16 15:40")
    assert contact["met_on_time"] is True

    # A B-level solution needs the manager even without money (部门经理介入).
    p.at("2026-11-16 16:00")
    sol = p.post(
        handler,
        f"/complaints/{n}/solution",
        {
            "summary": "作废原发票并重开",
            "root_cause": "operation_error",
            "actions": [
                {"kind": "apology", "description": "电话致歉"},
                {"kind": "explanation", "description": "作废并重开发票"},
            ],
        },
        status=201,
    )
    assert (sol["status"], sol["required_role"]) == ("pending_approval", "manager")
    assert told("solution.approval_needed", manager, n) == 1
    forbidden(p, handler, n, "solution/approve", {}, status=403, code="permission_denied")
    assert not p.sweep("2026-11-16 16:10")  # the contact was met in time: nothing breaches
    p.at("2026-11-16 16:30")
    assert p.act(manager, n, "solution/approve")["state"] == "resolving"
    check(p.milestones(agent, n)["solution"], due="2026-11-18 11:10", met="2026-11-16 16:30")

    p.at("2026-11-16 17:00")
    assert p.act(handler, n, "resolve", {"summary": "新发票已寄出"})["state"] == "pending_callback"
    # callback 1wd from Mon 17:00: Mon 1 h + Tue 09:00–12:00 + 13:00–17:00 → Tue 17:00.
    check(p.milestones(agent, n)["callback"], due="2026-11-17 17:00")

    # Tuesday 10:00 the customer answers the survey: not satisfied → not closed, a new round.
    p.at("2026-11-17 10:00")
    c = p.act(
        customer,
        n,
        "rate",
        {"outcome_rating": 2, "process_rating": 2, "accepted": False, "comment": "税号还是不对"},
    )
    assert (c["state"], c["round_no"], c["reopen_count"]) == ("investigating", 2, 1)
    assert c["closed_at"] is None
    c = p.complaint(agent, n)
    r1 = c["rounds"][0]
    assert (r1["outcome_rating"], r1["process_rating"], r1["satisfied"]) == (2, 2, False)
    one = [m for m in c["milestones"] if m["round_no"] == 1 and m["kind"] == "callback"]
    check(one[0], due="2026-11-17 17:00", met="2026-11-17 10:00")
    # Round 2's own deadlines from Tue 10:00: contact 4 h → 10:00–12:00 + 13:00–15:00 → 15:00;
    # solution 2wd = 16 h: Tue 7 h + Wed 8 h + Thu 09:00 + 1 h → Thu 10:00.
    two = p.milestones(agent, n)
    assert set(two) == {"contact", "solution"}
    check(two["contact"], due="2026-11-17 15:00")
    check(two["solution"], due="2026-11-19 10:00")

    p.at("2026-11-17 11:00")
    p.post(
        handler,
        f"/complaints/{n}/communications",
        {"channel": "phone", "direction": "out", "summary": "再次核对开票信息"},
        status=201,
    )
    # 25,000 CNY is above the manager's 20,000: the executive approves.
    p.at("2026-11-17 14:00")
    sol = p.post(
        handler,
        f"/complaints/{n}/solution",
        {
            "summary": "承担因发票错误产生的滞纳金",
            "actions": [{"kind": "compensation", "description": "滞纳金", "amount": "25000"}],
        },
        status=201,
    )
    assert (sol["round_no"], sol["status"], sol["required_role"]) == (
        2,
        "pending_approval",
        "executive",
    )
    forbidden(p, manager, n, "solution/approve", {}, status=403, code="permission_denied")
    p.at("2026-11-17 15:00")
    assert p.act(executive, n, "solution/approve")["state"] == "resolving"
    two = p.milestones(agent, n)
    check(two["contact"], due="2026-11-17 15:00", met="2026-11-17 11:00")
    check(two["solution"], due="2026-11-19 10:00", met="2026-11-17 15:00")

    p.at("2026-11-17 16:00")
    assert p.act(handler, n, "resolve", {"summary": "滞纳金已支付"})["state"] == "pending_callback"
    # Round 2's callback, 1wd from Tue 16:00: Tue 2 h + Wed 09:00–12:00 + 13:00–16:00.
    check(p.milestones(agent, n)["callback"], due="2026-11-18 16:00")
    assert len(to_customer("callback.survey", n)) == 4  # email + SMS, once per round

    p.at("2026-11-18 10:00")
    p.post(agent, f"/complaints/{n}/callbacks", CALLBACK_OK, status=201)
    c = p.complaint(agent, n)
    assert (c["state"], c["close_reason"], c["reopen_count"]) == ("closed", "satisfied", 1)
    assert [r["satisfied"] for r in c["rounds"]] == [False, True]
    check(p.milestones(agent, n)["callback"], due="2026-11-18 16:00", met="2026-11-18 10:00")
    assert moves(p, n) == [
        ("received", "assigned"),
        ("assigned", "investigating"),
        ("investigating", "pending_approval"),
        ("pending_approval", "resolving"),
        ("resolving", "pending_callback"),
        ("pending_callback", "investigating"),
        ("investigating", "pending_approval"),
        ("pending_approval", "resolving"),
        ("resolving", "pending_callback"),
        ("pending_callback", "closed"),
    ]


def test_contact_deadlines_by_level(procedure):
    """A/B/C: contact within 2/4/8 working hours of dispatch (001 投诉定级标准), solution
    within 1/2/3 working days; e-mails recorded at 09:05 that arrived at 09:00 run their
    1 h acknowledgment from 09:00, and an A-level breach reaches the executive."""
    p = procedure("b2b", "2026-11-16 09:05")
    agent, executive = p.people.agent, p.people.executive
    cs_manager = p.people.managers["customer_service"]
    customers = {
        "A": ("刘芳", "13962110002"),
        "B": ("赵敏", "13770210003"),
        "C": ("孙伟", "13601890004"),
    }
    numbers = {}
    for level, (name, phone) in customers.items():
        c = p.post(
            agent,
            "/complaints",
            {
                "customer_name": name,
                "customer_phone": phone,
                "channel": "email",
                "category": "invoicing",
                "description": "发票开错了税号。",
                "level": level,
                "received_at": at("2026-11-16 09:00").isoformat(),
            },
            status=201,
        )
        numbers[level] = n = c["number"]
        assert moment(c["received_at"]) == at("2026-11-16 09:00")
        assert moment(c["recorded_at"]) == at("2026-11-16 09:05")
        assert c["grading"]["level"] == {"chosen": level, "suggested": "C"}
        ms = p.milestones(agent, n)
        check(ms["ack"], due="2026-11-16 10:00")  # e-mail is not live: open, from 09:00
        check(ms["dispatch"], due="2026-11-16 11:00")

    # Nobody acknowledged: three ack breaches at 10:00, to the customer-service manager; only
    # the A-level one also to the executive.
    r = p.sweep("2026-11-16 10:00")
    assert (r.breached, r.executive) == (3, 1)
    for level, n in numbers.items():
        assert told("milestone.breached", cs_manager, n) == 1
        assert told("milestone.breached_executive", executive, n) == int(level == "A")

    p.at("2026-11-16 10:30")
    # contact from 10:30: A 2 h → 13:30; B 4 h → 15:30; C 8 h → Mon 6.5 h + Tue 1.5 h →
    # Tue 10:30. solution: A 1wd → Tue 10:30; B 2wd → Wed 10:30; C 3wd → Thu 10:30.
    expected = {
        "A": ("2026-11-16 13:30", "2026-11-17 10:30"),
        "B": ("2026-11-16 15:30", "2026-11-18 10:30"),
        "C": ("2026-11-17 10:30", "2026-11-19 10:30"),
    }
    for level, (contact_due, solution_due) in expected.items():
        n = numbers[level]
        c = p.act(agent, n, "dispatch", {"department": "finance", "level": level})
        assert (c["state"], c["level"]) == ("assigned", level)
        ms = p.milestones(agent, n)
        check(ms["dispatch"], due="2026-11-16 11:00", met="2026-11-16 10:30")
        check(ms["contact"], due=contact_due)
        check(ms["solution"], due=solution_due)
