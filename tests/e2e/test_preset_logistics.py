"""Seed 000 《物流公司客户投诉处理规范》 end to end through the HTTP API, preset ``logistics``.

Expected times are worked out by hand from ``presets/logistics.yaml``:

* business clock for every milestone, 09:00–12:00 and 13:00–18:00 (8 h = 1wd), Mon–Fri,
  Chinese statutory holidays off and 调休 make-up days on;
* general (一般): ack 1wd · dispatch 4h · contact 1wd · solution 3wd (pausable) · callback 1wd;
  urgent/major (紧急/重大): ack 15m · dispatch 30m · contact 2h · solution 1wd · callback 1wd;
* warning at 80 % of a milestone; a breach goes to the manager, to the executive for the
  ``urgent`` level or from the second breach of a complaint on;
* approval: handler ≤ 500, manager ≤ 5,000, executive above; any urgent case ≥ manager;
* 12315 forwards: the platform's case number at intake, outcome within 10wd, a clock that
  never pauses; no review step; callback by customer service, not by the handler.

The 2026 calendar (chinesecalendar 1.11, the State Council notice): 中秋 Fri 25 – Sun 27 Sep
off; 国庆 Thu 1 – Wed 7 Oct off; make-up working days Sun 20 Sep and Sat 10 Oct. So the last
working day before National Day is Wed 30 Sep and the next are Thu 8, Fri 9, Sat 10, Mon 12 Oct.
"""

from __future__ import annotations

from tests.conftest import at
from tests.e2e.conftest import messages, moment, refused


def due(ms: dict) -> object:
    return moment(ms["due_at"])


def transitions(proc, number: str) -> list[tuple[str, str]]:
    timeline = proc.get(proc.people.agent, f"/complaints/{number}/timeline")
    return [(e["from_state"], e["to_state"]) for e in timeline if e["kind"] == "transition"]


def inapp(event: str, user, number: str) -> list[str]:
    """The milestone names of the in-app messages of ``event`` to ``user`` on the case."""
    return [
        m["context"].get("milestone", "")
        for m in messages(event, to=user, number=number, channel="inapp")
    ]


