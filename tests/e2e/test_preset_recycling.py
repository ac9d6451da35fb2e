"""Seed 003 《再生资源客户投诉处理制度》 (preset ``recycling``) followed through the HTTP API only.

The preset's numbers (src/kesu/policy/presets/recycling.yaml), all on the business clock —
working hours 09:00–12:00 and 13:00–18:00 (8 h = 1 working day), Monday–Friday, Chinese
statutory holidays off and 调休 make-up days on:

    milestone  start       general  major  urgent flag (the shorter applies)
    ack        received    4h       2h     30m
    dispatch   received    4h       2h     30m
    contact    dispatched  1wd      4h     2h
    solution   dispatched  3wd      7wd    2wd     (pausable)
    callback   resolved    2wd      1wd    —

warn at 80 %; breaches go to the manager, ``major`` breaches and a complaint's second breach
also to the executive. Approval: handler ≤ 1,000, manager ≤ 10,000, executive above; any
``major`` solution needs at least the manager. Review step on (五(五)); reopen window 30 days
(六(二) 二次处理). Every expected time below is worked out by hand in the comments.

2026 calendar used here (国务院办公厅 2026 年部分节假日安排): 中秋 9-25…9-27 and 国庆 10-1…10-7
off, Saturday 10-10 a make-up working day (调休上班); 11-21/22 and 11-28/29 are weekends.
"""

from __future__ import annotations

from typing import Any

from kesu.outbox.models import OutboxMessage
from tests.conftest import at
from tests.e2e.conftest import (
    Procedure,
    check,
    forbidden,
    moment,
    moves,
    to_customer,
    told,
)

PDF = b"%PDF-1.4\n% recheck report\n"


def round_milestones(data: dict[str, Any], round_no: int) -> dict[str, dict[str, Any]]:
    return {m["kind"]: m for m in data["milestones"] if m["round_no"] == round_no}


