"""Seed 004 《客户投诉处理方案》 (canteen food distribution) end to end through the HTTP API,
preset ``food-distribution``.

Expected times are worked out by hand from ``presets/food-distribution.yaml``:

* 开头 24小时服务: ack, dispatch, contact and solution run on the 24x7 clock (nights, weekends
  and holidays count); the callback (四 3 4) 跟踪回访) on the business clock, 09:00–12:00 and
  13:00–18:00 (8 h = 1wd), Mon–Fri with statutory holidays off and 调休 make-up days on;
* general: ack 1h · dispatch 2h · contact 4h · solution 24h (pausable) · callback 1wd;
  major (食品安全): 30m · 30m · 1h · 4h · 1wd; the urgent flag (变质/发霉/虫 …): 15m · 15m ·
  30m · 2h, the shorter figure winning; the callback has no urgent figure;
* warning at 80 %; a breach goes to the manager, to the executive (分管领导) for ``major``
  and from the second breach of a complaint on;
* approval (三 1 值班经理 … 超权限的迅速上报分管领导): handler ≤ 200, manager ≤ 2,000,
  executive above; any major case ≥ manager; no review step;
* callback by agent, handler or manager, the handler included (四 3 4), 首问责任制) — handlers
  and managers only of the complaint's department; three failed attempts close the case as
  unreachable; reopen within 7 days;
* batch alert on with threshold 1 (三 7 对同类食品进行检查), window 7 days; 谁的客户谁负责:
  the customer's account owner is proposed as the case owner.

Calendar (chinesecalendar 1.11): 元旦 Thu 1 – Sat 3 Jan 2026 off, Sun 4 Jan a working day;
劳动节 Fri 1 – Tue 5 May 2026 off, Sat 9 May a working day. November 2026 has no holiday.
"""

from __future__ import annotations

from kesu.complaints.models import BatchAlert, CustomerAccount
from kesu.outbox.models import OutboxMessage
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


def transitions(proc, number: str) -> list[tuple[str, str]]:
    timeline = proc.get(proc.people.agent, f"/complaints/{number}/timeline")
    return [(e["from_state"], e["to_state"]) for e in timeline if e["kind"] == "transition"]


def round_milestones(proc, number: str, round_no: int) -> dict[str, dict]:
    data = proc.complaint(proc.people.agent, number)
    return {m["kind"]: m for m in data["milestones"] if m["round_no"] == round_no}


def batch_alerts() -> list[tuple[str, str, list[str]]]:
    """The batch alerts as stored (the API has no batch-alert endpoint): batch number,
    product and the numbers of the complaints joined to each, oldest alert first."""
    return [
        (a.batch_no, a.product, sorted(a.complaints.values_list("number", flat=True)))
        for a in BatchAlert.objects.order_by("raised_at", "pk")
    ]


CALLBACK_OK = {"reached": True, "outcome_rating": 5, "process_rating": 4, "accepted": True}