def test_general_delay_complaint_across_national_day(procedure):
    """A general complaint e-mailed on the last afternoon before National Day: the deadlines
    sleep through the holiday and the Sunday, count the make-up Saturday, the solution clock
    pauses while the customer sends photos, and the case closes on a satisfied callback."""
    P = procedure("logistics", "2026-09-30 15:00")
    people = P.people
    agent, agent2 = people.agent, people.agent2
    handler, manager = people.handlers["operations"], people.managers["operations"]
    cs_manager = people.managers["customer_service"]

    # --- intake (000 三(一)): recorded by customer service from an e-mail -------------------
    P.at("2026-09-30 16:00")
    c = P.post(
        agent,
        "/complaints",
        {
            "customer_name": "陈建国",
            "customer_company": "上海恒昌贸易有限公司",
            "customer_phone": "13816620001",
            "customer_email": "chen@example.cn",
            "channel": "email",
            "description": "运单SF1234567890的两箱汽车配件本应9月28日送到苏州，至今还没到，"
            "影响我们节后开工。",
            "demand": "尽快送达，并减免运费",
            "waybill_no": "SF1234567890",
            "goods": "汽车配件 2箱",
            "origin": "上海",
            "destination": "苏州",
        },
        status=201,
    )
    n = c["number"]
    assert n == "KS-20260930-0001"
    assert c["state"] == "received" and c["received_by"]["id"] == agent.pk
    # 还没到 → 货物延误 (000 三(一)3); nothing urgent in the text → 一般.
    assert c["grading"]["category"] == {"chosen": "delay", "suggested": "delay"}
    assert c["grading"]["level"] == {"chosen": "general", "suggested": "general"}
    assert c["grading"]["urgent"] == {"chosen": False, "suggested": False}
    assert c["level"] == "general" and c["urgent"] is False
    # 告知客户投诉已被受理 (000 三(一)4): e-mail and SMS to the customer, with the number.
    told = messages("complaint.received", number=n, customer=True)
    assert sorted(m["channel"] for m in told) == ["email", "sms"]
    assert all(m["context"]["number"] == n for m in told)

    ms = P.milestones(agent, n)
    assert set(ms) == {"ack", "dispatch"}  # e-mail is not a live channel: ack is open
    # ack 1wd (000 三(二)1 一个工作日内): Wed 30 Sep 16–18 = 2h, 1–7 Oct off,
    # Thu 8 Oct 09–12 = 3h (5h), 13:00 + 3h → Thu 8 Oct 16:00.
    assert due(ms["ack"]) == at("2026-10-08 16:00")
    # dispatch 4h: 2h on 30 Sep, then 8 Oct 09:00 + 2h → 11:00.
    assert due(ms["dispatch"]) == at("2026-10-08 11:00")

    # The holiday stops the business clock: nothing is near its end in it.
    assert not P.sweep("2026-09-30 18:00")
    assert not P.sweep("2026-10-05 12:00")
    # dispatch warning at 80 % of 4h = 3h12m: 2h on 30 Sep + 1h12m → 8 Oct 10:12.
    assert not P.sweep("2026-10-08 10:11")
    r = P.sweep("2026-10-08 10:12")
    assert (r.warned, r.breached) == (1, 0)
    # Not dispatched yet: the owner is the first responder who recorded it (首问负责制).
    assert inapp("milestone.warning", agent, n) == ["判断与流转"]
    assert not P.sweep("2026-10-08 10:30")

    # The first responder acknowledges on the first working morning: ack met, on time.
    P.at("2026-10-08 10:40")
    c = P.act(agent, n, "acknowledge", {"channel": "email", "summary": "已受理，正在联系中转场"})
    ack = P.milestones(agent, n)["ack"]
    assert moment(ack["met_at"]) == at("2026-10-08 10:40") and ack["met_on_time"] is True

    # Not dispatched by 11:00: the breach goes to the owner and to the owner's manager — before
    # dispatch that is customer service's (客户服务部 receives and routes, 000 二 1).
    assert not P.sweep("2026-10-08 10:59")
    r = P.sweep("2026-10-08 11:00")
    assert (r.warned, r.breached, r.executive) == (0, 1, 0)  # general, first breach
    assert inapp("milestone.breached", agent, n) == ["判断与流转"]
    assert inapp("milestone.breached", cs_manager, n) == ["判断与流转"]
    assert messages("milestone.breached_executive", number=n) == []
    c = P.complaint(agent, n)
    assert c["is_overdue"] is True and c["breach_count"] == 1
    assert not P.sweep("2026-10-08 11:05")  # escalated once

    # --- dispatch (000 三(二)2-3) -------------------------------------------------------------
    P.at("2026-10-08 11:30")
    c = P.act(
        agent,
        n,
        "dispatch",
        {"department": "operations", "handler": handler.pk, "level": "general"},
    )
    assert c["state"] == "assigned" and c["department"]["code"] == "operations"
    assert len(messages("complaint.assigned", to=handler, number=n, channel="inapp")) == 1
    ms = P.milestones(agent, n)
    assert moment(ms["dispatch"]["met_at"]) == at("2026-10-08 11:30")
    assert ms["dispatch"]["met_on_time"] is False
    assert moment(ms["dispatch"]["breached_at"]) == at("2026-10-08 11:00")
    # contact 1wd from Thu 8 Oct 11:30: 0.5h + 5h on 8 Oct, Fri 9 Oct 09:00 + 2.5h → 11:30.
    assert due(ms["contact"]) == at("2026-10-09 11:30")
    # solution 3wd = 24h: 5.5h (8 Oct) + 8h (9 Oct) + 8h (Sat 10 Oct, make-up day) = 21.5h,
    # Sun 11 Oct off, Mon 12 Oct 09:00 + 2.5h → 11:30.
    assert due(ms["solution"]) == at("2026-10-12 11:30")

    # --- forbidden steps: each answered with its 4xx, nothing changed ---------------------
    refused(P, people.handlers["finance"], n, "accept", status=404, code="not_found")
    refused(P, people.customer, n, "accept", status=403, code="permission_denied")
    refused(
        P,
        people.second_handlers["operations"],
        n,
        "accept",
        status=403,
        code="permission_denied",
    )
    refused(
        P,
        agent,
        n,
        "dispatch",
        {"department": "finance"},
        status=409,
        code="invalid_transition",
    )

    # --- investigation (000 三(三)) -------------------------------------------------------------
    P.at("2026-10-08 14:00")
    assert P.act(handler, n, "accept")["state"] == "investigating"
    assert not P.sweep("2026-10-09 09:00")
    P.at("2026-10-09 09:30")
    P.post(
        handler,
        f"/complaints/{n}/communications",
        {"channel": "phone", "direction": "out", "summary": "货物滞留无锡中转场，正在查找"},
        status=201,
    )
    contact = P.milestones(agent, n)["contact"]
    assert moment(contact["met_at"]) == at("2026-10-09 09:30") and contact["met_on_time"]
    # 索取相关证据(照片、签收单) (000 三(三)2): the solution clock pauses.
    P.at("2026-10-09 10:00")
    c = P.act(handler, n, "request-info", {"message": "请提供发货装箱照片和寄件底单"})
    assert c["state"] == "awaiting_customer"
    assert P.milestones(agent, n)["solution"]["paused"] is True
    assert not P.sweep("2026-10-09 14:00")
    P.at("2026-10-09 15:00")
    c = P.act(people.customer, n, "provide-info", {"text": "照片和底单已上传"})
    assert c["state"] == "investigating"
    # Paused Fri 9 Oct 10:00–15:00 = 4 working hours (lunch excluded): due 4h later,
    # Mon 12 Oct 11:30 + 0.5h + (13:00 + 3.5h) → 16:30.
    solution = P.milestones(agent, n)["solution"]
    assert solution["paused"] is False and due(solution) == at("2026-10-12 16:30")
    # Its warning moved too: without the pause 80 % (19h12m) fell on Sat 10 Oct 15:42
    # (13.5h by Fri evening + 3h + 2h42m); with 4h more it is Mon 12 Oct: 13.5h + 8h (Sat)
    # = 21.5h, + 1h42m → 10:42.
    assert not P.sweep("2026-10-10 15:42")
    assert not P.sweep("2026-10-11 12:00")
    assert not P.sweep("2026-10-12 10:41")
    r = P.sweep("2026-10-12 10:42")
    assert (r.warned, r.breached) == (1, 0)
    assert inapp("milestone.warning", handler, n) == ["告知处理方案"]

    # --- solution and approval (000 三(四)1-2) --------------------------------------------------
    P.at("2026-10-12 11:00")
    sol = P.post(
        handler,
        f"/complaints/{n}/solution",
        {
            "summary": "致歉，查找货物后加急送达，减免本票运费",
            "root_cause": "subcontractor",
            "root_cause_text": "外包承运商中转漏装",
            "findings": "无锡中转场漏装一箱，已找到",
            "actions": [
                {"kind": "apology", "description": "电话致歉"},
                {"kind": "goods_search", "description": "中转场查找并加急派送"},
                {"kind": "freight_reduction", "amount": "800", "description": "减免运费"},
            ],
        },
        status=201,
    )
    # 800 CNY is above the handler's 500: the manager approves (按公司权限规定报请审批).
    assert sol["status"] == "pending_approval" and sol["required_role"] == "manager"
    assert sol["amount"] == "800.00"
    assert len(messages("solution.approval_needed", to=manager, number=n, channel="inapp")) == 1
    refused(P, handler, n, "solution/approve", status=403, code="permission_denied")
    P.at("2026-10-12 11:20")
    c = P.act(manager, n, "solution/approve", {"reason": "同意减免"})
    assert c["state"] == "resolving"
    solution = P.milestones(agent, n)["solution"]
    assert moment(solution["met_at"]) == at("2026-10-12 11:20") and solution["met_on_time"]
    assert sorted(m["channel"] for m in messages("solution.communicated", number=n)) == [
        "email",
        "sms",
    ]

    # --- resolution and callback ------------------------------------------------------------
    P.at("2026-10-12 15:00")
    c = P.act(handler, n, "resolve", {"summary": "货物已送达，运费已减免"})
    assert c["state"] == "pending_callback"  # no review step in this preset
    # callback 1wd from Mon 12 Oct 15:00: 3h, Tue 13 Oct 09–12 (6h), 13:00 + 2h → 15:00.
    assert due(P.milestones(agent, n)["callback"]) == at("2026-10-13 15:00")
    # Someone other than the handler calls back: the handler is refused and has no button.
    assert "record_callback" not in P.complaint(handler, n)["allowed_actions"]
    callback = {"reached": True, "outcome_rating": 5, "process_rating": 4, "accepted": True}
    refused(P, handler, n, "callbacks", callback, status=403, code="permission_denied")
    refused(P, people.customer, n, "reopen", {"reason": "x"}, status=409, code="invalid_transition")
    # warning at 6h24m: 3h + 3h + 24m → Tue 13 Oct 13:24.
    assert not P.sweep("2026-10-13 13:23")
    assert P.sweep("2026-10-13 13:24").warned == 1

    P.at("2026-10-13 14:00")
    cb = P.post(
        agent2, f"/complaints/{n}/callbacks", {**callback, "notes": "货物完好，满意"}, status=201
    )
    assert cb["by"]["id"] == agent2.pk and cb["round_no"] == 1
    c = P.complaint(agent, n)
    assert c["state"] == "closed" and c["close_reason"] == "satisfied"
    assert c["is_overdue"] is False and c["breach_count"] == 1 and c["reopen_count"] == 0
    assert c["rounds"][0]["satisfied"] is True
    assert (c["rounds"][0]["outcome_rating"], c["rounds"][0]["process_rating"]) == (5, 4)
    ms = P.milestones(agent, n)
    assert moment(ms["callback"]["met_at"]) == at("2026-10-13 14:00")
    assert [(k, ms[k]["met_on_time"]) for k in sorted(ms)] == [
        ("ack", True),
        ("callback", True),
        ("contact", True),
        ("dispatch", False),
        ("solution", True),
    ]

    # Later sweeps find nothing: no second warning, breach or executive message.
    assert not P.sweep("2026-10-13 15:00")
    assert not P.sweep("2026-10-20 09:00")
    assert len(messages("milestone.breached", number=n, channel="inapp")) == 2  # agent, cs mgr
    assert len(messages("milestone.warning", number=n, channel="inapp")) == 3
    assert transitions(P, n) == [
        ("received", "assigned"),
        ("assigned", "investigating"),
        ("investigating", "awaiting_customer"),
        ("awaiting_customer", "investigating"),
        ("investigating", "pending_approval"),
        ("pending_approval", "resolving"),
        ("resolving", "pending_callback"),
        ("pending_callback", "closed"),
    ]