def test_general_complaint_review_rework_and_secondary_handling(procedure):
    """A general product-quality complaint by e-mail: graded from the keywords, dispatched to
    质量管理部, a late contact escalated to the manager, a pause for the customer's test report
    across a weekend, a 3,000 CNY solution approved by the manager, the review returning the
    result for missing records and then passing it, an unsatisfied callback starting the
    secondary handling (round 2) with its own deadlines, a second breach reaching the
    executive, a 12,000 CNY solution approved by the executive, and closure on the customer's
    satisfied rating — with round 1's results kept."""
    p = procedure("recycling", "2026-11-18 16:00")
    agent, agent2, executive = p.people.agent, p.people.agent2, p.people.executive
    customer = p.people.customer
    handler, manager = p.people.handlers["quality"], p.people.managers["quality"]
    other_manager = p.people.managers["sales"]

    # --- 三(二) 投诉信息记录: Wednesday 2026-11-18 16:00, an e-mail recorded by customer service.
    c = p.post(
        agent,
        "/complaints",
        {
            "customer_name": "陈建国",
            "customer_company": "上海恒昌贸易有限公司",
            "customer_phone": "13816620001",
            "customer_email": "chen@example.cn",
            "channel": "email",
            "description": "11月12日到货的再生铝锭经我方检测杂质含量超标,纯度达不到合同约定的"
            "99.7%,影响我方压铸生产。",
            "demand": "退换不合格批次并赔偿加工损失",
            "product": "再生铝锭 ADC12",
            "batch_no": "AL-2611-07",
            "order_no": "SO-2026-1107",
            "claimed_amount": "3000",
        },
        status=201,
    )
    n = c["number"]
    assert n.startswith("KS-20261118-")
    assert c["state"] == "received" and c["department"] is None
    # 杂质/含量/检测/纯度 → product_quality (the first rule naming a category wins over 到货 →
    # delivery_time); no safety or legal word and 3,000 < 50,000 → general, not urgent.
    assert c["grading"]["category"] == {"chosen": "product_quality", "suggested": "product_quality"}
    assert c["grading"]["level"] == {"chosen": "general", "suggested": "general"}
    assert c["grading"]["urgent"] == {"chosen": False, "suggested": False}
    assert (c["level"], c["urgent"], c["category"]) == ("general", False, "product_quality")
    # 四(一) 告知: the customer is told it is accepted, by e-mail and SMS.
    assert to_customer("complaint.received", n) == [
        ("email", "chen@example.cn"),
        ("sms", "13816620001"),
    ]
    # E-mail is not a live channel: ack is open. ack and dispatch 4 working hours from Wed
    # 16:00: Wed 16:00–18:00 (2 h) + Thu 09:00–11:00 (2 h) → Thu 11:00.
    ms = p.milestones(agent, n)
    assert set(ms) == {"ack", "dispatch"}
    check(ms["ack"], due="2026-11-19 11:00")
    check(ms["dispatch"], due="2026-11-19 11:00")

    # Thursday 09:30: customer service replies by e-mail — ack met.
    p.at("2026-11-19 09:30")
    p.act(agent, n, "acknowledge", {"channel": "email", "summary": "已受理,预计明日联系您"})
    check(p.milestones(agent, n)["ack"], due="2026-11-19 11:00", met="2026-11-19 09:30")

    # Warning at 80 % of dispatch's 4 h = 192 min: Wed 120 min + Thu 72 min → Thu 10:12,
    # to the owner: the agent who recorded it (no department yet), not the other agent.
    assert not p.sweep("2026-11-19 10:11")
    r = p.sweep("2026-11-19 10:12")
    assert (r.warned, r.breached) == (1, 0)
    assert told("milestone.warning", agent, n) == 1
    assert told("milestone.warning", agent2, n) == 0

    # --- 五(一) 初步评估与任务分配: Thursday 10:40, to 质量管理部 (产品检验报告, 五(二)).
    p.at("2026-11-19 10:40")
    c = p.act(
        agent,
        n,
        "dispatch",
        {"department": "quality", "handler": handler.pk, "level": "general"},
    )
    assert c["state"] == "assigned" and c["handler"]["id"] == handler.pk
    assert told("complaint.assigned", handler, n) == 1
    ms = p.milestones(agent, n)
    assert set(ms) == {"ack", "dispatch", "contact", "solution"}
    check(ms["dispatch"], due="2026-11-19 11:00", met="2026-11-19 10:40")
    # contact 1wd from Thu 10:40: Thu 80 + 300 min = 380, Fri 09:00 + 100 min → Fri 10:40.
    check(ms["contact"], due="2026-11-20 10:40")
    # solution 3wd = 24 h: Thu 6h20 + Fri 8 h = 14h20, (weekend) Mon 8 h = 22h20, Tue 1h40
    # → Tue 2026-11-24 10:40.
    check(ms["solution"], due="2026-11-24 10:40")

    p.at("2026-11-19 11:00")
    assert p.act(handler, n, "accept")["state"] == "investigating"

    # Contact warning at 80 % of 8 h = 384 min: Thu 380 min + Fri 4 min → Fri 09:04.
    assert not p.sweep("2026-11-20 09:03")
    r = p.sweep("2026-11-20 09:04")
    assert (r.warned, r.breached) == (1, 0)
    assert told("milestone.warning", handler, n) == 1
    # Breach at Fri 10:40: the department manager is told; general level, first breach → not
    # the executive; nobody outside the department.
    assert not p.sweep("2026-11-20 10:39")
    r = p.sweep("2026-11-20 10:40")
    assert (r.warned, r.breached, r.executive) == (0, 1, 0)
    assert told("milestone.breached", manager, n) == 1
    assert told("milestone.breached", handler, n) == 1
    assert told("milestone.breached", other_manager, n) == 0
    assert told("milestone.breached_executive", executive, n) == 0
    # A second sweep escalates nothing again.
    messages = OutboxMessage.objects.count()
    assert not p.sweep("2026-11-20 10:50")
    assert OutboxMessage.objects.count() == messages
    c = p.complaint(agent, n)
    assert c["is_overdue"] is True and c["breach_count"] == 1

    # 五(二): the handler calls the customer at 11:00 — contact met late, its breach kept.
    p.at("2026-11-20 11:00")
    p.post(
        handler,
        f"/complaints/{n}/communications",
        {"channel": "phone", "direction": "out", "summary": "已致电客户,说明将对留样复检"},
        status=201,
    )
    contact = p.milestones(agent, n)["contact"]
    check(contact, due="2026-11-20 10:40", met="2026-11-20 11:00", breached="2026-11-20 10:40")
    assert contact["met_on_time"] is False

    # --- 五(二) 如需要客户提供进一步的信息: asked Friday 16:00, answered Monday 10:00.
    p.at("2026-11-20 16:00")
    c = p.act(handler, n, "request-info", {"message": "请提供贵方检测报告及留样照片"})
    assert c["state"] == "awaiting_customer"
    assert to_customer("info.requested", n) == [
        ("email", "chen@example.cn"),
        ("sms", "13816620001"),
    ]
    solution = p.milestones(agent, n)["solution"]
    assert solution["paused"] is True and solution["status"] == "paused"
    # Nothing runs while paused: no solution warning over the weekend or on Monday morning.
    assert not p.sweep("2026-11-21 10:00")
    assert not p.sweep("2026-11-23 09:59")

    p.at("2026-11-23 10:00")
    c = p.act(customer, n, "provide-info", {"text": "检测报告已发邮件,留样可随时取回复检"})
    assert c["state"] == "investigating"
    assert told("customer.info", handler, n) == 1
    # Paused working time: Fri 16:00–18:00 (2 h) + Mon 09:00–10:00 (1 h) = 3 h; the weekend
    # counts nothing. Tue 10:40 + 3 working hours: 10:40–12:00 (80 min) + 13:00–14:40 → 14:40.
    solution = p.milestones(agent, n)["solution"]
    assert solution["paused"] is False
    check(solution, due="2026-11-24 14:40")

    # --- 五(三) 制定解决方案: 3,000 CNY is above the handler's 1,000 → the manager approves.
    p.at("2026-11-23 11:00")
    sol = p.post(
        handler,
        f"/complaints/{n}/solution",
        {
            "summary": "更换不合格批次并补偿加工损失",
            "root_cause": "raw_material_sorting",
            "root_cause_text": "来料分拣不彻底,混入含铁废料",
            "findings": "留样复检铁含量0.9%,超出标准",
            "actions": [
                {"kind": "replacement", "description": "更换 AL-2611-07 批次"},
                {"kind": "compensation", "description": "补偿加工损失", "amount": "3000"},
            ],
        },
        status=201,
    )
    assert (sol["status"], sol["required_role"], sol["amount"]) == (
        "pending_approval",
        "manager",
        "3000.00",
    )
    assert told("solution.approval_needed", manager, n) == 1
    assert told("solution.approval_needed", executive, n) == 0
    # Forbidden steps in the middle, each changing nothing: the proposer approving his own
    # solution (role), another department's manager (cannot even see it), customer service
    # passing a review that is not due (state).
    forbidden(p, handler, n, "solution/approve", {}, status=403, code="permission_denied")
    forbidden(p, other_manager, n, "solution/approve", {}, status=404, code="not_found")
    forbidden(p, agent, n, "review/pass", {}, status=409, code="invalid_transition")

    p.at("2026-11-23 14:00")
    c = p.act(manager, n, "solution/approve", {"reason": "同意按合同补偿"})
    assert c["state"] == "resolving"
    check(p.milestones(agent, n)["solution"], due="2026-11-24 14:40", met="2026-11-23 14:00")
    assert len(to_customer("solution.communicated", n)) == 2

    # --- 五(五) 投诉处理结果审核: reported done Tuesday 10:00 …
    p.at("2026-11-24 10:00")
    c = p.act(handler, n, "resolve", {"summary": "已更换批次并支付补偿"})
    assert c["state"] == "pending_review"
    assert "callback" not in p.milestones(agent, n)  # the callback waits for the review
    assert told("review.needed", agent, n) == 1
    forbidden(p, handler, n, "review/pass", {}, status=403, code="permission_denied")
    # … returned at 11:00: records incomplete (相关记录和文档是否齐全) …
    p.at("2026-11-24 11:00")
    c = p.act(agent, n, "review/return", {"reason": "缺少复检报告,补偿付款凭证未归档"})
    assert c["state"] == "resolving"
    assert c["rounds"][0]["resolved_at"] is None
    assert told("review.returned", handler, n) == 1
    # … the handler files the recheck report and reports done again at 14:00 …
    p.at("2026-11-24 13:30")
    p.upload(handler, n, name="复检报告.pdf", content=PDF, content_type="application/pdf")
    p.at("2026-11-24 14:00")
    assert p.act(handler, n, "resolve", {"summary": "复检报告已归档"})["state"] == "pending_review"
    # … and the review passes at 15:00: standards met, process complete, records present.
    p.at("2026-11-24 15:00")
    c = p.act(agent, n, "review/pass", {"note": "符合服务标准,流程完整,记录齐全"})
    assert c["state"] == "pending_callback"
    assert moment(c["rounds"][0]["resolved_at"]) == at("2026-11-24 14:00")
    assert [a["name"] for a in c["attachments"]] == ["复检报告.pdf"]
    # 六 投诉反馈: callback 2wd = 16 h from the pass, Tue 15:00: Tue 3 h + Wed 8 h + Thu 5 h
    # (09:00–12:00, 13:00–15:00) → Thu 2026-11-26 15:00.
    check(p.milestones(agent, n)["callback"], due="2026-11-26 15:00")
    assert len(to_customer("callback.survey", n)) == 2
    # The handler does not give the feedback (customer service does).
    forbidden(
        p,
        handler,
        n,
        "callbacks",
        {"reached": True, "outcome_rating": 5, "process_rating": 5, "accepted": True},
        status=403,
        code="permission_denied",
    )

    # --- 六(二) 客户对处理结果不满意 → 二次处理: Wednesday 10:00.
    p.at("2026-11-25 10:00")
    cb = p.post(
        agent2,
        f"/complaints/{n}/callbacks",
        {
            "reached": True,
            "outcome_rating": 2,
            "process_rating": 3,
            "accepted": False,
            "notes": "客户认为补偿不足以覆盖加工损失,要求重新评估",
        },
        status=201,
    )
    assert cb["round_no"] == 1
    c = p.complaint(agent, n)
    assert (c["state"], c["round_no"], c["reopen_count"]) == ("investigating", 2, 1)
    assert c["handler"]["id"] == handler.pk and c["department"]["code"] == "quality"
    assert told("complaint.reopened", handler, n) == 1
    # Round 1 keeps its results.
    r1 = c["rounds"][0]
    assert (r1["outcome_rating"], r1["process_rating"], r1["satisfied"]) == (2, 3, False)
    assert moment(r1["resolved_at"]) == at("2026-11-24 14:00")
    one = round_milestones(c, 1)
    assert {k: m["status"] for k, m in one.items()} == {
        "ack": "met",
        "dispatch": "met",
        "contact": "met",
        "solution": "met",
        "callback": "met",
    }
    check(one["callback"], due="2026-11-26 15:00", met="2026-11-25 10:00")
    check(one["solution"], due="2026-11-24 14:40", met="2026-11-23 14:00")
    # Round 2 has its own milestones, started now (ack and dispatch run once per complaint):
    # contact 1wd → Thu 10:00; solution 3wd = 24 h: Wed 7 h + Thu 8 h + Fri 8 h = 23 h,
    # (weekend) Mon 09:00 + 1 h → Mon 2026-11-30 10:00.
    two = p.milestones(agent, n)
    assert set(two) == {"contact", "solution"}
    check(two["contact"], due="2026-11-26 10:00")
    check(two["solution"], due="2026-11-30 10:00")

    # Round 2's contact warns at 80 % of 8 h = 384 min: Wed 10:00–12:00 (120) + 13:00 + 264
    # min → Wed 17:24, and breaches Thu 10:00. That is the complaint's second breach: it goes
    # to the executive too, although the level is general.
    assert not p.sweep("2026-11-25 17:23")
    assert p.sweep("2026-11-25 17:24").warned == 1
    assert told("milestone.warning", handler, n) == 2
    assert not p.sweep("2026-11-26 09:59")
    r = p.sweep("2026-11-26 10:00")
    assert (r.warned, r.breached, r.executive) == (0, 1, 1)
    assert told("milestone.breached", manager, n) == 2
    assert told("milestone.breached_executive", executive, n) == 1
    messages = OutboxMessage.objects.count()
    assert not p.sweep("2026-11-26 10:05")
    assert OutboxMessage.objects.count() == messages
    assert p.complaint(agent, n)["breach_count"] == 2

    p.at("2026-11-26 10:30")
    p.post(
        handler,
        f"/complaints/{n}/communications",
        {"channel": "phone", "direction": "out", "summary": "约客户现场核算停工损失"},
        status=201,
    )
    check(
        p.milestones(agent, n)["contact"],
        due="2026-11-26 10:00",
        met="2026-11-26 10:30",
        breached="2026-11-26 10:00",
    )

    # 12,000 CNY is above the manager's 10,000: the executive approves. The root cause found
    # in round 1 stands.
    p.at("2026-11-26 11:00")
    sol = p.post(
        handler,
        f"/complaints/{n}/solution",
        {
            "summary": "按核定损失追加补偿",
            "actions": [{"kind": "compensation", "description": "追加补偿", "amount": "12000"}],
        },
        status=201,
    )
    assert (sol["round_no"], sol["status"], sol["required_role"]) == (
        2,
        "pending_approval",
        "executive",
    )
    assert told("solution.approval_needed", executive, n) == 1
    forbidden(p, manager, n, "solution/approve", {}, status=403, code="permission_denied")
    p.at("2026-11-26 14:00")
    assert p.act(executive, n, "solution/approve", {"reason": "同意"})["state"] == "resolving"
    check(p.milestones(agent, n)["solution"], due="2026-11-30 10:00", met="2026-11-26 14:00")

    p.at("2026-11-26 16:00")
    assert p.act(handler, n, "resolve", {"summary": "追加补偿已支付"})["state"] == "pending_review"
    p.at("2026-11-26 16:30")
    assert p.act(agent, n, "review/pass", {"note": "记录齐全"})["state"] == "pending_callback"
    # Round 2's callback, 16 h from Thu 16:30: Thu 1.5 h + Fri 8 h = 9.5 h, (weekend) Mon
    # 09:00–12:00 (3 h) + 13:00–16:30 (3.5 h) → Mon 2026-11-30 16:30.
    check(p.milestones(agent, n)["callback"], due="2026-11-30 16:30")
    assert len(to_customer("callback.survey", n)) == 4  # one survey per round

    # The customer answers round 2's survey on the portal, Friday 10:00: satisfied → closed.
    p.at("2026-11-27 10:00")
    c = p.act(
        customer,
        n,
        "rate",
        {"outcome_rating": 5, "process_rating": 4, "accepted": True, "comment": "满意"},
    )
    assert (c["state"], c["close_reason"]) == ("closed", "satisfied")
    c = p.complaint(agent, n)
    assert moment(c["closed_at"]) == at("2026-11-27 10:00")
    assert (c["is_overdue"], c["breach_count"], c["reopen_count"]) == (False, 2, 1)
    check(p.milestones(agent, n)["callback"], due="2026-11-30 16:30", met="2026-11-27 10:00")
    r1, r2 = c["rounds"]
    assert (r1["outcome_rating"], r1["process_rating"], r1["satisfied"]) == (2, 3, False)
    assert (r2["outcome_rating"], r2["process_rating"], r2["satisfied"]) == (5, 4, True)
    assert moment(r2["closed_at"]) == at("2026-11-27 10:00")
    assert [(cb["round_no"], cb["accepted"]) for cb in c["callbacks"]] == [(1, False), (2, True)]
    assert [
        (s["round_no"], s["amount"], s["status"], s["decided_by"]["id"]) for s in c["solutions"]
    ] == [
        (1, "3000.00", "approved", manager.pk),
        (2, "12000.00", "approved", executive.pk),
    ]
    # The case shows as reopened in the queues and reports.
    listed = p.get(agent, "/complaints", {"reopened": "true"})["items"]
    assert [item["number"] for item in listed] == [n]
    assert moves(p, n) == [
        ("received", "assigned"),
        ("assigned", "investigating"),
        ("investigating", "awaiting_customer"),
        ("awaiting_customer", "investigating"),
        ("investigating", "pending_approval"),
        ("pending_approval", "resolving"),
        ("resolving", "pending_review"),
        ("pending_review", "resolving"),
        ("resolving", "pending_review"),
        ("pending_review", "pending_callback"),
        ("pending_callback", "investigating"),
        ("investigating", "pending_approval"),
        ("pending_approval", "resolving"),
        ("resolving", "pending_review"),
        ("pending_review", "pending_callback"),
        ("pending_callback", "closed"),
    ]


