"""Seed 002 《物流行业客户服务管理制度》 end to end through the HTTP API, preset
``logistics-service``.

Expected times are worked out by hand from ``presets/logistics-service.yaml``:

* 002 1.2 service targets on the 24x7 clock (3.1 24小时客服: weekends and holidays count):
  general — first reply (ack) 2h · dispatch 1h · contact 4h · solution 24h (pausable);
  major — 1h · 30m · 2h · 24h;
* the callback and satisfaction survey (3.2, 7.1/7.2) on the business clock, 09:00–12:00 and
  13:00–18:00 (8 h = 1wd), Mon–Fri with statutory holidays and 调休: general 2wd, major 1wd;
* warning at 80 %; breach to the manager, and to the executive for ``major``;
* approval: handler ≤ 500, manager ≤ 5,000; any major case ≥ manager; no review step;
  callback by customer service, not the handler; satisfied from rating 4;
* 6.1 不满意 … 直至客户满意为止: an unsatisfied callback opens a new handling round with its
  own milestones and survey; reopening after closure within 15 days.

2026 calendar (chinesecalendar 1.11): 国庆 Thu 1 – Wed 7 Oct off, Thu 8 Oct a working day.
"""

from __future__ import annotations

from tests.conftest import at
from tests.e2e.conftest import messages, moment, refused


def due(ms: dict) -> object:
    return moment(ms["due_at"])


def inapp(event: str, user, number: str) -> list[str]:
    """The milestone names of the in-app messages of ``event`` to ``user`` on the case."""
    return [
        m["context"].get("milestone", "")
        for m in messages(event, to=user, number=number, channel="inapp")
    ]


def round_milestones(proc, number: str, round_no: int) -> dict[str, dict]:
    data = proc.complaint(proc.people.agent, number)
    return {m["kind"]: m for m in data["milestones"] if m["round_no"] == round_no}