def test_spoiled_pork_on_may_day_eve_routed_to_account_owner_who_calls_back(procedure):
    """三 7 食品感官异常或可疑变质, phoned in on the night before May Day: graded major and
    urgent, quality alerted to check the batch at once, routed to the canteen's account owner
    (谁的客户谁负责), a contact breach escalated to the manager and the executive at night, a
    food-safety solution approved by the manager, the callback waiting for the first working day
    after the holiday and made by the handler himself; reopened within 7 days as a second
    round whose callback counts the make-up Saturday; not reopenable after the window."""
    P = procedure("food-distribution", "2026-04-30 20:00")  # Thursday
    people = P.people
    agent, agent2, executive, quality = (
        people.agent,
        people.agent2,
        people.executive,
        people.quality,
    )
    customer = people.customer
    owner, manager = people.handlers["delivery"], people.managers["delivery"]
    qc_handler, qc_manager = people.handlers["quality_control"], people.managers["quality_control"]
    cs_manager = people.managers["customer_service"]
    # Reference data an administrator keeps (no API for it): the canteen's account, owned by
    # the delivery staff member who serves it.
    CustomerAccount.objects.create(code="HC-CANTEEN", name="恒昌职工食堂", owner=owner)

    # --- 三 1 值班经理是投诉第一受理人: the 24-hour line, Thursday 20:30 ---------------------
    P.at("2026-04-30 20:30")
    c = P.post(
        agent,
        "/complaints",
        {
            "customer_name": "陈建国",
            "customer_company": "上海恒昌贸易有限公司",
            "customer_phone": "13816620001",
            "account_code": "HC-CANTEEN",
            "channel": "hotline",
            "description": "今晚送到职工食堂的冷鲜五花肉有异味，有几块已经发霉变质，"
            "明天早餐不敢用。",
            "demand": "马上撤换，并检查同一批次的肉",
            "product": "冷鲜五花肉",
            "batch_no": "PK-260430-03",
            "order_no": "PS-20260430-117",
        },
        status=201,
    )
    n = c["number"]
    assert n == "KS-20260430-0001"
    assert c["state"] == "received" and c["received_by"]["id"] == agent.pk
    assert c["customer"]["account"] == "HC-CANTEEN"
    # 异味/发霉/变质 → 重大(食品安全) and urgent (三 7); the first rule naming a category is the
    # sensory one (no foreign-matter word) → food_sensory. The agent keeps the suggestion.
    assert c["grading"]["level"] == {"chosen": "major", "suggested": "major"}
    assert c["grading"]["urgent"] == {"chosen": True, "suggested": True}
    assert c["grading"]["category"] == {"chosen": "food_sensory", "suggested": "food_sensory"}
    assert any("004 三 7" in reason for reason in c["grading"]["reasons"])
    # 告知客户投诉已被受理: e-mail and SMS to the canteen with the number.
    told = messages("complaint.received", number=n, customer=True)
    assert sorted((m["channel"], m["address"]) for m in told) == [
        ("email", "chen@example.cn"),
        ("sms", "13816620001"),
    ]
    assert all(m["context"]["number"] == n for m in told)
    # 三 7 对同类食品进行检查: the first complaint naming the batch alerts quality (threshold 1).
    assert batch_alerts() == [("PK-260430-03", "冷鲜五花肉", [n])]
    alert = messages("batch.alert", to=quality, number=n, channel="inapp")
    assert [m["context"]["batch"] for m in alert] == ["PK-260430-03"]
    timeline = P.get(agent, f"/complaints/{n}/timeline")
    assert [e["data"]["batch_no"] for e in timeline if e["kind"] == "batch_alert"] == [
        "PK-260430-03"
    ]

    ms = P.milestones(agent, n)
    assert set(ms) == {"ack", "dispatch"}
    # On the phone the duty line answers while recording it (live channel): ack met at once;
    # major 30m, urgent 15m → the shorter, 20:45.
    assert moment(ms["ack"]["met_at"]) == at("2026-04-30 20:30") and ms["ack"]["met_on_time"]
    assert due(ms["ack"]) == at("2026-04-30 20:45")
    assert due(ms["dispatch"]) == at("2026-04-30 20:45")  # min(30m, 15m), 24x7

    # dispatch warning at 80 % of 15m = 12m → 20:42, to the first receiver only.
    assert not P.sweep("2026-04-30 20:41")
    r = P.sweep("2026-04-30 20:42")
    assert (r.warned, r.breached) == (1, 0)
    assert inapp("milestone.warning", agent, n) == ["判断与分派"]
    assert inapp("milestone.warning", agent2, n) == []

    # --- dispatch: no department given → 谁的客户谁负责, the account owner's department -------
    P.at("2026-04-30 20:44")
    c = P.act(agent, n, "dispatch", {"note": "食品安全，今晚必须撤换"})
    assert c["state"] == "assigned"
    assert c["department"]["code"] == "delivery" and c["handler"]["id"] == owner.pk
    assert len(messages("complaint.assigned", to=owner, number=n, channel="inapp")) == 1
    ms = P.milestones(agent, n)
    assert moment(ms["dispatch"]["met_at"]) == at("2026-04-30 20:44")
    assert ms["dispatch"]["met_on_time"] is True
    # contact min(1h, 30m) = 30m → 21:14; solution min(4h, 2h) = 2h → 22:44 (24x7).
    assert due(ms["contact"]) == at("2026-04-30 21:14")
    assert due(ms["solution"]) == at("2026-04-30 22:44")

    # --- forbidden steps: wrong person, other department, wrong role, wrong state ------------
    refused(
        P, people.second_handlers["delivery"], n, "accept", status=403, code="permission_denied"
    )
    refused(P, qc_handler, n, "accept", status=404, code="not_found")  # no part in it yet
    refused(P, agent, n, "resolve", status=403, code="permission_denied")
    refused(P, owner, n, "resolve", status=409, code="invalid_transition")

    # contact warning at 80 % of 30m = 24m → 21:08, to the handler.
    assert not P.sweep("2026-04-30 21:07")
    assert P.sweep("2026-04-30 21:08").warned == 1
    assert inapp("milestone.warning", owner, n) == ["核实与联系客户"]
    P.at("2026-04-30 21:10")
    assert P.act(owner, n, "accept")["state"] == "investigating"

    # Not contacted by 21:14: breach to the department's manager and the handler, and — a
    # food-safety case (executive_levels: major) — to the executive at once.
    assert not P.sweep("2026-04-30 21:13")
    r = P.sweep("2026-04-30 21:14")
    assert (r.warned, r.breached, r.executive) == (0, 1, 1)
    assert inapp("milestone.breached", manager, n) == ["核实与联系客户"]
    assert inapp("milestone.breached", owner, n) == ["核实与联系客户"]
    assert inapp("milestone.breached", cs_manager, n) == []
    assert inapp("milestone.breached_executive", executive, n) == ["核实与联系客户"]
    sent = OutboxMessage.objects.count()
    assert not P.sweep("2026-04-30 21:20")  # escalated once
    assert OutboxMessage.objects.count() == sent
    c = P.complaint(agent, n)
    assert c["is_overdue"] is True and c["breach_count"] == 1

    P.at("2026-04-30 21:25")
    P.post(
        owner,
        f"/complaints/{n}/communications",
        {"channel": "phone", "direction": "out", "summary": "已致电食堂，马上送新肉并上门核实"},
        status=201,
    )
    contact = P.milestones(agent, n)["contact"]
    assert moment(contact["met_at"]) == at("2026-04-30 21:25")
    assert contact["met_on_time"] is False
    assert moment(contact["breached_at"]) == at("2026-04-30 21:14")
    assert P.complaint(agent, n)["is_overdue"] is False  # met, the breach kept

    # 三 7 核实该食品 … 对同类食品进行检查: quality control checks the batch and similar food.
    P.at("2026-04-30 21:30")
    task = P.post(
        owner,
        f"/complaints/{n}/tasks",
        {
            "department": "quality_control",
            "title": "核实PK-260430-03批次并抽检同类冷鲜肉",
            "owner": qc_handler.pk,
        },
        status=201,
    )
    assert task["status"] == "open" and task["required"] is True

    # --- solution: a food-safety case is at least the (duty) manager's decision ----------------
    P.at("2026-04-30 22:00")
    sol = P.post(
        owner,
        f"/complaints/{n}/solution",
        {
            "summary": "连夜撤换该批次五花肉，补偿当晚损耗150元",
            "root_cause": "cold_chain",
            "root_cause_text": "配送车冷机故障，途中温度偏高",
            "actions": [
                {"kind": "replacement", "description": "22:30前送到新鲜五花肉"},
                {"kind": "compensation", "amount": "150"},
            ],
        },
        status=201,
    )
    # 150 CNY is within the handler's 200, but approval_by_level major: manager.
    assert sol["status"] == "pending_approval" and sol["required_role"] == "manager"
    assert len(messages("solution.approval_needed", to=manager, number=n, channel="inapp")) == 1
    refused(P, owner, n, "solution/approve", status=403, code="permission_denied")
    # Quality control's manager sees the case through the task, but it is not his department.
    refused(P, qc_manager, n, "solution/approve", status=403, code="permission_denied")
    refused(P, people.managers["purchasing"], n, "solution/approve", status=404, code="not_found")
    P.at("2026-04-30 22:10")
    c = P.act(manager, n, "solution/approve", {"reason": "同意，今晚完成撤换"})
    assert c["state"] == "resolving"
    solution = P.milestones(agent, n)["solution"]
    assert moment(solution["met_at"]) == at("2026-04-30 22:10") and solution["met_on_time"]
    assert sorted(m["channel"] for m in messages("solution.communicated", number=n)) == [
        "email",
        "sms",
    ]
    assert not P.sweep("2026-04-30 22:20")  # the solution's 80 % mark (96m): met already

    # The batch check is still open: the case cannot be reported resolved.
    refused(P, owner, n, "resolve", {"summary": "x"}, status=409, code="rule_not_met")
    P.at("2026-04-30 22:30")
    done = P.post(
        qc_handler,
        f"/complaints/{n}/tasks/{task['id']}/complete",
        {"result": "该批次剩余12箱已下架封存，同类冷鲜肉抽检正常"},
    )
    assert done["status"] == "done"
    P.at("2026-04-30 22:40")
    c = P.act(owner, n, "resolve", {"summary": "已撤换并补偿"})
    assert c["state"] == "pending_callback"  # no review step
    # callback 1wd, business clock: Thu 22:40 is after hours, 1–5 May are holidays (Sat/Sun
    # inside), Wed 6 May 09:00 + 8h → 18:00.
    assert due(P.milestones(agent, n)["callback"]) == at("2026-05-06 18:00")
    assert not P.sweep("2026-05-02 10:00")
    # warning at 6h24m: 09–12 (3h), 13:00 + 3h24m → 16:24 — to the first receiver and, since
    # the handler may call back in this procedure, to the handler too.
    assert not P.sweep("2026-05-06 16:23")
    assert P.sweep("2026-05-06 16:24").warned == 1
    assert inapp("milestone.warning", agent, n) == ["判断与分派", "跟踪回访"]
    assert inapp("milestone.warning", owner, n) == ["核实与联系客户", "跟踪回访"]

    # --- 四 3 4) 跟踪回访: the handler who took it follows it up himself -----------------------
    P.at("2026-05-06 17:00")
    # Quality audits but does not call back here; the QC handler is of another department.
    refused(P, quality, n, "callbacks", CALLBACK_OK, status=403, code="permission_denied")
    refused(P, qc_handler, n, "callbacks", CALLBACK_OK, status=403, code="permission_denied")
    assert "record_callback" in P.complaint(owner, n)["allowed_actions"]
    cb = P.post(
        owner, f"/complaints/{n}/callbacks", {**CALLBACK_OK, "notes": "撤换及时，满意"}, status=201
    )
    assert cb["by"]["id"] == owner.pk and cb["round_no"] == 1
    c = P.complaint(agent, n)
    assert c["state"] == "closed" and c["close_reason"] == "satisfied"
    assert moment(c["closed_at"]) == at("2026-05-06 17:00")
    assert c["breach_count"] == 1 and c["is_overdue"] is False and c["reopen_count"] == 0
    ms = P.milestones(agent, n)
    assert moment(ms["callback"]["met_at"]) == at("2026-05-06 17:00")
    assert {k: ms[k]["met_on_time"] for k in ms} == {
        "ack": True,
        "dispatch": True,
        "contact": False,
        "solution": True,
        "callback": True,
    }
    assert not P.sweep("2026-05-06 18:00")

    # --- reopen within 7 days (二次处理): Sat 9 May, a make-up working day --------------------
    P.at("2026-05-09 10:00")
    c = P.act(customer, n, "reopen", {"reason": "撤换后送来的五花肉今天又有异味"})
    assert c["state"] == "investigating"
    c = P.complaint(agent, n)
    assert (c["round_no"], c["reopen_count"]) == (2, 1)
    assert c["handler"]["id"] == owner.pk and c["closed_at"] is None
    first, second = c["rounds"]
    assert first["satisfied"] is True and moment(first["closed_at"]) == at("2026-05-06 17:00")
    assert (first["outcome_rating"], first["process_rating"]) == (5, 4)
    assert second["number"] == 2 and moment(second["started_at"]) == at("2026-05-09 10:00")
    assert second["reason"] == "撤换后送来的五花肉今天又有异味" and second["satisfied"] is None
    assert len(messages("complaint.reopened", to=owner, number=n, channel="inapp")) == 1
    # Round 1 keeps its record; round 2 has its own deadlines from the reopening (24x7,
    # major + urgent): contact 30m → 10:30, solution 2h → 12:00.
    assert {k: v["met_on_time"] for k, v in round_milestones(P, n, 1).items()} == {
        "ack": True,
        "dispatch": True,
        "contact": False,
        "solution": True,
        "callback": True,
    }
    r2 = P.milestones(agent, n)
    assert set(r2) == {"contact", "solution"}
    assert all(m["status"] == "open" and m["round_no"] == 2 for m in r2.values())
    assert due(r2["contact"]) == at("2026-05-09 10:30")
    assert due(r2["solution"]) == at("2026-05-09 12:00")

    P.at("2026-05-09 10:15")
    P.post(
        owner,
        f"/complaints/{n}/communications",
        {"channel": "visit", "direction": "out", "summary": "上门查看，确认仍有异味"},
        status=201,
    )
    assert not P.sweep("2026-05-09 10:24")  # round-2 contact's 80 % mark: met already
    P.at("2026-05-09 10:45")
    sol = P.post(
        owner,
        f"/complaints/{n}/solution",
        {
            "summary": "改用另一供应商批次，退还该批货款120元",
            "actions": [{"kind": "replacement"}, {"kind": "refund", "amount": "120"}],
        },
        status=201,
    )
    assert sol["round_no"] == 2 and sol["required_role"] == "manager"
    assert sol["status"] == "pending_approval"
    P.at("2026-05-09 11:00")
    assert P.act(manager, n, "solution/approve")["state"] == "resolving"
    P.at("2026-05-09 11:30")
    assert P.act(owner, n, "resolve")["state"] == "pending_callback"
    assert not P.sweep("2026-05-09 11:36")  # round-2 solution's 80 % mark: met already
    # round-2 callback 1wd from Sat 9 May 11:30 (a working day): 0.5h + 5h = 5.5h, Sun 10 off,
    # Mon 11 May 09:00 + 2.5h → 11:30. Warning at 6h24m: Mon 09:00 + 54m → 09:54.
    assert due(P.milestones(agent, n)["callback"]) == at("2026-05-11 11:30")
    assert not P.sweep("2026-05-10 12:00")
    assert not P.sweep("2026-05-11 09:53")
    assert P.sweep("2026-05-11 09:54").warned == 1
    # The department's manager makes round 2's callback (by_roles: manager of the department).
    P.at("2026-05-11 10:00")
    cb = P.post(manager, f"/complaints/{n}/callbacks", CALLBACK_OK, status=201)
    assert cb["round_no"] == 2 and cb["by"]["id"] == manager.pk
    c = P.complaint(agent, n)
    assert c["state"] == "closed" and c["close_reason"] == "satisfied"
    assert [r["satisfied"] for r in c["rounds"]] == [True, True]
    assert [(x["round_no"], x["by"]["id"]) for x in c["callbacks"]] == [
        (1, owner.pk),
        (2, manager.pk),
    ]
    assert all(m["met_on_time"] for m in round_milestones(P, n, 2).values())
    assert not P.sweep("2026-05-11 11:30")

    # Closed Mon 11 May 10:00: the 7-day window ends Mon 18 May 10:00.
    P.at("2026-05-18 10:01")
    refused(P, customer, n, "reopen", {"reason": "又有异味"}, status=409, code="rule_not_met")
    c = P.complaint(agent, n)
    assert c["state"] == "closed" and c["reopen_count"] == 1 and c["round_no"] == 2
    assert len(messages("milestone.breached_executive", number=n, channel="inapp")) == 1
    assert len(messages("batch.alert", number=n, channel="inapp")) == 1  # quality, once
    assert transitions(P, n) == [
        ("received", "assigned"),
        ("assigned", "investigating"),
        ("investigating", "pending_approval"),
        ("pending_approval", "resolving"),
        ("resolving", "pending_callback"),
        ("pending_callback", "closed"),
        ("closed", "investigating"),
        ("investigating", "pending_approval"),
        ("pending_approval", "resolving"),
        ("resolving", "pending_callback"),
        ("pending_callback", "closed"),
    ]