def test_urgent_safety_complaint_across_national_day(procedure):
    """四(二) 紧急程度较高的投诉 (安全问题): a fire with an injured worker, phoned in on the eve of
    the National Day holiday. Suggested major + urgent; the urgent allowances apply; the late
    dispatch is escalated to the customer-service manager and the executive; the deadlines
    skip 10-1…10-7 and count the make-up Saturday 10-10; the major solution, although within
    the handler's amount, is approved by the department manager after a cross-department
    meeting (五(三))."""
    p = procedure("recycling", "2026-09-30 15:00")
    agent, agent2, executive = p.people.agent, p.people.agent2, p.people.executive
    handler, manager = p.people.handlers["recycling"], p.people.managers["recycling"]
    cs_manager = p.people.managers["customer_service"]
    other_manager = p.people.managers["quality"]

    # Wednesday 2026-09-30 16:00, on the hotline (a live channel: acknowledged on the call).
    p.at("2026-09-30 16:00")
    c = p.post(
        agent,
        "/complaints",
        {
            "customer_name": "王磊",
            "customer_company": "苏州宏远金属制品有限公司",
            "customer_phone": "13913350008",
            "channel": "hotline",
            "description": "贵司回收车在我厂装运废旧电池时起火,一名装卸工受伤送医。",
            "demand": "立即停止同类作业,查明原因并承担医疗费用",
        },
        status=201,
    )
    n = c["number"]
    # 起火/受伤 → major and the urgent flag (003 四(二)); 回收 → recycling_service.
    assert c["grading"]["level"] == {"chosen": "major", "suggested": "major"}
    assert c["grading"]["urgent"] == {"chosen": True, "suggested": True}
    assert c["grading"]["category"]["suggested"] == "recycling_service"
    assert any("003 四(二)" in reason for reason in c["grading"]["reasons"])
    assert to_customer("complaint.received", n) == [("sms", "13913350008")]
    # Urgent: ack and dispatch 30 min (shorter than major's 2 h) → 16:30; ack met on the call.
    ms = p.milestones(agent, n)
    check(ms["ack"], due="2026-09-30 16:30", met="2026-09-30 16:00")
    check(ms["dispatch"], due="2026-09-30 16:30")

    # Not dispatched yet: the department's handler cannot see it, let alone accept it.
    forbidden(p, handler, n, "accept", {}, status=404, code="not_found")

    # Warning at 80 % of 30 min → 16:24, to the agent who took the call.
    assert not p.sweep("2026-09-30 16:23")
    r = p.sweep("2026-09-30 16:24")
    assert (r.warned, r.breached) == (1, 0)
    assert told("milestone.warning", agent, n) == 1
    # Breach at 16:30: the owner's manager (customer service: nobody else owns it before
    # dispatch) and, the level being major, the executive.
    assert not p.sweep("2026-09-30 16:29")
    r = p.sweep("2026-09-30 16:30")
    assert (r.warned, r.breached, r.executive) == (0, 1, 1)
    assert told("milestone.breached", cs_manager, n) == 1
    assert told("milestone.breached", agent, n) == 1
    assert told("milestone.breached_executive", executive, n) == 1
    assert told("milestone.breached", manager, n) == 0
    messages = OutboxMessage.objects.count()
    assert not p.sweep("2026-09-30 16:35")
    assert OutboxMessage.objects.count() == messages

    # 16:40: dispatched to 回收业务部 with the emergency measure noted (五(一) 暂停相关业务操作).
    p.at("2026-09-30 16:40")
    c = p.act(
        agent,
        n,
        "dispatch",
        {
            "department": "recycling",
            "handler": handler.pk,
            "level": "major",
            "urgent": True,
            "note": "立即暂停该厂区电池类回收作业",
        },
    )
    assert (c["state"], c["level"], c["urgent"]) == ("assigned", "major", True)
    ms = p.milestones(agent, n)
    check(
        ms["dispatch"], due="2026-09-30 16:30", met="2026-09-30 16:40", breached="2026-09-30 16:30"
    )
    assert ms["dispatch"]["met_on_time"] is False
    # contact: urgent 2 h (shorter than major's 4 h): Wed 16:40–18:00 (80 min), 10-1…10-7 off,
    # Thu 10-8 09:00 + 40 min → 09:40.
    check(ms["contact"], due="2026-10-08 09:40")
    # solution: urgent 2wd = 16 h (shorter than major's 7wd): Wed 1h20, Thu 10-8 8 h (9h20),
    # Fri 10-9 6h40: 09:00–12:00 + 13:00–16:40 → Fri 2026-10-09 16:40.
    check(ms["solution"], due="2026-10-09 16:40")

    # Contact warning at 80 % of 2 h = 96 min: Wed 80 min + Thu 10-8 16 min → 09:16; the
    # holiday week passes without a warning.
    assert not p.sweep("2026-10-05 12:00")
    assert not p.sweep("2026-10-08 09:15")
    r = p.sweep("2026-10-08 09:16")
    assert (r.warned, r.breached) == (1, 0)
    assert told("milestone.warning", handler, n) == 1

    p.at("2026-10-08 09:20")
    assert p.act(handler, n, "accept")["state"] == "investigating"
    p.at("2026-10-08 09:30")
    p.post(
        handler,
        f"/complaints/{n}/communications",
        {"channel": "phone", "direction": "out", "summary": "已致电客户致歉,告知已暂停作业"},
        status=201,
    )
    check(p.milestones(agent, n)["contact"], due="2026-10-08 09:40", met="2026-10-08 09:30")

    # 五(三) 复杂或重大投诉 — 跨部门会议.
    p.at("2026-10-08 11:00")
    meeting = p.post(
        handler,
        f"/complaints/{n}/meetings",
        {
            "held_at": at("2026-10-08 10:00").isoformat(),
            "participants": "回收业务部、质量管理部、储运部、客户服务部",
            "decision": "暂停电池类上门回收,承担医疗费用,整改装运规范",
        },
        status=201,
    )
    assert moment(meeting["held_at"]) == at("2026-10-08 10:00")

    # 800 CNY is within the handler's 1,000, but a major solution needs the manager.
    p.at("2026-10-08 14:00")
    sol = p.post(
        handler,
        f"/complaints/{n}/solution",
        {
            "summary": "暂停作业、承担医疗费用并整改装运规范",
            "root_cause": "process_defect",
            "root_cause_text": "废旧电池装运未隔离",
            "actions": [
                {"kind": "other", "description": "暂停该厂区电池类回收作业"},
                {"kind": "compensation", "description": "承担医疗费用", "amount": "800"},
                {"kind": "service_improvement", "description": "修订装运规范并培训"},
            ],
        },
        status=201,
    )
    assert (sol["status"], sol["required_role"], sol["amount"]) == (
        "pending_approval",
        "manager",
        "800.00",
    )
    assert told("solution.approval_needed", manager, n) == 1
    forbidden(p, other_manager, n, "solution/approve", {}, status=404, code="not_found")
    forbidden(p, handler, n, "solution/approve", {}, status=403, code="permission_denied")

    p.at("2026-10-09 10:00")
    assert p.act(manager, n, "solution/approve", {"reason": "同意"})["state"] == "resolving"
    check(p.milestones(agent, n)["solution"], due="2026-10-09 16:40", met="2026-10-09 10:00")

    p.at("2026-10-09 15:00")
    assert (
        p.act(handler, n, "resolve", {"summary": "医疗费用已支付,作业规范已修订"})["state"]
        == "pending_review"
    )
    # No callback before the review has passed.
    forbidden(
        p,
        agent2,
        n,
        "callbacks",
        {"reached": True, "outcome_rating": 5, "process_rating": 5, "accepted": True},
        status=409,
        code="invalid_transition",
    )
    p.at("2026-10-09 17:00")
    assert p.act(agent, n, "review/pass", {"note": "记录齐全"})["state"] == "pending_callback"
    # callback: major 1wd = 8 h from Fri 10-9 17:00: Fri 1 h, then Saturday 10-10 is a make-up
    # working day: 09:00–12:00 (3 h) + 13:00–17:00 (4 h) → Sat 2026-10-10 17:00.
    check(p.milestones(agent, n)["callback"], due="2026-10-10 17:00")

    p.at("2026-10-10 10:00")
    p.post(
        agent2,
        f"/complaints/{n}/callbacks",
        {"reached": True, "outcome_rating": 4, "process_rating": 4, "accepted": True},
        status=201,
    )
    c = p.complaint(agent, n)
    assert (c["state"], c["close_reason"], c["is_overdue"], c["breach_count"]) == (
        "closed",
        "satisfied",
        False,
        1,
    )
    check(p.milestones(agent, n)["callback"], due="2026-10-10 17:00", met="2026-10-10 10:00")
    assert moves(p, n) == [
        ("received", "assigned"),
        ("assigned", "investigating"),
        ("investigating", "pending_approval"),
        ("pending_approval", "resolving"),
        ("resolving", "pending_review"),
        ("pending_review", "pending_callback"),
        ("pending_callback", "closed"),
    ]


