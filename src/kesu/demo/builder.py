"""Demo data: people for every role and complaints in every state, made through the same
services the product uses, with time moved back so deadlines were really kept or missed.
Before the recent cases, ``demo.history`` replays six months of complaints and
``demo.quality`` adds business volume, improvement actions and audits."""

from __future__ import annotations

import functools
import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from kesu.accounts.models import Department, Role, User
from kesu.complaints.models import Complaint, Customer, CustomerAccount
from kesu.complaints.services import records, transitions
from kesu.complaints.services.intake import NewComplaint, complaint_create
from kesu.complaints.services.sweep import sweep_deadlines
from kesu.complaints.services.transitions import ActionInput
from kesu.policy.loader import active_policy
from kesu.policy.schema import PolicyDoc

DEMO_PASSWORD = "kesu-demo-2026"

CUSTOMERS = [
    ("陈建国", "上海恒昌贸易有限公司", "13816620001", "chen@hengchang.example.cn"),
    ("刘芳", "苏州锦华电子科技有限公司", "13962110002", "liufang@jinhua.example.cn"),
    ("王海涛", "杭州禾田餐饮管理有限公司", "13706810003", "wanght@hetian.example.cn"),
    ("赵丽", "", "13911220004", "zhaoli@example.cn"),
    ("孙志强", "宁波港城物资回收有限公司", "13586630005", "sunzq@gangcheng.example.cn"),
    ("周静", "南京鼎盛机械制造有限公司", "13851770006", "zhoujing@dingsheng.example.cn"),
    ("吴磊", "", "13602180007", ""),
    ("郑晓红", "无锡第三中学食堂", "13921510008", "zhengxh@wx3z.example.cn"),
]

STAFF_NAMES = [
    "张敏",
    "李娜",
    "王强",
    "刘洋",
    "陈静",
    "杨帆",
    "黄磊",
    "周婷",
    "吴昊",
    "徐丽",
    "孙伟",
    "马超",
    "朱琳",
    "胡军",
    "郭蕾",
    "何斌",
]

# Sentences by keyword of the category name; the first match wins, then a generic one.
STORIES = [
    (
        "延",
        "订单约定{day}送达，至今未到，催了三次都说在路上，影响我们生产线排期。",
        "请尽快给出准确到货时间，并对延误给予说明。",
    ),
    (
        "交货",
        "合同交货期已过一周，货还没有发出，项目现场在等设备安装。",
        "要求本周内发货，并承担延期造成的损失。",
    ),
    (
        "破损",
        "收货时外包装明显破损，里面有两箱货物压坏，签收单上已注明。",
        "要求赔偿破损货物，并改进包装。",
    ),
    (
        "损",
        "收货时外包装明显破损，里面有两箱货物压坏，签收单上已注明。",
        "要求赔偿破损货物，并改进包装。",
    ),
    (
        "丢",
        "运单显示已签收，但我们仓库没有收到这票货，价值约八千元。",
        "要求尽快查找货物，找不到就全额赔偿。",
    ),
    (
        "错",
        "收到的型号和订单不一致，订的是A200，发来的是A120，数量也少了。",
        "要求重新补发正确型号，运费由贵司承担。",
    ),
    ("漏", "设备到了，但安装底座和计数器都没有随货发来，无法安装。", "要求三天内补发配件。"),
    (
        "态度",
        "打客服电话时对方很不耐烦，问题没说完就挂断了电话。",
        "要求道歉，并说明如何处理我的问题。",
    ),
    (
        "推诿",
        "售后人员互相推诿，一个说找销售，一个说找仓库，一周了没人负责。",
        "要求指定专人负责，给出处理时间。",
    ),
    ("响应", "设备故障报修两天了，售后一直没有上门，也没人回电话。", "要求尽快安排工程师上门。"),
    (
        "质量",
        "这批再生颗粒杂质含量明显偏高，我们注塑出来的产品有黑点，已经停线。",
        "要求退换这批货，并赔偿停线损失。",
    ),
    (
        "变质",
        "今天早上配送的猪肉有异味，疑似变质，食堂已经封存没有使用。",
        "要求立即更换，并检查同批次食材。",
    ),
    (
        "感官",
        "今天早上配送的猪肉有异味，疑似变质，食堂已经封存没有使用。",
        "要求立即更换，并检查同批次食材。",
    ),
    (
        "异物",
        "配送的大米里发现了小石子和虫子，学生家长很有意见。",
        "要求更换并说明原因，检查同批次大米。",
    ),
    ("短", "送来的蔬菜称重少了十二公斤，和送货单对不上。", "要求补足数量，以后送货当面称重。"),
    ("价", "本月结算单价格比合同价高了百分之八，事先没有任何通知。", "要求按合同价重新结算。"),
    ("票", "上个月的发票开错了税号，财务退回了两次还没改好。", "要求三个工作日内重开发票。"),
    ("信息", "系统显示的物流信息三天没有更新，客服也查不到货在哪里。", "要求提供准确的物流信息。"),
    ("报价", "询价一周了还没收到报价，项目采购已经在催。", "要求今天给出正式报价。"),
    ("合同", "合同约定的质保条款和实际执行不一致，售后拒绝免费维修。", "要求按合同条款执行质保。"),
]
GENERIC = ("这次的服务让我们很不满意，问题反映多次都没有解决。", "要求尽快处理并给出书面说明。")


