"""Demo history: the previous calendar months of complaints, each taken through its life with
``now=`` moved back, so the analysis, the monthly report and the audits have data.

Every step goes through the product's services. The time of a step is read from the deadline
it meets (its stored start, duration and due time on the policy's clock): inside it for most
steps, past it for a planned share of them, with the sweep run at the instants the worker
would have run it, so warnings and breaches are recorded when they happened. Works for every
preset: categories, levels, channels, approval tiers and root causes come from the policy.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from kesu.accounts.models import Department, Role, User
from kesu.complaints.models import Complaint, Milestone, MilestoneStatus
from kesu.complaints.services import records, transitions
from kesu.complaints.services.intake import NewComplaint, complaint_create
from kesu.complaints.services.sweep import sweep_deadlines
from kesu.complaints.services.transitions import ActionInput
from kesu.complaints.states import State
from kesu.demo.builder import DemoBuilder, make_user, story
from kesu.improvement.periods import local_midnight, previous_month
from kesu.workcal.arithmetic import Clock
from kesu.workcal.calendar import cached_official_calendar, clock_for

MONTHS = 6
PER_MONTH = (15, 19)
# Share of deadlines missed, oldest month first: handling gets better over the half year.
MISS_RATE = (0.18, 0.16, 0.14, 0.12, 0.11, 0.09)
SWEEP_LAG = timedelta(minutes=1)  # the worker sweeps every minute
# The improvement action against the most frequent root cause is opened this long after the
# history begins and done this long after that; from then on that cause is rarer, so the
# action's effectiveness check finds fewer complaints after than before (demo.quality).
FIX_OPENED = timedelta(days=32)
FIX_TOOK = timedelta(days=24)
FIXED_SHARE = 0.35

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明霞"
SECOND_HANDLERS = ["韩雪", "邓超", "曹阳", "彭丽", "曾强", "肖敏", "田磊", "董洁", "潘婷", "蒋涛"]
COMPANIES = [
    "苏州华信电子有限公司",
    "南京新城物流有限公司",
    "宁波海达进出口有限公司",
    "合肥科远机械制造有限公司",
    "广州骏丰商贸有限公司",
    "常州润泽包装材料有限公司",
    "嘉兴同创纺织有限公司",
    "绍兴明德医药连锁有限公司",
    "扬州金盛五金制品有限公司",
    "温州联发鞋业有限公司",
    "上海浦江第二小学食堂",
    "杭州云帆网络科技有限公司",
]
SOLUTIONS = [
    "致歉并赔偿损失，改进相关环节。",
    "向客户书面说明原因，补发货物并承担运费。",
    "上门核实后按合同条款处理，费用由我方承担。",
    "更换责任人员跟进，给予客户下单优惠。",
]
RESOLVED_NOTES = ["方案已执行完毕", "补发货物已签收", "赔款已支付到客户账户", "已按方案处理完毕"]
REJECT_REASONS = [
    "该运单不属于本公司承运，客户记错了承运商。",
    "客户反映的是第三方平台的商品问题，不属于本公司业务范围。",
    "经核实为重复来电，客户已撤回投诉。",
]


def customer_pool(size: int = 64) -> list[tuple[str, str, str, str]]:
    """Deterministic (name, company, phone, email) contacts, apart from the recent cases'
    customers so those stay as they were (no repeats linked to them)."""
    rng = random.Random(2024)
    pool = []
    for i in range(size):
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN])
        company = rng.choice(COMPANIES) if rng.random() < 0.75 else ""
        email = f"c{i:03d}@customer.example.cn" if rng.random() < 0.7 else ""
        pool.append((name, company, f"137{40000000 + i * 7919:08d}", email))
    return pool


def previous_months(now: datetime, count: int) -> list[datetime]:
    """Local midnights of the first days of the ``count`` calendar months before ``now``'s,
    oldest first."""
    first = timezone.localtime(now).date().replace(day=1)
    months = []
    for _ in range(count):
        first = previous_month(first)
        months.append(local_midnight(first))
    return months[::-1]


def _weighted(rng: random.Random, items: list, skew: float) -> object:
    """Earlier items more often (a long tail, as real complaint data has)."""
    weights = [1 / (i + 1) ** skew for i in range(len(items))]
    return rng.choices(items, weights=weights)[0]


@dataclass
class Plan:
    """What happens to one complaint, decided before it is received."""

    received_at: datetime
    category: str
    level: str
    channel: str
    customer: tuple[str, str, str, str]
    late: set[str] = field(default_factory=set)
    rating: int = 5
    amount: Decimal = Decimal("0")
    reopen: bool = False
    reject: bool = False


Step = Callable[[Complaint, Plan, datetime], datetime | None]


class HistoryBuilder:
    def __init__(self, demo: DemoBuilder, *, seed: int = 11, months: int = MONTHS) -> None:
        self.demo = demo
        self.policy = demo.policy
        self.now = demo.now
        self.rng = random.Random(seed)
        self.months = previous_months(demo.now, months)
        # Steps later than this are left undone: such a case is still open today.
        self.cutoff = demo.now - timedelta(hours=1)
        self.customers = customer_pool()
        self.made: list[Complaint] = []
        self._clocks: dict[str, Clock] = {}
        self.handlers = self._handlers()

    # --- people -------------------------------------------------------------------------
    def _handlers(self) -> dict[str, list[User]]:
        """A second handler in the departments that own several categories, so the people
        section of the report compares colleagues."""
        owners = [c.department for c in self.policy.categories]
        names = iter(SECOND_HANDLERS)
        teams: dict[str, list[User]] = {}
        for dept in Department.objects.order_by("code"):
            team = [self.demo.handler_for(dept)]
            if owners.count(dept.code) >= 2:
                name = next(names, f"{dept.name}专员")
                team.append(make_user(f"handler2_{dept.code}", Role.HANDLER, name, dept))
            teams[dept.code] = team
        return teams

    # --- time ---------------------------------------------------------------------------
    def clock(self, kind: str = "business") -> Clock:
        if kind not in self._clocks:
            self._clocks[kind] = clock_for(
                kind, self.policy.working_hours, official=cached_official_calendar()
            )
        return self._clocks[kind]

    def later(self, moment: datetime, low: int, high: int, clock: Clock | None = None) -> datetime:
        """``low``–``high`` minutes after ``moment`` on ``clock`` (working time by default)."""
        return (clock or self.clock()).add(moment, self.rng.randint(low, high) * 60)

    def running(self, c: Complaint) -> list[Milestone]:
        return list(Milestone.objects.filter(complaint=c, status=MilestoneStatus.OPEN))

    def pace(self, running: list[Milestone]) -> Clock:
        """Steps go at the pace of the most pressing deadline: one on the 24x7 clock is worked
        on around the clock."""
        soonest = min(running, key=lambda m: m.due_at or self.now, default=None)
        return self.clock(soonest.clock if soonest else "business")

    def when(self, c: Complaint, kind: str, after: datetime, late: bool) -> datetime:
        """When the step meeting deadline ``kind`` happens: inside it, or past it if ``late``;
        never before ``after``. The sweep runs first at the instants it would have."""
        running = self.running(c)
        ms = next((m for m in running if m.kind == kind), None)
        if ms is None:
            return self.later(after, 1, 15, self.pace(running))
        clock = self.clock(ms.clock)
        share = self.rng.uniform(1.15, 1.9) if late else self.rng.uniform(0.1, 0.65)
        at = clock.add(ms.started_at, int(ms.duration_seconds * share) + ms.paused_seconds)
        if not late:
            # Early enough for the other deadlines too: one step does not make the next miss.
            others = [m for m in running if m is not ms]
            at = min([at, *(self.within(m, self.rng.uniform(0.15, 0.5)) for m in others)])
        at = max(at, self.later(after, 1, 15, clock))
        self.sweep_before(running, at)
        return at

    def soon(self, c: Complaint, after: datetime, low: int, high: int) -> datetime:
        """A step that meets no deadline itself: ``low``–``high`` minutes on, yet early enough
        for the running deadlines."""
        running = self.running(c)
        clock = self.pace(running)
        at = min([self.later(after, low, high, clock), *(self.within(m, 0.3) for m in running)])
        at = max(at, clock.add(after, 60))
        self.sweep_before(running, at)
        return at

    def within(self, ms: Milestone, share: float) -> datetime:
        """The instant ``share`` of the way from a deadline's start to its due time."""
        clock = self.clock(ms.clock)
        assert ms.due_at is not None
        return clock.add(ms.started_at, int(clock.between(ms.started_at, ms.due_at) * share))

    def sweep_before(self, running: list[Milestone], at: datetime) -> None:
        """Run the deadline sweep at each warn and due instant of the complaint's running
        deadlines before ``at``, as the worker would have then."""
        instants = {
            moment + SWEEP_LAG
            for ms in running
            for moment in (ms.warn_at, ms.due_at)
            if moment is not None and moment + SWEEP_LAG < at
        }
        for moment in sorted(instants):
            sweep_deadlines(now=moment)

    # --- plans --------------------------------------------------------------------------
    def month_plans(self, miss_rate: float, start: datetime, end: datetime) -> list[Plan]:
        """The month's complaints in order of reception, one of them not accepted."""
        count = self.rng.randint(*PER_MONTH)
        plans = [self.plan(self.received(start, end), miss_rate) for _ in range(count)]
        plans.sort(key=lambda p: p.received_at)
        for p in self.rng.sample(plans, 1):
            p.reject = True
        return plans

    def received(self, start: datetime, end: datetime) -> datetime:
        """Mostly in working hours; some evenings and weekends (web, email, app)."""
        moment = start + (end - start) * self.rng.random()
        if self.rng.random() < 0.75:
            moment = self.later(moment, 0, 300)
        return min(moment, end - timedelta(minutes=1))

    def plan(self, at: datetime, miss_rate: float) -> Plan:
        policy = self.policy
        levels = sorted(policy.levels, key=lambda lv: -lv.rank)  # the mildest first
        kinds = ("ack", "dispatch", "contact", "solution", "callback")
        late = {k for k in kinds if self.rng.random() < miss_rate}
        # Customers rate lower when the department was slow to call or to solve.
        slow = bool(late & {"contact", "solution"})
        ratings = [2, 3, 4, 4, 5] if slow else [3, 4, 4, 5, 5, 5, 5, 5, 5]
        return Plan(
            received_at=at,
            category=str(_weighted(self.rng, [c.code for c in policy.categories], 0.9)),
            level=str(_weighted(self.rng, [lv.code for lv in levels], 2.2)),
            channel=self.channel(),
            customer=self.rng.choice(self.customers),
            late=late,
            rating=self.rng.choice(ratings),
            amount=self.amount(),
        )

    def channel(self) -> str:
        """A quarter by phone or at the counter (acknowledged as they are taken), a few
        forwarded by platforms, the rest written."""
        ordinary = [c for c in self.policy.channels if not c.startswith("platform")]
        platform = [c for c in self.policy.channels if c.startswith("platform")]
        live = [c for c in ordinary if c in self.policy.live_channels]
        written = [c for c in ordinary if c not in live] or ordinary
        draw = self.rng.random()
        if platform and draw < 0.06:
            return self.rng.choice(platform)
        if live and draw < 0.3:
            return self.rng.choice(live)
        return self.rng.choice(written)

    def amount(self) -> Decimal:
        """Most solutions within the handler's authority, about one in ten above it."""
        limit = self.policy.approval_limit("handler")
        ceiling = Decimal(1000) if limit is None or limit < 0 else limit
        if self.rng.random() < 0.1:
            return (ceiling * Decimal("1.6")).quantize(Decimal("1"))
        choices = [Decimal(v) for v in (0, 0, 50, 100, 150, 200, 300, 500, 800)]
        return self.rng.choice([v for v in choices if v <= ceiling] or [Decimal(0)])

    def with_repeats(self, plans: list[Plan]) -> None:
        """A complaint a month by a customer who complained of the same thing before."""
        for later in self.rng.sample(plans[len(plans) // 2 :], 1):
            gap = [later.received_at - p.received_at for p in plans]
            earlier = [
                p for p, d in zip(plans, gap, strict=True) if d > timedelta(days=2) and not p.reject
            ]
            if earlier:
                first = self.rng.choice(earlier)
                later.customer, later.category = first.customer, first.category

    # --- the life of a complaint ----------------------------------------------------------
    def intake(self, p: Plan) -> Complaint:
        name, company, phone, email = p.customer
        cat = self.policy.category(p.category)
        text, demand = story(cat.name)
        at = p.received_at
        data = NewComplaint(
            customer_name=name,
            customer_company=company,
            customer_phone=phone,
            customer_email=email,
            channel=p.channel,
            category=p.category,
            level=p.level,
            title=f"{company or name}：{cat.name}",
            description=text.format(day=(at - timedelta(days=3)).strftime("%m月%d日")),
            demand=demand,
            received_at=at,
            order_no=f"SO{at:%Y%m%d}{self.rng.randrange(1000, 9999)}",
            waybill_no=f"YD{self.rng.randrange(10**9, 10**10)}",
            platform_case_no=f"P-{at:%Y%m%d}-{self.rng.randrange(10000, 99999)}"
            if p.channel.startswith("platform")
            else "",
        )
        agent = self.rng.choice([self.demo.agent1, self.demo.agent2])
        complaint, _ = complaint_create(data=data, actor=agent, now=at)
        self.made.append(complaint)
        return complaint

    def handle(self, p: Plan) -> None:
        """Receive the complaint and take it as far as it got by now."""
        c = self.intake(p)
        if p.reject:
            self.reject(c)
            return
        first = (self.acknowledge, self.dispatch, self.accept, self.contact, self.solve)
        t = self.walk(c, p, c.received_at, (*first, self.resolve, self.callback))
        if p.reopen and t is not None:
            # Not satisfied at the callback: a second round by the same handler.
            self.walk(c, p, t, (self.contact, self.solve, self.resolve, self.callback))

    def walk(self, c: Complaint, p: Plan, t: datetime, steps: tuple[Step, ...]) -> datetime | None:
        """Each step returns when it happened, or None when that is after today's cutoff:
        the case then stays open where it is."""
        for step in steps:
            done = step(c, p, t)
            if done is None:
                return None
            t = done
        return t

    def _due(self, at: datetime) -> bool:
        return at <= self.cutoff

    def reject(self, c: Complaint) -> None:
        at = self.later(c.received_at, 30, 180)
        if self._due(at):
            transitions.complaint_reject(
                complaint=c, actor=self.demo.agent1, reason=self.rng.choice(REJECT_REASONS), now=at
            )

    def acknowledge(self, c: Complaint, p: Plan, t: datetime) -> datetime | None:
        if c.channel in self.policy.live_channels:
            return t  # the call itself was the acknowledgment
        at = self.when(c, "ack", t, "ack" in p.late)
        if not self._due(at):
            return None
        records.complaint_acknowledge(complaint=c, actor=self.demo.agent1, now=at)
        return at

    def dispatch(self, c: Complaint, p: Plan, t: datetime) -> datetime | None:
        at = self.when(c, "dispatch", t, "dispatch" in p.late)
        if not self._due(at):
            return None
        dept = self.demo.department_for(c.category)
        transitions.complaint_dispatch(
            complaint=c,
            actor=self.demo.agent1,
            department=dept.code,
            handler=self.rng.choice(self.handlers[dept.code]),
            level=c.level,
            now=at,
        )
        return at

    def accept(self, c: Complaint, p: Plan, t: datetime) -> datetime | None:
        at = self.soon(c, t, 10, 90)
        if not self._due(at):
            return None
        transitions.complaint_accept(complaint=c, actor=c.handler, now=at)
        return at

    def contact(self, c: Complaint, p: Plan, t: datetime) -> datetime | None:
        at = self.when(c, "contact", t, "contact" in p.late and c.round_no == 1)
        if not self._due(at):
            return None
        records.complaint_log_communication(
            complaint=c,
            actor=c.handler,
            channel="phone",
            direction="out",
            summary="已致电客户了解情况，说明调查安排。",
            now=at,
        )
        return at

    def solve(self, c: Complaint, p: Plan, t: datetime) -> datetime | None:
        at = self.when(c, "solution", t, "solution" in p.late and c.round_no == 1)
        if not self._due(at):
            return None
        transitions.complaint_propose_solution(
            complaint=c,
            actor=c.handler,
            summary=self.rng.choice(SOLUTIONS),
            actions=self.actions(p.amount),
            root_cause=self.root_cause(at),
            root_cause_text="现场核查与单据比对后确认。",
            findings="经核查，客户反映情况属实。",
            now=at,
        )
        if c.state == State.PENDING_APPROVAL:
            at = self.soon(c, at, 30, 180)
            if not self._due(at):
                return None
            self.demo.approve(c, at)
        return at

    def root_cause(self, at: datetime) -> str:
        """A long tail led by the policy's first cause, which the improvement action made
        rarer once it was done."""
        causes = [r.code for r in self.policy.root_causes]
        weights = [1 / (i + 1) ** 1.2 for i in range(len(causes))]
        if at >= self.months[0] + FIX_OPENED + FIX_TOOK:
            weights[0] *= FIXED_SHARE
        return self.rng.choices(causes, weights=weights)[0]

    @staticmethod
    def actions(amount: Decimal) -> list[ActionInput]:
        done = [ActionInput(kind="apology", description="电话致歉并发送书面说明")]
        if amount:
            done.append(ActionInput(kind="compensation", description="赔偿损失", amount=amount))
        else:
            done.append(ActionInput(kind="explanation", description="说明原因及改进措施"))
        return done

    def resolve(self, c: Complaint, p: Plan, t: datetime) -> datetime | None:
        at = self.soon(c, t, 60, 900)
        if not self._due(at):
            return None
        transitions.complaint_report_resolved(
            complaint=c, actor=c.handler, summary=self.rng.choice(RESOLVED_NOTES), now=at
        )
        if c.state == State.PENDING_REVIEW:
            at = self.soon(c, at, 30, 120)
            if not self._due(at):
                return None
            transitions.complaint_pass_review(complaint=c, actor=self.demo.agent1, now=at)
        return at

    def callback(self, c: Complaint, p: Plan, t: datetime) -> datetime | None:
        at = self.when(c, "callback", t, "callback" in p.late and c.round_no == 1)
        if not self._due(at):
            return None
        unhappy = p.reopen and c.round_no == 1
        rating = 2 if unhappy else p.rating if c.round_no == 1 else 4
        transitions.complaint_record_callback(
            complaint=c,
            actor=self.demo.agent2,
            reached=True,
            outcome_rating=rating,
            process_rating=min(5, max(1, rating + self.rng.choice([-1, 0, 0, 1]))),
            accepted=not unhappy,
            notes="客户对赔偿金额不满意，要求重新处理" if unhappy else "客户认可处理结果",
            now=at,
        )
        return at

    # --- all months ---------------------------------------------------------------------
    def build(self) -> list[Complaint]:
        """Plan every month first, then live through all of them in order of reception."""
        plans: list[Plan] = []
        this_month = local_midnight(timezone.localtime(self.now).date().replace(day=1))
        ends = [*self.months[1:], this_month]
        for index, (start, end) in enumerate(zip(self.months, ends, strict=True)):
            rate = MISS_RATE[min(index, len(MISS_RATE) - 1)]
            month = self.month_plans(rate, start, min(end, self.cutoff))
            self.with_repeats(month)
            plans += month
        # One customer refuses the outcome at the callback: a second handling round.
        reopened = [p for p in plans[len(plans) // 2 :] if not p.reject]
        if reopened:
            reopened[0].reopen = True
        for p in sorted(plans, key=lambda p: p.received_at):
            self.handle(p)
        return self.made