def test_urgent_valuable_goods_lost_on_friday_evening(procedure):
    """紧急或重大投诉 (贵重物品丢失) taken on the hotline on a Friday evening: acknowledged at
    once, the urgent deadlines run over the weekend on the business clock, a contact breach
    goes to the manager and the executive, and even a 300 CNY solution needs the manager."""
    P = procedure("logistics", "2026-11-20 16:00")
    people = P.people
    agent, executive = people.agent, people.executive
    handler, manager = people.handlers["operations"], people.managers["operations"]

    P.at("2026-11-20 17:00")
    c = P.post(
        agent,
        "/complaints",
        {
            "customer_name": "刘芳",
            "customer_phone": "13962110002",
            "channel": "hotline",
            "description": "寄往杭州的一台贵重仪器显示已签收，但收件人没有收到，货丢了。",
            "demand": "查找货物，找不到按价赔偿",
            "claimed_amount": "30000",
            "waybill_no": "SF9876543210",
        },
        status=201,
    )
    n = c["number"]
    assert n == "KS-20261120-0001"
    # 贵重 → 紧急/重大 and the urgent flag; 货丢了 → 货物丢失 (000 三(一)3, 三(二)1).
    assert c["level"] == "urgent" and c["urgent"] is True and c["category"] == "loss"
    assert c["grading"]["level"]["suggested"] == "urgent"
    ms = P.milestones(agent, n)
    # 立即响应: taken on the phone, recording it is the acknowledgment (15m, met at once).
    assert moment(ms["ack"]["met_at"]) == at("2026-11-20 17:00") and ms["ack"]["met_on_time"]
    assert due(ms["dispatch"]) == at("2026-11-20 17:30")  # 30m
    # The customer on file (刘芳) has an e-mail address too: told both ways.
    told = messages("complaint.received", number=n, customer=True)
    assert sorted((m["channel"], m["address"]) for m in told) == [
        ("email", "liufang@example.cn"),
        ("sms", "13962110002"),
    ]

    P.at("2026-11-20 17:10")
    c = P.act(agent, n, "dispatch", {"department": "operations", "handler": handler.pk})
    assert c["state"] == "assigned" and c["level"] == "urgent"
    ms = P.milestones(agent, n)
    assert ms["dispatch"]["met_on_time"] is True
    # contact 2h from Fri 17:10: 50m on Friday, weekend off, Mon 23 Nov 09:00 + 70m → 10:10.
    assert due(ms["contact"]) == at("2026-11-23 10:10")
    # solution 1wd: 50m + Mon 09–12 (230m), 13:00 + 250m → Mon 17:10.
    assert due(ms["solution"]) == at("2026-11-23 17:10")

    assert not P.sweep("2026-11-20 17:30")
    assert not P.sweep("2026-11-21 10:00")  # Saturday
    assert not P.sweep("2026-11-22 20:00")  # Sunday
    # contact warning at 80 % of 2h = 96m: 50m Friday + 46m → Mon 09:46.
    assert not P.sweep("2026-11-23 09:45")
    r = P.sweep("2026-11-23 09:46")
    assert (r.warned, r.breached) == (1, 0)
    assert inapp("milestone.warning", handler, n) == ["责任部门联系客户"]
    # Breach at 10:10: the manager, and the executive because the level is urgent (000 二 5).
    r = P.sweep("2026-11-23 10:10")
    assert (r.warned, r.breached, r.executive) == (0, 1, 1)
    assert inapp("milestone.breached", manager, n) == ["责任部门联系客户"]
    assert inapp("milestone.breached", handler, n) == ["责任部门联系客户"]
    assert inapp("milestone.breached_executive", executive, n) == ["责任部门联系客户"]
    assert not P.sweep("2026-11-23 10:15")

    P.at("2026-11-23 10:20")
    P.act(handler, n, "accept")
    P.at("2026-11-23 10:30")
    P.post(
        handler,
        f"/complaints/{n}/communications",
        {"channel": "phone", "direction": "out", "summary": "已在杭州网点启动查找"},
        status=201,
    )
    contact = P.milestones(agent, n)["contact"]
    assert contact["met_on_time"] is False
    assert moment(contact["breached_at"]) == at("2026-11-23 10:10")
    assert moment(contact["met_at"]) == at("2026-11-23 10:30")
    refused(
        P,
        people.customer,  # another customer's case: not even visible
        n,
        "solution",
        {"summary": "x", "actions": [{"kind": "apology"}]},
        status=404,
        code="not_found",
    )
    refused(
        P,
        people.other_customer,  # the complainant, but a customer proposes nothing
        n,
        "solution",
        {"summary": "x", "actions": [{"kind": "apology"}]},
        status=403,
        code="permission_denied",
    )

    P.at("2026-11-23 14:00")
    sol = P.post(
        handler,
        f"/complaints/{n}/solution",
        {
            "summary": "网点查找，找到后当天派送，并补偿延误",
            "root_cause": "operation_error",
            "root_cause_text": "派件员误签收",
            "actions": [
                {"kind": "goods_search", "description": "杭州网点查找"},
                {"kind": "compensation", "amount": "300"},
            ],
        },
        status=201,
    )
    # 300 CNY is within a handler's 500, but an urgent/major case needs the manager.
    assert sol["status"] == "pending_approval" and sol["required_role"] == "manager"
    refused(P, people.managers["finance"], n, "solution/approve", status=404, code="not_found")
    refused(
        P,
        people.second_handlers["operations"],
        n,
        "solution/approve",
        status=403,
        code="permission_denied",
    )
    P.at("2026-11-23 15:00")
    assert P.act(manager, n, "solution/approve")["state"] == "resolving"
    assert P.milestones(agent, n)["solution"]["met_on_time"] is True
    assert not P.sweep("2026-11-23 15:34")  # its 80 % mark: met already, no warning

    P.at("2026-11-23 16:00")
    assert P.act(handler, n, "resolve")["state"] == "pending_callback"
    # callback 1wd: Mon 16–18 2h, Tue 09–12 (5h), 13:00 + 3h → Tue 24 Nov 16:00.
    assert due(P.milestones(agent, n)["callback"]) == at("2026-11-24 16:00")
    # The manager who approved is not customer service either.
    refused(
        P,
        manager,
        n,
        "callbacks",
        {"reached": True, "outcome_rating": 5, "process_rating": 5, "accepted": True},
        status=403,
        code="permission_denied",
    )
    P.at("2026-11-24 10:00")
    P.post(
        agent,
        f"/complaints/{n}/callbacks",
        {"reached": True, "outcome_rating": 4, "process_rating": 5, "accepted": True},
        status=201,
    )
    c = P.complaint(agent, n)
    assert c["state"] == "closed" and c["close_reason"] == "satisfied"
    assert c["breach_count"] == 1
    assert not P.sweep("2026-11-25 10:00")
    assert len(messages("milestone.breached_executive", number=n, channel="inapp")) == 1