def demo_exists() -> bool:
    return User.objects.filter(username="agent1").exists()


def demo_logins() -> list[tuple[str, str, str]]:
    rows = []
    for user in User.objects.filter(username__in=_demo_usernames()).order_by("role", "username"):
        rows.append((user.username, user.role, str(user)))
    return rows


def _demo_usernames() -> list[str]:
    names = ["admin", "agent1", "agent2", "exec1", "quality1", "customer1"]
    for dept in Department.objects.all():
        names += [f"handler_{dept.code}", f"manager_{dept.code}"]
    return names


def make_user(username: str, role: str, name: str, dept: Department | None, **extra) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "role": role,
            "display_name": name,
            "department": dept,
            "email": f"{username}@kesu.example.cn",
            **extra,
        },
    )
    if created:
        user.password = _demo_password_hash(tuple(settings.PASSWORD_HASHERS))
        user.save(update_fields=["password"])
    return user


@functools.cache
def _demo_password_hash(hashers: tuple[str, ...]) -> str:
    # One hash for every demo login (they share the password): hashing costs ~0.2 s each.
    # Keyed by the hashers so a changed setting (tests) never gets a stale hash.
    return make_password(DEMO_PASSWORD)


def story(category_name: str) -> tuple[str, str]:
    for key, text, demand in STORIES:
        if key in category_name:
            return text, demand
    return GENERIC