def test_tracking_complaint_at_the_weekend_unsatisfied_then_second_round(procedure):
    """A tracking complaint sent from the app on a Saturday evening: first reply within 2 h and
    the solution within 24 h on the round-the-clock service, the transport department checks
    the tracking, the callback survey (outcome and process) is unsatisfied, so a second
    handling round with its own milestones and survey follows; the first round's results stay."""
    P = procedure("logistics-service", "2026-11-21 19:00")  # Saturday
    people = P.people
    agent, agent2, customer = people.agent, people.agent2, people.customer
    handler, manager = people.handlers["it"], people.managers["it"]
    transport = people.handlers["transport"]

    # --- intake on the app (002 3.1 移动应用程序), by the customer -----------------------------
    P.at("2026-11-21 20:00")
    c = P.post(
        customer,
        "/complaints",
        {
            "customer_name": "陈建国",
            "customer_phone": "13816620001",
            "channel": "app",
            "description": "订单KD20261121的物流信息三天没有更新，查不到货物在哪里。",
            "demand": "告诉我货物在哪里，什么时候能到",
            "order_no": "KD20261121",
        },
        status=201,
    )
    n = c["number"]
    assert n == "KS-20261121-0001" and c["state"] == "received"
    c = P.complaint(agent, n)
    # 物流信息/查不到 → 信息查询/跟踪 (002 4.2), which goes to IT; nothing serious → 一般.
    assert c["grading"]["category"] == {"chosen": "tracking_info", "suggested": "tracking_info"}
    assert c["level"] == "general" and c["received_by"] is None
    told = messages("complaint.received", number=n, customer=True)
    assert sorted(m["channel"] for m in told) == ["email", "sms"]
    ms = P.milestones(agent, n)
    # 002 1.2: first reply within 2h, elapsed time (a Saturday evening counts).
    assert due(ms["ack"]) == at("2026-11-21 22:00")
    assert due(ms["dispatch"]) == at("2026-11-21 21:00")  # 1h

    # dispatch warning at 80 % of 1h = 48m → 20:48, to customer service (no first responder).
    assert not P.sweep("2026-11-21 20:47")
    r = P.sweep("2026-11-21 20:48")
    assert (r.warned, r.breached) == (1, 0)
    assert inapp("milestone.warning", agent, n) == ["分类评估与转交"]
    assert inapp("milestone.warning", agent2, n) == ["分类评估与转交"]

    P.at("2026-11-21 20:50")
    P.act(agent, n, "acknowledge", {"channel": "sms", "summary": "已收到，正在核查，2小时内回复"})
    ack = P.milestones(agent, n)["ack"]
    assert moment(ack["met_at"]) == at("2026-11-21 20:50") and ack["met_on_time"] is True
    P.at("2026-11-21 20:55")
    c = P.act(agent, n, "dispatch", {"department": "it", "handler": handler.pk})
    assert c["state"] == "assigned"
    ms = P.milestones(agent, n)
    assert ms["dispatch"]["met_on_time"] is True
    assert due(ms["contact"]) == at("2026-11-22 00:55")  # 4h
    assert due(ms["solution"]) == at("2026-11-22 20:55")  # 002 1.2: 24h

    # The handler does not call in the night: contact warned at 3h12m (00:07), breached at
    # 00:55 — the IT manager is told; a general case with one breach stays below the executive.
    assert not P.sweep("2026-11-22 00:06")
    assert P.sweep("2026-11-22 00:07").warned == 1
    assert inapp("milestone.warning", handler, n) == ["责任部门联系客户"]
    r = P.sweep("2026-11-22 00:55")
    assert (r.warned, r.breached, r.executive) == (0, 1, 0)
    assert inapp("milestone.breached", manager, n) == ["责任部门联系客户"]
    assert inapp("milestone.breached", handler, n) == ["责任部门联系客户"]
    assert messages("milestone.breached_executive", number=n) == []
    assert not P.sweep("2026-11-22 01:30")
    assert P.complaint(agent, n)["is_overdue"] is True

    # --- handling: accept, contact, tracking with the transport department -----------------
    P.at("2026-11-22 08:00")
    # Transport has no part in the case yet: it cannot even see it.
    refused(
        P,
        transport,
        n,
        "communications",
        {"channel": "phone", "direction": "out", "summary": "x"},
        status=404,
        code="not_found",
    )
    assert P.act(handler, n, "accept")["state"] == "investigating"
    P.at("2026-11-22 08:10")
    P.post(
        handler,
        f"/complaints/{n}/communications",
        {"channel": "phone", "direction": "out", "summary": "已致电客户，正在核查轨迹"},
        status=201,
    )
    contact = P.milestones(agent, n)["contact"]
    assert moment(contact["met_at"]) == at("2026-11-22 08:10")
    assert contact["met_on_time"] is False
    assert moment(contact["breached_at"]) == at("2026-11-22 00:55")
    # 002 4.2: 客服人员会及时与运输部门沟通，了解货物的运输情况.
    P.at("2026-11-22 08:30")
    task = P.post(
        handler,
        f"/complaints/{n}/tasks",
        {"department": "transport", "title": "核查运单轨迹与车辆GPS", "owner": transport.pk},
        status=201,
    )
    assert task["status"] == "open" and task["required"] is True
    # 及时向客户反馈处理进展 (002 3.2): customer service keeps the customer posted.
    P.at("2026-11-22 09:00")
    P.post(
        agent,
        f"/complaints/{n}/communications",
        {"channel": "sms", "direction": "out", "summary": "货物已定位在嘉兴中转场，正在核实"},
        status=201,
    )
    P.at("2026-11-22 10:00")
    sol = P.post(
        handler,
        f"/complaints/{n}/solution",
        {
            "summary": "补录轨迹，货物明日送达，并致歉",
            "root_cause": "info_not_updated",
            "root_cause_text": "车辆故障转车后未扫描",
            "actions": [{"kind": "apology"}, {"kind": "explanation"}],
        },
        status=201,
    )
    assert sol["status"] == "approved" and sol["round_no"] == 1  # no money: the handler's own
    solution = P.milestones(agent, n)["solution"]
    assert moment(solution["met_at"]) == at("2026-11-22 10:00") and solution["met_on_time"]
    # The tracking check is still open: the case cannot be reported resolved.
    P.at("2026-11-22 11:00")
    refused(P, handler, n, "resolve", {"summary": "x"}, status=409, code="rule_not_met")
    P.at("2026-11-22 11:30")
    done = P.post(
        transport,
        f"/complaints/{n}/tasks/{task['id']}/complete",
        {"result": "车辆在嘉兴服务区故障，货物已转车，轨迹已补录"},
    )
    assert done["status"] == "done"
    P.at("2026-11-22 12:00")
    c = P.act(handler, n, "resolve", {"summary": "轨迹已补录，货物已发出"})
    assert c["state"] == "pending_callback"  # no review step
    # callback 2wd on the business clock from Sunday noon: Mon 23 Nov 09:00 + 16h → Tue 18:00.
    assert due(P.milestones(agent, n)["callback"]) == at("2026-11-24 18:00")
    assert not P.sweep("2026-11-22 16:07")  # the solution's 80 % mark: met already

    # --- callback survey (002 3.2, 7.2): outcome and process rated; not satisfied ------------
    refused(
        P,
        handler,
        n,
        "callbacks",
        {"reached": True, "outcome_rating": 5, "process_rating": 5, "accepted": True},
        status=403,
        code="permission_denied",
    )
    P.at("2026-11-23 10:00")
    cb = P.post(
        agent2,
        f"/complaints/{n}/callbacks",
        {
            "reached": True,
            "outcome_rating": 2,
            "process_rating": 4,
            "accepted": False,
            "notes": "货物到了但外包装受潮，对处理结果不满意",
        },
        status=201,
    )
    assert cb["round_no"] == 1 and cb["accepted"] is False
    # 6.1 如果客户对处理结果不满意 … 进一步进行沟通和协调: back to handling, round 2.
    c = P.complaint(agent, n)
    assert c["state"] == "investigating" and c["closed_at"] is None
    assert (c["round_no"], c["reopen_count"]) == (2, 1)
    assert c["handler"]["id"] == handler.pk
    first, second = c["rounds"]
    assert (first["outcome_rating"], first["process_rating"], first["satisfied"]) == (2, 4, False)
    assert moment(first["resolved_at"]) == at("2026-11-22 12:00")
    assert second["number"] == 2 and moment(second["started_at"]) == at("2026-11-23 10:00")
    assert second["reason"] == "货物到了但外包装受潮，对处理结果不满意"
    assert second["satisfied"] is None
    assert len(messages("complaint.reopened", to=handler, number=n, channel="inapp")) == 1
    # The first round's deadlines keep their record …
    r1 = round_milestones(P, n, 1)
    assert {k: r1[k]["met_on_time"] for k in r1} == {
        "ack": True,
        "dispatch": True,
        "contact": False,
        "solution": True,
        "callback": True,
    }
    # … and the second round has its own, started at the reopening (Mon 10:00, 24x7).
    r2 = P.milestones(agent, n)
    assert set(r2) == {"contact", "solution"}
    assert due(r2["contact"]) == at("2026-11-23 14:00")
    assert due(r2["solution"]) == at("2026-11-24 10:00")
    assert all(m["status"] == "open" for m in r2.values())
    assert P.get(agent, "/complaints", {"reopened": "true"})["items"][0]["number"] == n
    refused(
        P,
        customer,
        n,
        "rate",
        {"outcome_rating": 5, "process_rating": 5, "accepted": True},
        status=409,
        code="invalid_transition",
    )

    # --- round 2 ------------------------------------------------------------------------------
    P.at("2026-11-23 11:00")
    P.post(
        handler,
        f"/complaints/{n}/communications",
        {"channel": "phone", "direction": "out", "summary": "致歉，商定补偿受潮包装"},
        status=201,
    )
    assert not P.sweep("2026-11-23 13:12")  # round-2 contact met before its 80 % mark
    P.at("2026-11-23 15:00")
    sol = P.post(
        handler,
        f"/complaints/{n}/solution",
        {
            "summary": "补偿受潮包装200元",
            "actions": [{"kind": "compensation", "amount": "200"}, {"kind": "apology"}],
        },
        status=201,
    )
    assert sol["status"] == "approved" and sol["round_no"] == 2
    P.at("2026-11-23 16:00")
    assert P.act(handler, n, "resolve")["state"] == "pending_callback"
    r2 = P.milestones(agent, n)
    assert r2["contact"]["met_on_time"] and r2["solution"]["met_on_time"]
    # round-2 callback 2wd: Mon 16–18 2h, Tue 8h (10h), Wed 25 Nov 09–12 (13h) + 3h → 16:00.
    assert due(r2["callback"]) == at("2026-11-25 16:00")

    # The customer answers the survey on the portal: satisfied, the case closes.
    P.at("2026-11-24 10:00")
    c = P.act(customer, n, "rate", {"outcome_rating": 5, "process_rating": 4, "accepted": True})
    assert c["state"] == "closed" and c["close_reason"] == "satisfied"
    c = P.complaint(agent, n)
    first, second = c["rounds"]
    assert (first["outcome_rating"], first["process_rating"], first["satisfied"]) == (2, 4, False)
    # Round 1 ended at the unsatisfied callback, where round 2 began.
    assert moment(first["closed_at"]) == at("2026-11-23 10:00") == moment(second["started_at"])
    assert (second["outcome_rating"], second["process_rating"], second["satisfied"]) == (5, 4, True)
    assert moment(second["closed_at"]) == at("2026-11-24 10:00")
    assert [(cb["round_no"], cb["method"], cb["accepted"]) for cb in c["callbacks"]] == [
        (1, "phone", False),
        (2, "portal", True),
    ]
    assert c["reopen_count"] == 1 and c["is_overdue"] is False
    assert round_milestones(P, n, 2)["callback"]["met_on_time"] is True

    assert not P.sweep("2026-11-24 18:00")
    assert not P.sweep("2026-11-25 16:00")
    assert len(messages("milestone.breached", number=n, channel="inapp")) == 2  # manager, handler
    timeline = P.get(agent, f"/complaints/{n}/timeline")
    moves = [(e["from_state"], e["to_state"]) for e in timeline if e["kind"] == "transition"]
    assert moves == [
        ("received", "assigned"),
        ("assigned", "investigating"),
        ("investigating", "resolving"),
        ("resolving", "pending_callback"),
        ("pending_callback", "investigating"),
        ("investigating", "resolving"),
        ("resolving", "pending_callback"),
        ("pending_callback", "closed"),
    ]