def test_late_vegetables_reported_on_new_years_eve_left_alone_then_beyond_the_duty_manager(
    procedure,
):
    """A general late-delivery complaint written on the portal late on New Year's Eve: nobody
    answers in the night, so ack and dispatch are breached on the 24-hour clocks (the second
    breach reaching the executive), the solution clock pauses while the canteen sends its
    receipts, a 2,600 CNY claim is beyond the duty manager and refused by 分管领导, 1,800 is
    approved by the manager, and the callback — due on the make-up Sunday after 元旦 — fails
    three times, closing the case as unreachable."""
    P = procedure("food-distribution", "2025-12-31 21:00")  # Wednesday
    people = P.people
    agent, agent2, executive, customer = (
        people.agent,
        people.agent2,
        people.executive,
        people.customer,
    )
    handler, manager = people.handlers["delivery"], people.managers["delivery"]
    cs_manager = people.managers["customer_service"]

    P.at("2025-12-31 22:00")
    c = P.post(
        customer,
        "/complaints",
        {
            "customer_name": "陈建国",
            "customer_phone": "13816620001",
            "channel": "web",
            "description": "今天中午的蔬菜到十一点半还没送到，六百人的午餐只好临时外购，"
            "多花了三千元。",
            "demand": "赔偿临时外购多花的钱",
            "claimed_amount": "3000",
            "order_no": "PS-20251231-042",
        },
        status=201,
    )
    n = c["number"]
    assert n == "KS-20251231-0001" and c["state"] == "received"
    assert c["grading"] is None  # the customer does not see the grading
    c = P.complaint(agent, n)
    # 还没送 → 配送延误 (delivery); no food-safety or legal word and 3,000 < 5,000 → 一般.
    assert c["grading"]["category"] == {"chosen": "delivery_delay", "suggested": "delivery_delay"}
    assert c["grading"]["level"] == {"chosen": "general", "suggested": "general"}
    assert c["grading"]["urgent"] == {"chosen": False, "suggested": False}
    assert c["received_by"] is None
    ms = P.milestones(agent, n)
    assert set(ms) == {"ack", "dispatch"}  # the portal is not a live channel: ack is open
    assert due(ms["ack"]) == at("2025-12-31 23:00")  # 1h, 24x7
    assert due(ms["dispatch"]) == at("2026-01-01 00:00")  # 2h, into New Year's Day
    # Accepted, with the number and the time of the first answer (the ack deadline).
    told = messages("complaint.received", number=n, customer=True)
    assert sorted(m["channel"] for m in told) == ["email", "sms"]
    assert {m["context"]["deadline"] for m in told} == {"2025-12-31 23:00"}
    assert batch_alerts() == []  # no batch named

    # ack warning at 48m → 22:48; nobody recorded it, so all of customer service is warned.
    assert not P.sweep("2025-12-31 22:47")
    r = P.sweep("2025-12-31 22:48")
    assert (r.warned, r.breached) == (1, 0)
    assert inapp("milestone.warning", agent, n) == ["受理回应"]
    assert inapp("milestone.warning", agent2, n) == ["受理回应"]
    # ack breached at 23:00: customer service's manager (值班经理) is told; general level and
    # a first breach → not the executive.
    assert not P.sweep("2025-12-31 22:59")
    r = P.sweep("2025-12-31 23:00")
    assert (r.warned, r.breached, r.executive) == (0, 1, 0)
    assert inapp("milestone.breached", cs_manager, n) == ["受理回应"]
    assert inapp("milestone.breached", manager, n) == []
    assert messages("milestone.breached_executive", number=n) == []
    # dispatch warning at 96m → 23:36; breach at 00:00, the second of the case → executive.
    assert not P.sweep("2025-12-31 23:35")
    assert P.sweep("2025-12-31 23:36").warned == 1
    assert not P.sweep("2025-12-31 23:59")
    r = P.sweep("2026-01-01 00:00")
    assert (r.warned, r.breached, r.executive) == (0, 1, 1)
    assert inapp("milestone.breached", cs_manager, n) == ["受理回应", "判断与分派"]
    assert inapp("milestone.breached_executive", executive, n) == ["判断与分派"]
    sent = OutboxMessage.objects.count()
    assert not P.sweep("2026-01-01 00:30")
    assert OutboxMessage.objects.count() == sent
    c = P.complaint(agent, n)
    assert c["is_overdue"] is True and c["breach_count"] == 2

    # --- New Year's Day morning: acknowledged and dispatched, late --------------------------
    P.at("2026-01-01 08:00")
    P.act(agent, n, "acknowledge", {"channel": "phone", "summary": "已致歉，上午安排配送部处理"})
    ack = P.milestones(agent, n)["ack"]
    assert moment(ack["met_at"]) == at("2026-01-01 08:00") and ack["met_on_time"] is False
    assert moment(ack["breached_at"]) == at("2025-12-31 23:00")
    P.at("2026-01-01 08:10")
    # No department given and no account owner: the category's department (delivery).
    c = P.act(agent, n, "dispatch", {"handler": handler.pk})
    assert c["state"] == "assigned" and c["department"]["code"] == "delivery"
    ms = P.milestones(agent, n)
    assert ms["dispatch"]["met_on_time"] is False
    assert moment(ms["dispatch"]["breached_at"]) == at("2026-01-01 00:00")
    assert due(ms["contact"]) == at("2026-01-01 12:10")  # 4h, on the holiday
    assert due(ms["solution"]) == at("2026-01-02 08:10")  # 24h
    refused(
        P, agent, n, "dispatch", {"department": "finance"}, status=409, code="invalid_transition"
    )
    refused(P, people.handlers["finance"], n, "accept", status=404, code="not_found")
    refused(P, customer, n, "accept", status=403, code="permission_denied")

    P.at("2026-01-01 08:30")
    assert P.act(handler, n, "accept")["state"] == "investigating"
    P.at("2026-01-01 09:00")
    P.post(
        handler,
        f"/complaints/{n}/communications",
        {"channel": "phone", "direction": "out", "summary": "核实排线，漏排了该食堂"},
        status=201,
    )
    assert P.milestones(agent, n)["contact"]["met_on_time"] is True
    # The receipts are needed: the solution clock pauses 09:10–11:40 (2h30m, 24x7).
    P.at("2026-01-01 09:10")
    c = P.act(handler, n, "request-info", {"message": "请上传外购发票和当天的收货记录"})
    assert c["state"] == "awaiting_customer"
    assert P.milestones(agent, n)["solution"]["paused"] is True
    assert not P.sweep("2026-01-01 11:00")
    P.at("2026-01-01 11:40")
    assert P.act(customer, n, "provide-info", {"text": "发票和收货记录已上传"})["state"] == (
        "investigating"
    )
    # due 08:10 + 24h + 2h30m → Fri 2 Jan 10:40; warning 08:10 + 19h12m + 2h30m → 05:52.
    solution = P.milestones(agent, n)["solution"]
    assert solution["paused"] is False and due(solution) == at("2026-01-02 10:40")

    # --- 超权限的迅速上报分管领导: 2,600 CNY is above the duty manager's 2,000 ----------------
    P.at("2026-01-01 14:00")
    sol = P.post(
        handler,
        f"/complaints/{n}/solution",
        {
            "summary": "按临时外购差价赔偿2600元并致歉",
            "root_cause": "process_defect",
            "root_cause_text": "节日排线漏排该食堂",
            "actions": [{"kind": "compensation", "amount": "2600"}, {"kind": "apology"}],
        },
        status=201,
    )
    assert sol["status"] == "pending_approval" and sol["required_role"] == "executive"
    assert len(messages("solution.approval_needed", to=executive, number=n, channel="inapp")) == 1
    refused(P, manager, n, "solution/approve", status=403, code="permission_denied")
    P.at("2026-01-01 15:00")
    c = P.act(executive, n, "solution/refuse", {"reason": "按发票核定实际差价"})
    assert c["state"] == "investigating"
    assert P.milestones(agent, n)["solution"]["status"] == "open"  # still to be communicated
    P.at("2026-01-01 16:00")
    sol = P.post(
        handler,
        f"/complaints/{n}/solution",
        {
            "summary": "按发票差价赔偿1800元并致歉",
            "actions": [{"kind": "compensation", "amount": "1800"}, {"kind": "apology"}],
        },
        status=201,
    )
    # Above the handler's 200, within the duty manager's 2,000.
    assert sol["status"] == "pending_approval" and sol["required_role"] == "manager"
    P.at("2026-01-01 16:30")
    assert P.act(manager, n, "solution/approve")["state"] == "resolving"
    c = P.complaint(agent, n)
    assert [(s["amount"], s["status"]) for s in c["solutions"]] == [
        ("2600.00", "rejected"),
        ("1800.00", "approved"),
    ]
    solution = P.milestones(agent, n)["solution"]
    assert moment(solution["met_at"]) == at("2026-01-01 16:30") and solution["met_on_time"]

    P.at("2026-01-01 17:00")
    assert P.act(handler, n, "resolve", {"summary": "已赔付"})["state"] == "pending_callback"
    # callback 1wd, business clock: 1–3 Jan off, Sun 4 Jan (调休 working day) 09:00 + 8h.
    assert due(P.milestones(agent, n)["callback"]) == at("2026-01-04 18:00")
    assert not P.sweep("2026-01-02 05:52")  # the solution's old warning mark: met already
    assert not P.sweep("2026-01-03 12:00")

    # --- callback attempts on the make-up Sunday --------------------------------------------
    P.at("2026-01-04 10:00")
    # The callback is staff's: the customer answers the survey with ``rate`` instead.
    refused(P, customer, n, "callbacks", CALLBACK_OK, status=403, code="permission_denied")
    cb = P.post(
        handler,
        f"/complaints/{n}/callbacks",
        {"reached": False, "notes": "食堂电话无人接听"},
        status=201,
    )
    assert cb["reached"] is False
    assert P.complaint(agent, n)["state"] == "pending_callback"
    # warning at 6h24m → 16:24 to customer service (nobody recorded it) and the handler.
    assert not P.sweep("2026-01-04 16:23")
    assert P.sweep("2026-01-04 16:24").warned == 1
    assert inapp("milestone.warning", agent, n) == ["受理回应", "判断与分派", "跟踪回访"]
    assert inapp("milestone.warning", agent2, n) == ["受理回应", "判断与分派", "跟踪回访"]
    assert inapp("milestone.warning", handler, n) == ["跟踪回访"]
    # breach at 18:00, the third of the case: customer service's manager and the executive.
    assert not P.sweep("2026-01-04 17:59")
    r = P.sweep("2026-01-04 18:00")
    assert (r.warned, r.breached, r.executive) == (0, 1, 1)
    assert inapp("milestone.breached", cs_manager, n) == ["受理回应", "判断与分派", "跟踪回访"]
    assert inapp("milestone.breached_executive", executive, n) == ["判断与分派", "跟踪回访"]
    assert not P.sweep("2026-01-04 18:30")

    P.at("2026-01-05 09:30")
    P.post(agent2, f"/complaints/{n}/callbacks", {"reached": False}, status=201)
    assert P.complaint(agent, n)["state"] == "pending_callback"
    P.at("2026-01-05 15:00")
    P.post(manager, f"/complaints/{n}/callbacks", {"reached": False}, status=201)
    # Third failed attempt (max_attempts 3): closed as unreachable; the milestone is met then,
    # late, its breach kept.
    c = P.complaint(agent, n)
    assert c["state"] == "closed" and c["close_reason"] == "unreachable"
    assert c["rounds"][0]["satisfied"] is None and c["breach_count"] == 3
    assert c["is_overdue"] is False
    assert [(x["by"]["id"], x["reached"]) for x in c["callbacks"]] == [
        (handler.pk, False),
        (agent2.pk, False),
        (manager.pk, False),
    ]
    callback = P.milestones(agent, n)["callback"]
    assert moment(callback["met_at"]) == at("2026-01-05 15:00")
    assert callback["met_on_time"] is False
    assert moment(callback["breached_at"]) == at("2026-01-04 18:00")
    assert not P.sweep("2026-01-06 09:00")
    assert transitions(P, n) == [
        ("received", "assigned"),
        ("assigned", "investigating"),
        ("investigating", "awaiting_customer"),
        ("awaiting_customer", "investigating"),
        ("investigating", "pending_approval"),
        ("pending_approval", "investigating"),
        ("investigating", "pending_approval"),
        ("pending_approval", "resolving"),
        ("resolving", "pending_callback"),
        ("pending_callback", "closed"),
    ]


