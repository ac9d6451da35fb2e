"""The five shipped presets: they parse, activate, and say what their seeds say (SPEC §9)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from kesu.accounts.models import Department
from kesu.complaints.services.grading import suggest
from kesu.policy.loader import (
    PRESETS_DIR,
    policy_activate,
    policy_load,
    preset_names,
    read_policy_file,
)
from kesu.policy.models import Policy
from kesu.policy.schema import CHANNELS, PolicyDoc
from tests.policy.helpers import PRESETS, load, minutes

SEEDS = {
    "logistics": "000",
    "b2b": "001",
    "logistics-service": "002",
    "recycling": "003",
    "food-distribution": "004",
}
SPEC_ROOT_CAUSES = {
    "操作失误",
    "流程缺陷",
    "系统故障",
    "外部不可抗力",
    "客户误解",
    "产品质量",
    "供应商",
}
WD = 8 * 60  # one working day on 09:00-12:00 + 13:00-18:00


def test_the_five_presets_ship() -> None:
    assert preset_names() == sorted(PRESETS)


@pytest.mark.parametrize("name", PRESETS)
def test_preset_parses_and_names_itself(name: str) -> None:
    doc, source = read_policy_file(name)
    assert doc.name == name
    assert source.endswith(f"presets/{name}.yaml")
    assert doc.title and doc.title_en
    assert doc.source.startswith(f"seed {SEEDS[name]}")


@pytest.mark.parametrize("name", PRESETS)
def test_preset_file_cites_its_seed_and_marks_choices(name: str) -> None:
    text = (PRESETS_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    seed = SEEDS[name]
    assert text.count(f"# {seed} ") + text.count(f"({seed} ") >= 10, "seed sections cited"
    assert "not in the seed" in text


@pytest.mark.parametrize("name", PRESETS)
def test_preset_common_rules(name: str) -> None:
    """What every preset shares, per the brief and SPEC §3-§5."""
    doc = load(name)
    top = min(doc.levels, key=lambda lv: lv.rank).code
    level_codes = {lv.code for lv in doc.levels}
    for level in doc.levels:
        assert level.name and level.name_en and level.description
    for item in [*doc.departments, *doc.categories, *doc.root_causes]:
        assert item.name and item.name_en, item.code
    # Milestones: the five kinds, started by the right event, each defined for every level.
    starts = {m.kind: m.start for m in doc.milestones}
    assert starts == {
        "ack": "received",
        "dispatch": "received",
        "contact": "dispatched",
        "solution": "dispatched",
        "callback": "resolved",
    }
    for rule in doc.milestones:
        assert set(rule.durations) == level_codes, rule.kind
        assert rule.pausable == (rule.kind == "solution"), rule.kind
    # More severe levels are answered at least as fast. (Not the solution: recycling gives its
    # complex cases longer, for the cross-department meeting of seed 003 五(三).)
    by_rank = [lv.code for lv in sorted(doc.levels, key=lambda lv: lv.rank)]
    for rule in doc.milestones:
        if rule.kind == "solution":
            continue
        values = [minutes(doc, rule.kind, code) or 0 for code in by_rank]
        assert values == sorted(values), rule.kind
    # 12315 forwards: outcome within 10 working days, with the platform's case number.
    assert "platform_12315" in doc.channels
    (rule_12315,) = doc.channel_rules
    assert (rule_12315.channel, rule_12315.kind) == ("platform_12315", "platform_outcome")
    assert (rule_12315.clock, rule_12315.requires_case_number) == ("business", True)
    assert doc.channel_rule_minutes(rule_12315) == 10 * WD
    assert "web" in doc.channels, "the customer portal files complaints as 'web'"
    assert set(doc.channels) <= set(CHANNELS)
    assert "12315" in doc.rejection_recourse
    assert {rc.name for rc in doc.root_causes} >= SPEC_ROOT_CAUSES
    assert len(doc.root_causes) > len(SPEC_ROOT_CAUSES), "seed-specific causes too"
    assert doc.escalation.warn_ratio == 0.8
    assert doc.escalation.executive_levels == [top]
    assert doc.repeat.window_days == 30
    assert doc.callback.max_attempts == 3
    assert doc.working_hours.periods == [("09:00", "12:00"), ("13:00", "18:00")]
    assert doc.approval_tiers[-1].role == "executive"
    assert doc.approval_tiers[-1].max_amount is None
    assert any(kw.level == top for kw in doc.keyword_rules)
    assert sum(1 for d in doc.departments if d.customer_service) == 1
    cs = next(d.code for d in doc.departments if d.customer_service)
    assert any(c.department == cs for c in doc.categories), "a catch-all for the hub"


def _contact_plan(doc: PolicyDoc) -> dict[str, int | None]:
    return {lv.code: minutes(doc, "contact", lv.code) for lv in doc.levels}


Getter = Callable[[PolicyDoc], Any]

# (preset, what, getter, expected): each figure is the seed's own (or a documented choice).
SEED_FIGURES: list[tuple[str, str, Getter, Any]] = [
    # seed 000
    ("logistics", "levels", lambda d: [lv.code for lv in d.levels], ["urgent", "general"]),
    ("logistics", "ack general = one working day", lambda d: minutes(d, "ack", "general"), WD),
    ("logistics", "ack clock is business", lambda d: d.milestones[0].clock, "business"),
    ("logistics", "ack urgent level: immediately", lambda d: minutes(d, "ack", "urgent"), 15),
    (
        "logistics",
        "ack general flagged urgent: immediately",
        lambda d: minutes(d, "ack", "general", urgent=True),
        15,
    ),
    (
        "logistics",
        "categories 三(一)3",
        lambda d: [c.name for c in d.categories][:6],
        ["货物延误", "货物损坏", "货物丢失", "错发", "信息不符", "服务态度差"],
    ),
    (
        "logistics",
        "departments 二",
        lambda d: [x.name for x in d.departments],
        ["客户服务部", "运营管理部", "质量管理部", "财务部", "法务部"],
    ),
    (
        "logistics",
        "channels 三(一)1",
        lambda d: {"hotline", "web", "email", "app", "social", "onsite"} <= set(d.channels),
        True,
    ),
    (
        "logistics",
        "较大金额赔付 needs approval",
        lambda d: d.required_approval_role(Decimal("8000"), "general"),
        "executive",
    ),
    ("logistics", "review step", lambda d: d.review_step, False),
    # seed 001
    ("b2b", "levels", lambda d: [lv.code for lv in d.levels], ["A", "B", "C"]),
    (
        "b2b",
        "level names",
        lambda d: [lv.name for lv in d.levels],
        ["A级(紧急)", "B级(严重)", "C级(一般)"],
    ),
    ("b2b", "ack 1h", lambda d: {minutes(d, "ack", x) for x in "ABC"}, {60}),
    ("b2b", "dispatch 2h", lambda d: {minutes(d, "dispatch", x) for x in "ABC"}, {120}),
    ("b2b", "contact A/B/C", _contact_plan, {"A": 120, "B": 240, "C": 480}),
    ("b2b", "callback 24h = 1 working day", lambda d: minutes(d, "callback", "C"), WD),
    ("b2b", "clocks", lambda d: {m.clock for m in d.milestones}, {"business"}),
    ("b2b", "solution A", lambda d: minutes(d, "solution", "A"), WD),
    (
        "b2b",
        "A needs the executive",
        lambda d: d.required_approval_role(Decimal(0), "A"),
        "executive",
    ),
    ("b2b", "B needs the manager", lambda d: d.required_approval_role(Decimal(0), "B"), "manager"),
    ("b2b", "C small: handler", lambda d: d.required_approval_role(Decimal(100), "C"), "handler"),
    ("b2b", "callback by another person", lambda d: d.callback.by_other_than_handler, True),
    ("b2b", "no review step", lambda d: d.review_step, False),
    ("b2b", "account owner routing", lambda d: d.route_to_account_owner, True),
    ("b2b", "key customer → B", lambda d: d.key_customer_level, "B"),
    ("b2b", "repeat → B", lambda d: d.repeat.raise_level_to, "B"),
    (
        "b2b",
        "customer-service hub",
        lambda d: [x.name for x in d.departments if x.customer_service],
        ["客户(市场)服务部"],
    ),
    (
        "b2b",
        "departments 职责分工",
        lambda d: (
            {"销售部", "物流与计划部", "财务部", "市场部(品牌部)"}
            <= {x.name for x in d.departments}
        ),
        True,
    ),
    (
        "b2b",
        "传播渠道",
        lambda d: (
            {"hotline", "email", "letter", "onsite", "social", "group_chat", "platform_other"}
            <= set(d.channels)
        ),
        True,
    ),
    (
        "b2b",
        "routing 适用范围",
        lambda d: {
            c.code: c.department
            for c in d.categories
            if c.code in {"quote_delay", "late_delivery", "invoicing", "slow_response"}
        },
        {
            "quote_delay": "sales",
            "late_delivery": "logistics",
            "invoicing": "finance",
            "slow_response": "after_sales",
        },
    ),
    (
        "b2b",
        "business stages",
        lambda d: {c.business_stage for c in d.categories},
        {"商务与沟通", "履约与交付", "服务与响应", "其他"},
    ),
    (
        "b2b",
        "root causes 记录、分析",
        lambda d: (
            {"物流供应商管理漏洞", "内部订单信息传递流程不畅", "销售员沟通技巧不足"}
            <= {r.name for r in d.root_causes}
        ),
        True,
    ),
    # seed 002
    ("logistics-service", "satisfaction ≥ 90 %", lambda d: d.targets.satisfaction, 0.9),
    ("logistics-service", "first reply ≤ 2 h", lambda d: d.targets.first_reply_hours, 2),
    ("logistics-service", "solution ≤ 24 h", lambda d: d.targets.solution_hours, 24),
    ("logistics-service", "complaint rate ≤ 5 %", lambda d: d.targets.complaint_rate, 0.05),
    ("logistics-service", "ack general 2 h", lambda d: minutes(d, "ack", "general"), 120),
    ("logistics-service", "solution 24 h", lambda d: minutes(d, "solution", "general"), 1440),
    (
        "logistics-service",
        "24-hour service: 24x7 up to the solution",
        lambda d: {m.kind: m.clock for m in d.milestones},
        {
            "ack": "24x7",
            "dispatch": "24x7",
            "contact": "24x7",
            "solution": "24x7",
            "callback": "business",
        },
    ),
    (
        "logistics-service",
        "channels 3.1",
        lambda d: {"hotline", "chat", "web", "app", "email", "sms"} <= set(d.channels),
        True,
    ),
    ("logistics-service", "live chat", lambda d: d.live_channels, ["hotline", "chat"]),
    (
        "logistics-service",
        "categories",
        lambda d: (
            {"运输时效", "货物破损", "信息查询/跟踪", "客服服务", "价格费用"}
            <= {c.name for c in d.categories}
        ),
        True,
    ),
    # seed 003
    ("recycling", "review step 五(五)", lambda d: d.review_step, True),
    ("recycling", "levels 五(三)", lambda d: [lv.code for lv in d.levels], ["major", "general"]),
    (
        "recycling",
        "categories 四(二)",
        lambda d: [c.name for c in d.categories][:5],
        ["产品质量", "服务态度", "交货期", "价格", "售后维修"],
    ),
    (
        "recycling",
        "channels 三(一)",
        lambda d: {"hotline", "email", "chat", "letter"} <= set(d.channels),
        True,
    ),
    ("recycling", "secondary handling window", lambda d: d.reopen_window_days, 30),
    (
        "recycling",
        "supervision by 质量管理部",
        lambda d: "质量管理部" in {x.name for x in d.departments},
        True,
    ),
    (
        "recycling",
        "urgent solution tighter than major",
        lambda d: (minutes(d, "solution", "major", urgent=True), minutes(d, "solution", "major")),
        (2 * WD, 7 * WD),
    ),
    ("recycling", "repeat rate target", lambda d: d.targets.repeat_rate, 0.05),
    # seed 004
    ("food-distribution", "batch alert 三 7", lambda d: d.batch_alert.enabled, True),
    ("food-distribution", "one complaint is enough", lambda d: d.batch_alert.threshold, 1),
    (
        "food-distribution",
        "24 h service",
        lambda d: {m.kind for m in d.milestones if m.clock == "24x7"},
        {"ack", "dispatch", "contact", "solution"},
    ),
    ("food-distribution", "谁的客户谁负责", lambda d: d.route_to_account_owner, True),
    (
        "food-distribution",
        "duty manager is the hub",
        lambda d: [x.name for x in d.departments if x.customer_service],
        ["客服中心(值班经理)"],
    ),
    (
        "food-distribution",
        "departments",
        lambda d: [x.code for x in d.departments],
        ["customer_service", "delivery", "quality_control", "purchasing", "finance"],
    ),
    (
        "food-distribution",
        "food safety to quality control",
        lambda d: {
            c.department for c in d.categories if c.code in {"food_sensory", "foreign_matter"}
        },
        {"quality_control"},
    ),
    (
        "food-distribution",
        "food-safety solution 4 h",
        lambda d: minutes(d, "solution", "major"),
        240,
    ),
    (
        "food-distribution",
        "超权限的迅速上报分管领导",
        lambda d: d.required_approval_role(Decimal("3000"), "general"),
        "executive",
    ),
    ("food-distribution", "handler calls back", lambda d: d.callback.by_other_than_handler, False),
]


@pytest.mark.parametrize(
    ("name", "what", "getter", "expected"),
    SEED_FIGURES,
    ids=[f"{name}: {what}" for name, what, _g, _e in SEED_FIGURES],
)
def test_preset_figures_follow_the_seed(
    name: str, what: str, getter: Getter, expected: Any
) -> None:
    assert getter(load(name)) == expected, what


# (preset, complaint text, suggested level, urgent, category)
SUGGESTIONS: list[tuple[str, str, str, bool, str]] = [
    ("b2b", "你们在行业群里公开说我们拖欠货款,我们会找律师", "A", False, "payment_dispute"),
    ("b2b", "已经多次催问交货期,一直没人回复", "B", False, "late_delivery"),
    ("b2b", "发票抬头开错了", "C", False, "invoicing"),
    ("logistics", "贵重物品丢失,价值两万", "urgent", True, "loss"),
    ("logistics", "快递晚到了两天", "general", False, "delay"),
    ("logistics-service", "物流信息三天不更新,查不到货在哪", "general", False, "tracking_info"),
    ("logistics-service", "整车货物全部损坏,要找媒体曝光", "major", False, "cargo_damage"),
    ("recycling", "颗粒杂质太多导致设备起火,有人受伤", "major", True, "product_quality"),
    ("recycling", "回收人员上门称重扣重不合理", "general", False, "recycling_service"),
    ("food-distribution", "学生吃了配送的猪肉后腹泻", "major", True, "food_sensory"),
    ("food-distribution", "大米里有虫子", "major", True, "foreign_matter"),
    ("food-distribution", "今天的蔬菜送晚了一个小时", "general", False, "delivery_delay"),
]


@pytest.mark.parametrize(("name", "text", "level", "urgent", "category"), SUGGESTIONS)
def test_keyword_rules_suggest_the_seed_grading(
    name: str, text: str, level: str, urgent: bool, category: str
) -> None:
    s = suggest(load(name), text=text)
    assert (s.level, s.urgent, s.category) == (level, urgent, category), s.reasons


def test_b2b_amount_key_customer_and_repeat_raise_the_level() -> None:
    doc = load("b2b")
    assert suggest(doc, text="", claimed_amount=Decimal("150000")).level == "A"
    assert suggest(doc, text="", claimed_amount=Decimal("30000")).level == "B"
    assert suggest(doc, text="", claimed_amount=Decimal("500")).level == "C"
    assert suggest(doc, text="", key_customer=True).level == "B"
    assert suggest(doc, text="", repeat=True).level == "B"


# --- activation --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", PRESETS)
def test_preset_activates_and_creates_its_departments(name: str) -> None:
    policy = policy_load(name)
    doc = load(name)
    assert (policy.name, policy.version, policy.is_active) == (name, 1, True)
    assert policy.source.endswith(f"{name}.yaml")
    assert policy.doc == doc
    stored = {d.code: d for d in Department.objects.all()}
    for dept in doc.departments:
        assert stored[dept.code].name == dept.name
        assert stored[dept.code].name_en == dept.name_en
        assert stored[dept.code].is_customer_service == dept.customer_service


@pytest.mark.django_db
def test_loading_the_same_file_twice_keeps_the_version() -> None:
    first = policy_load("b2b")
    again = policy_load("b2b")
    assert again.pk == first.pk
    assert Policy.objects.filter(name="b2b").count() == 1
    assert Department.objects.filter(code="sales").count() == 1


@pytest.mark.django_db
def test_a_changed_document_is_a_new_version_and_the_old_one_is_kept() -> None:
    doc = load("b2b")
    first = policy_activate(doc=doc)
    changed = doc.model_copy(update={"reopen_window_days": 20})
    second = policy_activate(doc=changed)
    assert (first.version, second.version) == (1, 2)
    first.refresh_from_db()
    assert not first.is_active and second.is_active
    assert first.doc.reopen_window_days == 15, "the old version is not rewritten"
    assert second.doc.reopen_window_days == 20
    # Going back to the first content makes it a third version, not a rewrite of history.
    third = policy_activate(doc=doc)
    assert third.version == 3


@pytest.mark.django_db
def test_changing_the_file_makes_a_new_version(tmp_path: Path) -> None:
    text = (PRESETS_DIR / "recycling.yaml").read_text(encoding="utf-8")
    path = tmp_path / "recycling.yaml"
    path.write_text(text, encoding="utf-8")
    assert policy_load(str(path)).version == 1
    path.write_text(text + "\n# only a comment\n", encoding="utf-8")
    assert policy_load(str(path)).version == 1, "comments are not content"
    path.write_text(text.replace("reopen_window_days: 30", "reopen_window_days: 45"), "utf-8")
    newer = policy_load(str(path))
    assert newer.version == 2
    assert newer.doc.reopen_window_days == 45


@pytest.mark.django_db
def test_only_one_policy_is_active_and_earlier_departments_stay() -> None:
    policy_load("logistics")
    policy_load("food-distribution")
    active = list(Policy.objects.filter(is_active=True).values_list("name", flat=True))
    assert active == ["food-distribution"]
    # Departments of the earlier policy stay: complaints and users point at them.
    assert Department.objects.filter(code="legal").exists()
    assert Department.objects.get(code="customer_service").name == "客服中心(值班经理)"