def new_price_complaint(p: Procedure, description: str) -> str:
    """A general price complaint recorded, dispatched to 销售部 and accepted."""
    agent, handler = p.people.agent, p.people.handlers["sales"]
    c = p.post(
        agent,
        "/complaints",
        {
            "customer_name": "陈建国",
            "customer_phone": "13816620001",
            "channel": "hotline",
            "description": description,
        },
        status=201,
    )
    assert (c["category"], c["level"]) == ("price", "general")  # 单价 → price
    n = c["number"]
    p.act(agent, n, "dispatch", {"department": "sales", "handler": handler.pk})
    p.act(handler, n, "accept")
    return n


def propose(p: Procedure, n: str, amount: str) -> dict[str, Any]:
    return p.post(
        p.people.handlers["sales"],
        f"/complaints/{n}/solution",
        {
            "summary": "按合同单价退还差价",
            "root_cause": "operation_error",
            "actions": [{"kind": "refund", "description": "退还差价", "amount": amount}],
        },
        status=201,
    )


def test_approval_tiers_and_reopen_window(procedure):
    """The preset's tiers at their edges (handler ≤ 1,000, manager ≤ 10,000, executive
    above), and secondary handling after closure within the 30-day window, refused after it."""
    p = procedure("recycling", "2026-10-12 09:00")
    agent, agent2, customer = p.people.agent, p.people.agent2, p.people.customer
    handler, manager = p.people.handlers["sales"], p.people.managers["sales"]
    executive = p.people.executive

    # amount → who must approve; the handler approves what is within his own tier by proposing.
    expected = {
        "1000": ("handler", "approved", "resolving"),
        "1000.01": ("manager", "pending_approval", "pending_approval"),
        "10000": ("manager", "pending_approval", "pending_approval"),
        "10000.01": ("executive", "pending_approval", "pending_approval"),
    }
    numbers = {}
    for amount, (role, status, state) in expected.items():
        n = new_price_complaint(p, f"结算单价与合同不符,多收{amount}元")
        sol = propose(p, n, amount)
        assert (sol["required_role"], sol["status"]) == (role, status), amount
        assert p.complaint(agent, n)["state"] == state, amount
        numbers[amount] = n
    assert p.complaint(agent, numbers["1000"])["solutions"][0]["decided_by"]["id"] == handler.pk
    assert p.act(manager, numbers["10000"], "solution/approve")["state"] == "resolving"
    forbidden(
        p,
        manager,
        numbers["10000.01"],
        "solution/approve",
        {},
        status=403,
        code="permission_denied",
    )
    assert p.act(executive, numbers["10000.01"], "solution/approve")["state"] == "resolving"

    # The 1,000 case goes to closure: resolved, reviewed, called back satisfied on Tue 10-13.
    n = numbers["1000"]
    p.at("2026-10-12 16:00")
    p.act(handler, n, "resolve", {"summary": "差价已退"})
    p.act(agent, n, "review/pass", {"note": "记录齐全"})
    p.at("2026-10-13 10:00")
    p.post(
        agent2,
        f"/complaints/{n}/callbacks",
        {"reached": True, "outcome_rating": 5, "process_rating": 5, "accepted": True},
        status=201,
    )
    assert p.complaint(agent, n)["state"] == "closed"

    # Another customer cannot reopen it (not theirs to see).
    forbidden(
        p, p.people.other_customer, n, "reopen", {"reason": "x"}, status=404, code="not_found"
    )
    # Thirty days after closure (10-13 10:00 + 30 d = 11-12 10:00) the customer may still
    # reopen it: round 2 starts, with its own contact (1wd: Thu 11-12 10:00 → Fri 10:00) and
    # solution (3wd: Thu 7 h + Fri 8 h + (weekend) Mon 8 h = 23 h, Tue 09:00 + 1 h → Tue
    # 11-17 10:00).
    p.at("2026-11-12 10:00")
    c = p.act(customer, n, "reopen", {"reason": "退款金额与结算单不符"})
    assert (c["state"], c["round_no"], c["reopen_count"]) == ("investigating", 2, 1)
    assert c["rounds"][0]["satisfied"] is True  # round 1's result stays
    assert told("complaint.reopened", handler, n) == 1
    two = p.milestones(agent, n)
    assert set(two) == {"contact", "solution"}
    check(two["contact"], due="2026-11-13 10:00")
    check(two["solution"], due="2026-11-17 10:00")

    p.at("2026-11-12 14:00")
    propose(p, n, "200")  # within the handler's tier: communicated at once
    p.act(handler, n, "resolve", {"summary": "补退差额"})
    p.act(agent, n, "review/pass")
    p.at("2026-11-13 10:00")
    p.post(
        agent2,
        f"/complaints/{n}/callbacks",
        {"reached": True, "outcome_rating": 4, "process_rating": 5, "accepted": True},
        status=201,
    )
    c = p.complaint(agent, n)
    assert c["state"] == "closed" and moment(c["closed_at"]) == at("2026-11-13 10:00")
    assert [r["satisfied"] for r in c["rounds"]] == [True, True]

    # One minute past 30 days after the second closure: the window has passed — a new
    # complaint linked to this one is opened instead.
    p.at("2026-12-13 10:01")
    forbidden(p, customer, n, "reopen", {"reason": "又发现差额"}, status=409, code="rule_not_met")