def test_grading_suggestions_and_batch_alerts_to_quality(procedure):
    """The keyword and amount rules of the preset at intake, and 三 7 对同类食品进行检查: every
    complaint naming a batch puts it under a quality alert; a second complaint on the same
    batch within 7 days joins the open alert (linked, no second message); another batch gets
    its own alert; a customer does not see the link to another canteen's complaint."""
    P = procedure("food-distribution", "2026-11-17 19:00")  # Tuesday
    people = P.people
    agent, quality = people.agent, people.quality

    def record(when: str, body: dict) -> dict:
        P.at(when)
        base = {"customer_name": "陈建国", "customer_phone": "13816620001", "channel": "hotline"}
        return P.post(agent, "/complaints", {**base, **body}, status=201)

    # 虫 → major + urgent and 异物 (the first rule naming a category); 家长群 → major too.
    first = record(
        "2026-11-17 19:30",
        {
            "customer_name": "刘芳",
            "customer_phone": "13962110002",
            "channel": "group_chat",
            "description": "学校食堂今天中午的上海青里吃出了虫子，家长群里已经在传了。",
            "product": "上海青",
            "batch_no": "VG-1117-A",
        },
    )
    n1 = first["number"]
    assert (first["level"], first["urgent"], first["category"]) == ("major", True, "foreign_matter")
    assert first["department"] is None and first["state"] == "received"
    assert batch_alerts() == [("VG-1117-A", "上海青", [n1])]
    assert [
        m["context"]["batch"] for m in messages("batch.alert", to=quality, channel="inapp")
    ] == ["VG-1117-A"]

    # Half an hour later another canteen names the same batch: it joins the open alert.
    second = record(
        "2026-11-17 20:00",
        {
            "description": "今天送来的上海青洗的时候发现叶子上有小虫。",
            "product": "上海青",
            "batch_no": "VG-1117-A",
        },
    )
    n2 = second["number"]
    assert (second["level"], second["urgent"], second["category"]) == (
        "major",
        True,
        "foreign_matter",
    )
    assert batch_alerts() == [("VG-1117-A", "上海青", sorted([n1, n2]))]
    assert len(messages("batch.alert", to=quality, channel="inapp")) == 1  # no second alert
    assert {"kind": "same_batch", "direction": "out", "number": n1} in second["links"]
    assert {"kind": "same_batch", "direction": "in", "number": n2} in P.complaint(agent, n1)[
        "links"
    ]
    assert [e["kind"] for e in P.get(agent, f"/complaints/{n2}/timeline")].count("batch_alert") == 0
    # Each canteen sees its own complaint, not the link to the other one's.
    assert P.complaint(people.customer, n2)["links"] == []
    assert P.complaint(people.other_customer, n1)["links"] == []
    P.get(people.customer, f"/complaints/{n1}", status=404)

    # The next day a different batch of the same vegetable: its own alert.
    third = record(
        "2026-11-18 10:00",
        {
            "description": "上海青有发霉的叶子。",
            "product": "上海青",
            "batch_no": "VG-1118-B",
        },
    )
    n3 = third["number"]
    assert (third["level"], third["urgent"], third["category"]) == ("major", True, "food_sensory")
    assert [a[0] for a in batch_alerts()] == ["VG-1117-A", "VG-1118-B"]
    assert batch_alerts()[1][2] == [n3]
    assert [
        m["context"]["batch"] for m in messages("batch.alert", to=quality, channel="inapp")
    ] == [
        "VG-1117-A",
        "VG-1118-B",
    ]
    assert all(link["kind"] != "same_batch" for link in third["links"])

    # People taken ill: major + urgent, 食品感官异常 (疑似食物中毒); no batch → no alert.
    ill = record(
        "2026-11-18 13:30", {"description": "午饭后有三个员工拉肚子，怀疑是凉拌菜的问题。"}
    )
    assert (ill["level"], ill["urgent"], ill["category"]) == ("major", True, "food_sensory")
    assert len(batch_alerts()) == 2
    # A regulator threat is major but not urgent; the agent judges this one general: the
    # suggestion and the choice are both kept.
    late = record(
        "2026-11-18 14:00",
        {
            "description": "你们这个月已经送晚三次了，再这样我们就打12315。",
            "level": "general",
        },
    )
    assert late["grading"]["level"] == {"chosen": "general", "suggested": "major"}
    assert late["grading"]["urgent"] == {"chosen": False, "suggested": False}
    assert late["category"] == "delivery_delay"
    # A claim of 5,000 CNY or more is major (amount rule); 单价/结算 → price and settlement.
    claim = record(
        "2026-11-18 15:00",
        {"description": "十月的结算单价和合同不一致，多收了钱。", "claimed_amount": "5000"},
    )
    assert (claim["level"], claim["urgent"], claim["category"]) == (
        "major",
        False,
        "price_settlement",
    )
    # Nothing serious: general, 服务态度 (004 四).
    rude = record("2026-11-18 16:00", {"description": "送货员态度很不耐烦，东西一放就走。"})
    assert (rude["level"], rude["urgent"], rude["category"]) == (
        "general",
        False,
        "service_attitude",
    )
    # Repeats (same customer and category within 30 days) are flagged and linked.
    assert second["is_repeat"] is False  # 陈建国's first foreign-matter complaint
    assert third["is_repeat"] is False  # food_sensory: a different category
    assert ill["is_repeat"] is True  # 陈建国, food_sensory again
    assert {"kind": "repeat", "direction": "out", "number": n3} in ill["links"]