def test_12315_forward_needs_case_number_and_runs_ten_working_days(procedure):
    """A 12315 forward: refused without the platform's case number; with it, the outcome is
    due in 10 working days over 中秋 and 国庆 and, unlike the solution clock, does not stop
    while the case waits for the customer."""
    P = procedure("logistics", "2026-09-23 09:00")
    people = P.people
    agent, handler = people.agent, people.handlers["operations"]
    manager = people.managers["operations"]
    body = {
        "customer_name": "陈建国",
        "customer_phone": "13816620001",
        "channel": "platform_12315",
        "description": "消费者通过12315平台投诉：快递外箱破损，里面的茶具摔坏了。",
        "demand": "赔偿茶具",
        "waybill_no": "YT5550001",
    }
    P.at("2026-09-23 10:00")
    error = P.post(agent, "/complaints", body, status=422)
    assert "platform_case_no" in error["errors"]
    assert P.get(agent, "/complaints")["items"] == []  # nothing recorded

    c = P.post(
        agent,
        "/complaints",
        {**body, "platform_case_no": "1231520260923001", "level": "general", "urgent": False},
        status=201,
    )
    n = c["number"]
    assert c["platform_case_no"] == "1231520260923001"
    # The words 12315 and 破损 suggest 紧急/重大 and 货物损坏; the agent judged it general
    # (one parcel of low value): both the suggestion and the choice are kept.
    assert c["grading"]["level"] == {"chosen": "general", "suggested": "urgent"}
    assert c["grading"]["urgent"] == {"chosen": False, "suggested": True}
    assert c["category"] == "damage"
    ms = P.milestones(agent, n)
    # 10wd = 80h from Wed 23 Sep 10:00: 7h (23 Sep), 8h (24 Sep) = 15h, 25–27 Sep 中秋 off,
    # 28/29/30 Sep = 39h, 1–7 Oct 国庆 off, 8/9 Oct = 55h, Sat 10 Oct (make-up) = 63h,
    # Sun 11 off, Mon 12 = 71h, Tue 13 = 79h, Wed 14 Oct 09:00 + 1h → 10:00.
    assert due(ms["platform_outcome"]) == at("2026-10-14 10:00")
    assert due(ms["ack"]) == at("2026-09-24 10:00")  # 1wd: 7h + 1h

    P.at("2026-09-23 10:30")
    P.act(agent, n, "acknowledge", {"channel": "phone"})
    P.act(agent, n, "dispatch", {"department": "operations", "handler": handler.pk})
    # solution 3wd from 23 Sep 10:30: 6.5h + 8h, 中秋 off, 28 Sep 8h (22.5h), 29 Sep + 1.5h.
    assert due(P.milestones(agent, n)["solution"]) == at("2026-09-29 10:30")
    P.at("2026-09-23 11:00")
    P.act(handler, n, "accept")
    P.at("2026-09-23 14:00")
    c = P.act(handler, n, "request-info", {"message": "请上传外箱和茶具破损照片"})
    assert c["state"] == "awaiting_customer"
    ms = P.milestones(agent, n)
    assert ms["contact"]["met_on_time"] is True  # asking for evidence is the contact
    assert ms["solution"]["paused"] is True
    assert ms["platform_outcome"]["paused"] is False  # the platform's clock runs on

    # The customer answers only after the holidays. The platform deadline warns at 80 % =
    # 64h: 63h by the end of Sat 10 Oct, + 1h → Mon 12 Oct 10:00.
    assert not P.sweep("2026-10-09 12:00")
    P.at("2026-10-12 09:30")
    P.act(people.customer, n, "provide-info", {"text": "照片已上传"})
    # solution: 2.5h used before the pause (10:30–12, 13–14), 21.5h left from Mon 12 Oct
    # 09:30: 7.5h that day, 8h Tue 13, Wed 14 Oct 09–12 + 13:00–16:00 → 16:00.
    assert due(P.milestones(agent, n)["solution"]) == at("2026-10-14 16:00")
    assert not P.sweep("2026-10-12 09:59")
    r = P.sweep("2026-10-12 10:00")
    assert (r.warned, r.breached) == (1, 0)
    assert inapp("milestone.warning", handler, n) == ["12315平台处理结果反馈"]

    P.at("2026-10-13 10:00")
    sol = P.post(
        handler,
        f"/complaints/{n}/solution",
        {
            "summary": "按价赔偿茶具200元并致歉",
            "root_cause": "operation_error",
            "actions": [{"kind": "compensation", "amount": "200"}, {"kind": "apology"}],
        },
        status=201,
    )
    assert sol["status"] == "approved"  # within the handler's 500
    assert P.milestones(agent, n)["solution"]["met_on_time"] is True

    # Not reported resolved by Wed 14 Oct 10:00: the platform deadline is breached — to the
    # manager only (general level, first breach).
    r = P.sweep("2026-10-14 10:00")
    assert (r.breached, r.executive) == (1, 0)
    assert inapp("milestone.breached", manager, n) == ["12315平台处理结果反馈"]
    P.at("2026-10-14 11:00")
    P.act(handler, n, "resolve", {"summary": "已赔付，平台已反馈"})
    outcome = P.milestones(agent, n)["platform_outcome"]
    assert moment(outcome["met_at"]) == at("2026-10-14 11:00")
    assert outcome["met_on_time"] is False
    assert moment(outcome["breached_at"]) == at("2026-10-14 10:00")

    P.at("2026-10-15 09:30")
    P.post(
        people.agent2,
        f"/complaints/{n}/callbacks",
        {"reached": True, "outcome_rating": 4, "process_rating": 4, "accepted": True},
        status=201,
    )
    assert P.complaint(agent, n)["state"] == "closed"
    assert not P.sweep("2026-10-16 09:00")