def test_major_damage_on_the_eve_of_national_day(procedure):
    """A major complaint on the hotline the night before National Day: the 24-hour service keeps
    its clocks running through the holiday (the solution is breached on 1 Oct and goes to the
    executive), the callback waits for the first working day, and after the 15-day window the
    case can no longer be reopened."""
    P = procedure("logistics-service", "2026-09-30 21:00")
    people = P.people
    agent, executive, customer = people.agent, people.executive, people.customer
    handler, manager = people.handlers["transport"], people.managers["transport"]

    P.at("2026-09-30 21:30")
    c = P.post(
        agent,
        "/complaints",
        {
            "customer_name": "陈建国",
            "customer_company": "上海恒昌贸易有限公司",
            "customer_phone": "13816620001",
            "channel": "hotline",
            "description": "整车货物在运输途中被雨水浸泡，全部损坏，我们要找律师起诉。",
            "demand": "赔偿货损",
            "claimed_amount": "4000",
        },
        status=201,
    )
    n = c["number"]
    assert n == "KS-20260930-0001"
    # 律师/起诉 and 整车/全部损坏 → 重大; 损坏 → 货物破损, which goes to transport.
    assert c["level"] == "major" and c["category"] == "cargo_damage"
    assert c["grading"]["level"] == {"chosen": "major", "suggested": "major"}
    ms = P.milestones(agent, n)
    # On the phone the first reply is given while recording it (live channel).
    assert moment(ms["ack"]["met_at"]) == at("2026-09-30 21:30") and ms["ack"]["met_on_time"]
    assert due(ms["dispatch"]) == at("2026-09-30 22:00")  # major: 30m

    P.at("2026-09-30 21:40")
    P.act(agent, n, "dispatch", {"department": "transport", "handler": handler.pk})
    ms = P.milestones(agent, n)
    assert due(ms["contact"]) == at("2026-09-30 23:40")  # major: 2h
    # 24h, elapsed, straight into the holiday.
    assert due(ms["solution"]) == at("2026-10-01 21:40")

    # contact warning at 96m → 23:16; the handler calls at 23:30.
    assert P.sweep("2026-09-30 23:16").warned == 1
    assert inapp("milestone.warning", handler, n) == ["责任部门联系客户"]
    P.at("2026-09-30 23:30")
    P.act(handler, n, "accept")
    P.post(
        handler,
        f"/complaints/{n}/communications",
        {"channel": "phone", "direction": "out", "summary": "已联系客户，明早现场查勘"},
        status=201,
    )
    assert P.milestones(agent, n)["contact"]["met_on_time"] is True

    # solution: warning at 19h12m → Thu 1 Oct 16:52, breach at 21:40 — on a public holiday,
    # to the manager and, for a major case, the executive.
    assert not P.sweep("2026-10-01 16:51")
    assert P.sweep("2026-10-01 16:52").warned == 1
    assert inapp("milestone.warning", handler, n) == ["责任部门联系客户", "给出解决方案"]
    assert not P.sweep("2026-10-01 21:39")
    r = P.sweep("2026-10-01 21:40")
    assert (r.warned, r.breached, r.executive) == (0, 1, 1)
    assert inapp("milestone.breached", manager, n) == ["给出解决方案"]
    assert inapp("milestone.breached_executive", executive, n) == ["给出解决方案"]
    assert not P.sweep("2026-10-01 22:00")
    assert not P.sweep("2026-10-02 09:00")

    P.at("2026-10-02 10:00")
    sol = P.post(
        handler,
        f"/complaints/{n}/solution",
        {
            "summary": "按货值赔偿4000元",
            "root_cause": "force_majeure",
            "root_cause_text": "暴雨，篷布破损",
            "actions": [{"kind": "compensation", "amount": "4000"}, {"kind": "apology"}],
        },
        status=201,
    )
    # 4,000 CNY is the manager's tier, and a major case needs the manager anyway.
    assert sol["status"] == "pending_approval" and sol["required_role"] == "manager"
    refused(P, agent, n, "solution/approve", status=403, code="permission_denied")
    refused(P, people.managers["warehouse"], n, "solution/approve", status=404, code="not_found")
    P.at("2026-10-02 11:00")
    assert P.act(manager, n, "solution/approve", {"reason": "同意"})["state"] == "resolving"
    solution = P.milestones(agent, n)["solution"]
    assert moment(solution["met_at"]) == at("2026-10-02 11:00")
    assert solution["met_on_time"] is False
    assert moment(solution["breached_at"]) == at("2026-10-01 21:40")

    P.at("2026-10-02 15:00")
    P.act(handler, n, "resolve", {"summary": "已赔付"})
    # callback (major 1wd) on the business clock: 2–7 Oct are holidays, Thu 8 Oct 09:00 + 8h.
    assert due(P.milestones(agent, n)["callback"]) == at("2026-10-08 18:00")
    assert not P.sweep("2026-10-05 10:00")
    # warning at 6h24m: 09–12, 13:00 + 3h24m → 16:24.
    assert not P.sweep("2026-10-08 16:23")
    assert P.sweep("2026-10-08 16:24").warned == 1

    P.at("2026-10-08 17:00")
    P.post(
        agent,
        f"/complaints/{n}/callbacks",
        {"reached": True, "outcome_rating": 4, "process_rating": 5, "accepted": True},
        status=201,
    )
    c = P.complaint(agent, n)
    assert c["state"] == "closed" and c["close_reason"] == "satisfied"
    assert c["rounds"][0]["satisfied"] is True and c["breach_count"] == 1
    assert P.milestones(agent, n)["callback"]["met_on_time"] is True
    assert not P.sweep("2026-10-08 18:00")

    # Reopening is possible for 15 days after closure (8 Oct 17:00 → 23 Oct 17:00), not after.
    P.at("2026-10-23 17:01")
    refused(P, customer, n, "reopen", {"reason": "又发现两箱受潮"}, status=409, code="rule_not_met")
    c = P.complaint(agent, n)
    assert c["state"] == "closed" and c["reopen_count"] == 0 and c["round_no"] == 1
    assert len(messages("milestone.breached_executive", number=n, channel="inapp")) == 1