class DemoBuilder:
    def __init__(self, policy: PolicyDoc, *, now: datetime, seed: int = 7) -> None:
        self.policy = policy
        self.now = now
        self.rng = random.Random(seed)
        self.made: list[Complaint] = []

    # --- people -------------------------------------------------------------------------
    def people(self) -> None:
        names = iter(STAFF_NAMES)
        cs = Department.objects.filter(is_customer_service=True).first()
        self.admin = make_user(
            "admin", Role.ADMIN, "系统管理员", None, is_staff=True, is_superuser=True
        )
        self.agent1 = make_user("agent1", Role.AGENT, next(names), cs)
        self.agent2 = make_user("agent2", Role.AGENT, next(names), cs)
        self.executive = make_user("exec1", Role.EXECUTIVE, "王总", None)
        self.quality = make_user("quality1", Role.QUALITY, "赵质检", None)
        self.handlers: dict[str, User] = {}
        self.managers: dict[str, User] = {}
        for dept in Department.objects.order_by("code"):
            self.handlers[dept.code] = make_user(
                f"handler_{dept.code}", Role.HANDLER, next(names, f"处理人{dept.code}"), dept
            )
            self.managers[dept.code] = make_user(
                f"manager_{dept.code}", Role.MANAGER, f"{dept.name}经理", dept
            )
        customer_user = make_user("customer1", Role.CUSTOMER, CUSTOMERS[0][0], None)
        account = CustomerAccount.objects.get_or_create(
            code="HC001",
            defaults={
                "name": CUSTOMERS[0][1],
                "is_key": True,
                "owner": next(iter(self.managers.values()), None),
            },
        )[0]
        Customer.objects.get_or_create(
            phone=CUSTOMERS[0][2],
            name=CUSTOMERS[0][0],
            defaults={
                "company": CUSTOMERS[0][1],
                "email": CUSTOMERS[0][3],
                "user": customer_user,
                "account": account,
            },
        )

    # --- complaints ---------------------------------------------------------------------
    def department_for(self, category: str) -> Department:
        code = self.policy.category(category).department
        return Department.objects.get(code=code)

    def handler_for(self, dept: Department) -> User:
        if dept.code not in self.handlers:
            self.handlers[dept.code] = make_user(
                f"handler_{dept.code}", Role.HANDLER, f"{dept.name}专员", dept
            )
        return self.handlers[dept.code]

    def intake(
        self,
        *,
        at: datetime,
        category: str | None = None,
        customer: int | None = None,
        channel: str | None = None,
        **extra,
    ) -> Complaint:
        categories = [c.code for c in self.policy.categories]
        category = category or self.rng.choice(categories)
        cat = self.policy.category(category)
        name, company, phone, email = CUSTOMERS[
            customer if customer is not None else self.rng.randrange(len(CUSTOMERS))
        ]
        text, demand = story(cat.name)
        channels = [c for c in self.policy.channels if not c.startswith("platform")]
        data = NewComplaint(
            customer_name=name,
            customer_company=company,
            customer_phone=phone,
            customer_email=email,
            channel=channel or self.rng.choice(channels),
            category=category,
            title=f"{company or name}：{cat.name}",
            description=text.format(day=(at - timedelta(days=3)).strftime("%m月%d日")),
            demand=demand,
            received_at=at,
            order_no=f"SO{at:%Y%m%d}{self.rng.randrange(1000, 9999)}",
            waybill_no=f"YD{self.rng.randrange(10**9, 10**10)}",
            **extra,
        )
        complaint, _ = complaint_create(data=data, actor=self.agent1, now=at)
        self.made.append(complaint)
        return complaint

    def dispatch(self, c: Complaint, at: datetime) -> None:
        dept = self.department_for(c.category)
        transitions.complaint_dispatch(
            complaint=c,
            actor=self.agent1,
            department=dept.code,
            handler=self.handler_for(dept),
            level=c.level,
            now=at,
        )

    def accept(self, c: Complaint, at: datetime) -> User:
        actor = c.handler
        transitions.complaint_accept(complaint=c, actor=actor, now=at)
        records.complaint_log_communication(
            complaint=c,
            actor=actor,
            channel="phone",
            direction="out",
            summary="已致电客户，说明正在调查，会尽快给出方案。",
            now=at + timedelta(minutes=20),
        )
        return actor

    def propose(self, c: Complaint, actor: User, at: datetime, amount: str = "200") -> None:
        transitions.complaint_propose_solution(
            complaint=c,
            actor=actor,
            summary="致歉并赔偿损失，改进相关环节。",
            actions=[
                ActionInput(kind="apology", description="电话致歉并发送书面说明"),
                ActionInput(kind="compensation", description="赔偿货损", amount=Decimal(amount)),
            ],
            root_cause=self.policy.root_causes[0].code,
            root_cause_text="交接环节未按规定核对。",
            findings="经核查，问题属实。",
            now=at,
        )

    def approve(self, c: Complaint, at: datetime) -> None:
        from kesu.complaints.models import Solution

        solution = Solution.objects.filter(complaint=c).latest("proposed_at")
        approver = (
            self.executive
            if solution.required_role == "executive"
            else self.managers.get(c.department.code, self.executive)
        )
        transitions.complaint_approve_solution(complaint=c, actor=approver, reason="同意", now=at)

    def resolve(self, c: Complaint, actor: User, at: datetime) -> None:
        transitions.complaint_report_resolved(
            complaint=c, actor=actor, summary="方案已执行完毕", now=at
        )
        if c.state == "pending_review":
            transitions.complaint_pass_review(
                complaint=c, actor=self.agent1, now=at + timedelta(hours=1)
            )

    def callback(self, c: Complaint, at: datetime, *, accepted: bool = True, rating: int = 5):
        transitions.complaint_record_callback(
            complaint=c,
            actor=self.agent1,
            reached=True,
            outcome_rating=rating,
            process_rating=max(rating, 3),
            accepted=accepted,
            notes="客户表示满意" if accepted else "客户对赔偿金额不满意",
            now=at,
        )

    def through(self, c: Complaint, until: str, start: datetime, *, amount: str = "200"):
        """Walk one complaint through the lifecycle up to ``until``, a few hours a step."""
        t = start
        steps = ["assigned", "investigating", "resolving", "pending_callback", "closed"]
        self.dispatch(c, t + timedelta(minutes=40))
        if until == "assigned":
            return
        actor = self.accept(c, t + timedelta(hours=1))
        if until == "investigating":
            return
        if until == "awaiting_customer":
            transitions.complaint_request_info(
                complaint=c,
                actor=actor,
                message="请提供签收单照片和破损货物照片。",
                now=t + timedelta(hours=2),
            )
            return
        self.propose(c, actor, t + timedelta(hours=3), amount=amount)
        if until == "pending_approval":
            return
        if c.state == "pending_approval":
            self.approve(c, t + timedelta(hours=4))
        if until == "resolving":
            return
        transitions.complaint_report_resolved(
            complaint=c, actor=actor, summary="方案已执行完毕", now=t + timedelta(hours=20)
        )
        if until == "pending_review":
            return
        if c.state == "pending_review":
            transitions.complaint_pass_review(
                complaint=c, actor=self.agent1, now=t + timedelta(hours=21)
            )
        if until == "pending_callback":
            return
        assert until in steps or until in ("reopened", "closed_unreachable")
        if until == "closed_unreachable":
            for i in range(self.policy.callback.max_attempts):
                transitions.complaint_record_callback(
                    complaint=c,
                    actor=self.agent2,
                    reached=False,
                    notes="电话无人接听",
                    now=t + timedelta(hours=22 + i),
                )
            return
        if until == "reopened":
            self.callback(c, t + timedelta(hours=23), accepted=False, rating=2)
            return
        self.callback(c, t + timedelta(hours=23), rating=self.rng.choice([4, 5, 5, 3]))

    def build(self) -> list[Complaint]:
        now = self.now
        day = timedelta(days=1)
        plan = [
            ("received", now - timedelta(minutes=25)),
            ("received", now - 3 * day),
            ("assigned", now - timedelta(hours=5)),
            ("investigating", now - 2 * day),
            ("investigating", now - 9 * day),  # contact missed long ago: overdue
            ("awaiting_customer", now - 1 * day),
            ("pending_approval", now - 1 * day),
            ("resolving", now - 2 * day),
            ("pending_review", now - 2 * day),
            ("pending_callback", now - 2 * day),
            ("reopened", now - 4 * day),
            ("closed_unreachable", now - 12 * day),
        ]
        for months_ago in range(1, 4):
            for i in range(4):
                plan.append(("closed", now - (30 * months_ago + 3 * i) * day))
        for state, at in plan:
            c = self.intake(at=at)
            if state == "received":
                continue
            amount = "20000" if state == "pending_approval" else "200"
            self.through(c, state, at, amount=amount)
        self._special_cases()
        sweep_deadlines(now=now)
        return self.made

    def _special_cases(self) -> None:
        now = self.now
        # A repeat complaint: same customer and category as an earlier one.
        first = self.made[3]
        repeat = self.intake(
            at=now - timedelta(hours=3),
            category=first.category,
            customer=CUSTOMERS.index(next(c for c in CUSTOMERS if c[2] == first.customer.phone)),
        )
        assert repeat.is_repeat
        # Rejected: not this company's business.
        rejected = self.intake(at=now - 2 * timedelta(days=1))
        transitions.complaint_reject(
            complaint=rejected,
            actor=self.agent1,
            reason="该运单不属于本公司承运，客户记错了承运商。",
            now=now - timedelta(days=1, hours=20),
        )
        # Merged duplicate.
        target = self.made[2]
        dup = self.intake(at=now - timedelta(hours=4), category=target.category, customer=6)
        transitions.complaint_merge(
            complaint=dup, actor=self.agent1, into=target, now=now - timedelta(hours=3, minutes=30)
        )
        # Forwarded by the 12315 platform, with its case number and 10-working-day rule.
        if "platform_12315" in self.policy.channels:
            self.intake(
                at=now - timedelta(days=1),
                channel="platform_12315",
                platform_case_no=f"12315-{now:%Y%m%d}-{self.rng.randrange(10000, 99999)}",
            )
        # The customer with a portal login has a case in handling.
        portal = self.intake(at=now - timedelta(days=1, hours=2), customer=0)
        self.through(portal, "investigating", now - timedelta(days=1, hours=2))
        if self.policy.batch_alert.enabled:
            for idx in (2, 7):
                self.intake(
                    at=now - timedelta(hours=6),
                    customer=idx,
                    product="冷鲜猪肉",
                    batch_no="PK20261120-03",
                )


@transaction.atomic
def build_demo(*, now: datetime | None = None) -> list[Complaint]:
    """People; six months of handled complaints with business volume, improvement actions and
    audits; then the recent cases in every state. Returns the complaints made."""
    # These modules build on this one's people and steps.
    from kesu.demo.history import HistoryBuilder
    from kesu.demo.quality import QualityBuilder, enter_volume, retire_outbox

    started = timezone.now()
    builder = DemoBuilder(active_policy().doc, now=now or started)
    builder.people()
    history = HistoryBuilder(builder)
    past = history.build()
    QualityBuilder(builder, past).build(history.months[0])
    enter_volume(history.months, builder.executive, random.Random(17))
    retire_outbox(since=started, now=timezone.now())
    return past + builder.build()
