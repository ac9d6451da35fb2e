"""A fixed data set for the analysis, built through the services with chosen times (the
logistics-service preset: seed 002, targets first reply 2 h / solution 24 h / satisfaction
90 % / complaint rate 5 %; every deadline on the 24x7 clock but the callback's; business hours
09:00–12:00 and 13:00–18:00 on working days, Asia/Shanghai).

Each case's comment gives its deadlines (due time, when met, kept or missed) and its measured
times; tests/analysis/test_kpis.py adds them up by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from kesu.complaints.models import Complaint, DeadlineExtension
from kesu.complaints.services import records, transitions
from kesu.complaints.services.intake import NewComplaint, complaint_create
from kesu.complaints.services.transitions import ActionInput
from tests.conftest import People, at, make_people

NOW = at("2026-11-20 12:00")  # when the figures are read

CUSTOMERS = {
    "A": ("陈建国", "13816620001", "上海恒昌贸易有限公司"),
    "B": ("刘芳", "13962110002", ""),
    "C": ("王磊", "13700000003", ""),
    "D": ("赵敏", "13700000004", ""),
    "E": ("孙丽", "13700000005", "苏州嘉禾电子有限公司"),
    "F": ("周强", "13700000006", ""),
}


@dataclass
class DataSet:
    people: People
    cases: dict[str, Complaint] = field(default_factory=dict)

    # --- the services, with the time given ------------------------------------------------

    def new(
        self,
        name: str,
        received: str,
        *,
        customer: str,
        category: str,
        channel: str = "email",
        level: str = "general",
    ) -> Complaint:
        who, phone, company = CUSTOMERS[customer]
        moment = at(received)
        c, _ = complaint_create(
            data=NewComplaint(
                customer_name=who,
                customer_phone=phone,
                customer_company=company,
                channel=channel,
                category=category,
                level=level,
                description=f"{name}: 货物问题。",
                received_at=moment,
            ),
            actor=self.people.agent,
            now=moment,
        )
        self.cases[name] = c
        return c

    def ack(self, c: Complaint, when: str) -> None:
        records.complaint_acknowledge(complaint=c, actor=self.people.agent, now=at(when))

    def dispatch(self, c: Complaint, when: str, dept: str) -> None:
        transitions.complaint_dispatch(
            complaint=c,
            actor=self.people.agent,
            department=dept,
            handler=self.people.handlers[dept],
            now=at(when),
        )
        transitions.complaint_accept(complaint=c, actor=self.people.handlers[dept], now=at(when))

    def solve(self, c: Complaint, when: str, cause: str) -> None:
        transitions.complaint_propose_solution(
            complaint=c,
            actor=c.handler,
            summary="致歉并说明原因。",
            actions=[ActionInput(kind="apology")],
            root_cause=cause,
            now=at(when),
        )

    def resolved(self, c: Complaint, when: str) -> None:
        transitions.complaint_report_resolved(complaint=c, actor=c.handler, now=at(when))

    def callback(self, c: Complaint, when: str, outcome: int, process: int, ok: bool) -> None:
        transitions.complaint_record_callback(
            complaint=c,
            actor=self.people.agent2,
            reached=True,
            outcome_rating=outcome,
            process_rating=process,
            accepted=ok,
            now=at(when),
        )

    def reload(self) -> None:
        for c in self.cases.values():
            c.refresh_from_db()


def build(people: People) -> DataSet:
    ds = DataSet(people)
    # S1 — September. Mon 09-14 10:00, customer A, transit_time → transport.
    #   ack due 12:00, met 10:30 kept; dispatch due 11:00, met 10:30 kept;
    #   contact due 14:30, met 15:00 MISSED; solution due Tue 10:30, met 15:00 kept;
    #   callback due Thu 09-17 10:00 (2 working days from Tue 10:00), met Wed 10:00 kept.
    #   first response 0.5 h; resolution 10–12 + 13–15 = 4 h. Callback 5/5. Closed 09-16.
    c = ds.new("S1", "2026-09-14 10:00", customer="A", category="transit_time")
    ds.ack(c, "2026-09-14 10:30")
    ds.dispatch(c, "2026-09-14 10:30", "transport")
    ds.solve(c, "2026-09-14 15:00", "operation_error")
    ds.resolved(c, "2026-09-15 10:00")
    ds.callback(c, "2026-09-16 10:00", 5, 5, True)

    # O1 — Mon 10-12 09:00, customer A, transit_time → transport. A repeat of S1 (28 days).
    #   ack due 11:00, met 09:20 kept; dispatch due 10:00, met 09:30 kept;
    #   contact due 13:30, met 13:00 kept; solution due Tue 09:30, met 13:00 kept;
    #   callback due Thu 10-15 10:00, met Wed 10-14 10:00 kept.  5 kept of 5.
    #   first response 20 min = 1,200 s; resolution 09–12 = 3 h = 10,800 s.
    #   Callback outcome 5, process 3. Closed 10-14.
    c = ds.new("O1", "2026-10-12 09:00", customer="A", category="transit_time")
    ds.ack(c, "2026-10-12 09:20")
    ds.dispatch(c, "2026-10-12 09:30", "transport")
    ds.solve(c, "2026-10-12 13:00", "operation_error")
    ds.resolved(c, "2026-10-13 10:00")
    ds.callback(c, "2026-10-14 10:00", 5, 3, True)

    # O2 — Tue 10-13 09:00 by hotline (the call is the acknowledgment), customer B, cargo_loss
    #   → warehouse. Round 1: ack due 11:00, met 09:00 kept; dispatch due 10:00, met 11:00
    #   MISSED; contact due 15:00, met 14:00 (information requested) kept; solution paused
    #   Tue 14:00 → Wed 09:00 (19 h), due Wed 11:00 + 19 h = Thu 06:00, met Thu 10:00 MISSED;
    #   callback due Mon 10-19 11:00, met Fri 10-16 10:00 kept (not satisfied: reopened).
    #   Round 2 from Fri 10:00: contact due 14:00, met 12:00 kept; solution due Sat 10:00, met
    #   12:00 kept; callback due Tue 10-20 12:00, met Mon 10-19 10:00 kept.  6 kept of 8.
    #   first response 0; resolution Tue 09:00 → Thu 10:00 = 17 working hours less the wait
    #   (Tue 14–18 = 4 h) = 13 h = 46,800 s. Callbacks: outcome 2 process 3; outcome 4
    #   process 5. Closed 10-19 after one reopen.
    c = ds.new("O2", "2026-10-13 09:00", customer="B", category="cargo_loss", channel="hotline")
    ds.dispatch(c, "2026-10-13 11:00", "warehouse")
    transitions.complaint_request_info(
        complaint=c, actor=c.handler, message="请提供签收单照片。", now=at("2026-10-13 14:00")
    )
    transitions.complaint_provide_info(
        complaint=c, actor=people.agent, text="客户已补充照片。", now=at("2026-10-14 09:00")
    )
    ds.solve(c, "2026-10-15 10:00", "process_defect")
    ds.resolved(c, "2026-10-15 11:00")
    ds.callback(c, "2026-10-16 10:00", 2, 3, False)
    ds.solve(c, "2026-10-16 12:00", "process_defect")
    ds.resolved(c, "2026-10-16 13:00")
    ds.callback(c, "2026-10-19 10:00", 4, 5, True)

    # O3 — Wed 10-21 09:00, customer E, cargo_loss → warehouse.
    #   ack due 11:00, met 09:30 kept; dispatch due 10:00, met 09:30 kept;
    #   contact due 13:30, met Thu 16:00 MISSED; solution due Thu 09:30, extended by 8 h
    #   (approved) to Thu 17:30, met Thu 16:00 kept (extended); callback due Mon 10-26 16:30
    #   (2 working days from Thu 16:30), never made: MISSED (open and past due).  3 of 5.
    #   first response 30 min = 1,800 s; resolution Wed 8 h + Thu 6 h = 14 h = 50,400 s.
    c = ds.new("O3", "2026-10-21 09:00", customer="E", category="cargo_loss")
    ds.ack(c, "2026-10-21 09:30")
    ds.dispatch(c, "2026-10-21 09:30", "warehouse")
    records.complaint_request_extension(
        complaint=c,
        actor=c.handler,
        milestone="solution",
        hours=8,
        reason="等待仓库盘点。",
        now=at("2026-10-21 10:00"),
    )
    extension = DeadlineExtension.objects.get(milestone__complaint=c)
    records.complaint_decide_extension(
        complaint=c,
        actor=people.managers["warehouse"],
        extension=extension,
        approve=True,
        now=at("2026-10-21 10:30"),
    )
    ds.solve(c, "2026-10-22 16:00", "operation_error")
    ds.resolved(c, "2026-10-22 16:30")

    # O4 — Fri 10-30 17:00, customer A, transit_time, major. A repeat of O1 (18 days).
    #   ack due 18:00 and dispatch due 17:30, both met only on Mon 11-02 (09:30 / 09:00):
    #   MISSED, and unmet at October's end. First response Fri 17–18 + Mon 09:00–09:30 =
    #   1.5 h = 5,400 s, given in November.
    c = ds.new("O4", "2026-10-30 17:00", customer="A", category="transit_time", level="major")

    # O5 — Sat 10-31 23:59 (October), customer C, web. Never touched: its ack (due 11-01 01:59)
    #   and dispatch (due 11-01 00:59) fall due in November.
    ds.new("O5", "2026-10-31 23:59", customer="C", category="cargo_damage", channel="web")
    # N1 — Sun 11-01 00:00 (November), customer D, web. Never touched.
    ds.new("N1", "2026-11-01 00:00", customer="D", category="cargo_damage", channel="web")

    # R1 — Thu 10-22 10:00, rejected at 10:30: not counted; its deadlines were cancelled
    #   before their due time and are no longer due.
    c = ds.new("R1", "2026-10-22 10:00", customer="F", category="other")
    transitions.complaint_reject(
        complaint=c, actor=people.agent, reason="非本公司业务。", now=at("2026-10-22 10:30")
    )

    # November work on O4.
    c = ds.cases["O4"]
    ds.dispatch(c, "2026-11-02 09:00", "transport")
    ds.ack(c, "2026-11-02 09:30")
    ds.reload()
    return ds


@pytest.fixture
def dataset(db, time_machine) -> DataSet:
    from kesu.analysis.volume import volume_set
    from kesu.policy.loader import policy_load

    time_machine.move_to(NOW, tick=False)
    policy_load("logistics-service")
    people = make_people()
    ds = build(people)
    volume_set(month="2026-10", volume=1000, kind="orders", actor=people.admin)
    volume_set(month="2026-09", volume=800, kind="orders", actor=people.admin)
    return ds


def by_key(rows: list[Any], key: str) -> Any:
    return next(r for r in rows if r.key == key)


def local(moment: datetime) -> str:
    from kesu.workcal.arithmetic import SHANGHAI

    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