def test_general_web_complaint_from_friday_afternoon_left_alone(procedure):
    """一个工作日内初步响应 counted from a Friday afternoon web submission: the weekend does not
    count; left alone, dispatch and then ack are breached on Monday, and the second breach of
    the case goes to the executive too."""
    P = procedure("logistics", "2026-11-20 14:00")
    people = P.people
    P.at("2026-11-20 15:00")
    c = P.post(
        people.customer,
        "/complaints",
        {
            "customer_name": "陈建国",
            "customer_phone": "13816620001",
            "channel": "web",
            "description": "快递员送货时态度很差，把箱子扔在门口就走了。",
        },
        status=201,
    )
    n = c["number"]
    assert c["category"] == "service_attitude" and c["level"] == "general"
    assert c["grading"] is None  # the customer does not see the grading
    ms = P.milestones(people.agent, n)
    # ack 1wd: Fri 15–18 3h, Mon 23 Nov 09–12 (6h), 13:00 + 2h → 15:00.
    assert due(ms["ack"]) == at("2026-11-23 15:00")
    # dispatch 4h: 3h Friday, Mon 09:00 + 1h → 10:00.
    assert due(ms["dispatch"]) == at("2026-11-23 10:00")

    assert not P.sweep("2026-11-20 18:00")
    assert not P.sweep("2026-11-21 12:00")
    assert not P.sweep("2026-11-22 12:00")
    # dispatch warning at 3h12m: 3h Friday + 12m → Mon 09:12. Nobody recorded it (the portal),
    # so customer service as a whole is warned.
    r = P.sweep("2026-11-23 09:12")
    assert (r.warned, r.breached) == (1, 0)
    assert inapp("milestone.warning", people.agent, n) == ["判断与流转"]
    assert inapp("milestone.warning", people.agent2, n) == ["判断与流转"]
    r = P.sweep("2026-11-23 10:00")
    assert (r.warned, r.breached, r.executive) == (0, 1, 0)
    assert inapp("milestone.breached", people.managers["customer_service"], n) == ["判断与流转"]
    # ack warning at 6h24m: 3h + 3h + 24m → Mon 13:24; breach at 15:00, the second of the
    # case: the executive is told as well (executive_after_breaches: 2).
    assert P.sweep("2026-11-23 13:24").warned == 1
    r = P.sweep("2026-11-23 15:00")
    assert (r.warned, r.breached, r.executive) == (0, 1, 1)
    assert inapp("milestone.breached_executive", people.executive, n) == ["初步响应"]
    assert not P.sweep("2026-11-23 16:00")
    c = P.complaint(people.agent, n)
    assert c["is_overdue"] is True and c["breach_count"] == 2

    P.at("2026-11-23 15:30")
    P.act(people.agent, n, "acknowledge", {"channel": "phone"})
    ack = P.milestones(people.agent, n)["ack"]
    assert ack["met_on_time"] is False and moment(ack["breached_at"]) == at("2026-11-23 15:00")

    # The agent keeps it general but flags it urgent (the customer is threatening to leave):
    # the urgent figures apply to any level, the shorter of the two winning.
    P.at("2026-11-23 15:40")
    c = P.act(
        people.agent,
        n,
        "dispatch",
        {"department": "operations", "level": "general", "urgent": True},
    )
    assert (c["level"], c["urgent"]) == ("general", True)
    ms = P.milestones(people.agent, n)
    # contact min(1wd, 2h) = 2h from Mon 15:40 → 17:40.
    assert due(ms["contact"]) == at("2026-11-23 17:40")
    # solution min(3wd, 1wd) = 8h: Mon 15:40–18:00 2h20m, Tue 09–12 (5h20m), 13:00 + 2h40m.
    assert due(ms["solution"]) == at("2026-11-24 15:40")
    # No handler named: the department's manager is told it has a case to take.
    manager = people.managers["operations"]
    assert len(messages("complaint.assigned", to=manager, number=n, channel="inapp")) == 1
