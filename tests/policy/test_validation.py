"""A broken policy is refused with messages that say where the problem is."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from kesu.policy.loader import PolicyError, parse_policy, read_policy_file, resolve_source
from kesu.policy.schema import parse_duration
from tests.policy.helpers import minimal_document

Doc = dict[str, Any]


def problems_of(data: Any, source: str = "<test>") -> list[str]:
    with pytest.raises(PolicyError) as info:
        parse_policy(data, source=source)
    assert info.value.source == source
    assert str(info.value).startswith(f"{source}: ")
    return info.value.problems


def text_of(data: Any) -> str:
    return "\n".join(problems_of(data))


def test_the_minimal_document_is_valid(document: Doc) -> None:
    doc = parse_policy(document)
    assert doc.name == "minimal"
    # Defaults a company gets without writing them.
    assert doc.review_step is True
    assert doc.repeat.window_days == 30
    assert doc.callback.max_attempts == 3
    assert doc.escalation.warn_ratio == 0.8
    assert doc.working_hours.minutes_per_day == 480
    assert "platform_12315" in doc.channels


def _milestone(doc: Doc, kind: str) -> Doc:
    return next(m for m in doc["milestones"] if m["kind"] == kind)


def unknown_level_in_milestone(doc: Doc) -> None:
    _milestone(doc, "solution")["durations"]["urgent"] = "4h"


def category_with_missing_department(doc: Doc) -> None:
    doc["categories"].append({"code": "billing", "name": "费用", "department": "finance"})


def bad_duration(doc: Doc) -> None:
    _milestone(doc, "dispatch")["durations"]["low"] = "2 hours"


def bad_urgent_duration(doc: Doc) -> None:
    _milestone(doc, "dispatch")["urgent"] = "soon"


def missing_dispatch(doc: Doc) -> None:
    doc["milestones"] = [m for m in doc["milestones"] if m["kind"] != "dispatch"]


def unlimited_tier_not_last(doc: Doc) -> None:
    doc["approval_tiers"] = [
        {"role": "handler", "max_amount": 500},
        {"role": "manager"},
        {"role": "executive", "max_amount": 50000},
    ]


def falling_tiers(doc: Doc) -> None:
    doc["approval_tiers"] = [
        {"role": "handler", "max_amount": 5000},
        {"role": "manager", "max_amount": 500},
        {"role": "executive"},
    ]


def unknown_channel(doc: Doc) -> None:
    doc["channels"] = ["hotline", "wechat"]
    doc["live_channels"] = ["hotline"]


def live_channel_not_offered(doc: Doc) -> None:
    doc["channels"] = ["email", "web"]


def channel_rule_for_missing_channel(doc: Doc) -> None:
    doc["channels"] = ["hotline", "web"]
    doc["live_channels"] = ["hotline"]
    doc["channel_rules"] = [
        {
            "channel": "platform_12315",
            "kind": "platform_outcome",
            "name": "12315",
            "duration": "10wd",
        }
    ]


def channel_rule_clashing_with_milestone(doc: Doc) -> None:
    doc["channel_rules"] = [
        {"channel": "platform_12315", "kind": "solution", "name": "12315", "duration": "10wd"}
    ]


def default_level_unknown(doc: Doc) -> None:
    doc["default_level"] = "medium"


def no_customer_service(doc: Doc) -> None:
    doc["departments"][0]["customer_service"] = False


def duplicate_level(doc: Doc) -> None:
    doc["levels"].append({"code": "low", "name": "低", "rank": 3})


def keyword_rule_unknown_level(doc: Doc) -> None:
    doc["keyword_rules"] = [
        {"keywords": ["律师"], "level": "high"},
        {"keywords": ["媒体"], "level": "critical", "category": "nothing"},
    ]


def unknown_escalation_level(doc: Doc) -> None:
    doc["escalation"] = {"executive_levels": ["A"]}


def approval_by_unknown_level(doc: Doc) -> None:
    doc["approval_by_level"] = {"A": "executive"}


def amount_rule_unknown_level(doc: Doc) -> None:
    doc["amount_rules"] = [{"min_amount": 10000, "level": "A"}]


def repeat_raises_to_unknown_level(doc: Doc) -> None:
    doc["repeat"] = {"window_days": 30, "raise_level_to": "A"}
    doc["key_customer_level"] = "B"


def unknown_field(doc: Doc) -> None:
    doc["review"] = False  # a typo for review_step must not be ignored


def unknown_milestone_start(doc: Doc) -> None:
    _milestone(doc, "callback")["start"] = "closed"


def bad_clock(doc: Doc) -> None:
    _milestone(doc, "callback")["clock"] = "office"


def bad_working_hours(doc: Doc) -> None:
    doc["working_hours"] = {"periods": [["13:00", "18:00"], ["09:00", "12:00"]]}


def bad_extra_day(doc: Doc) -> None:
    doc["working_hours"] = {"extra_days_off": ["2026-02-30"]}


def bad_level_code(doc: Doc) -> None:
    doc["levels"][0]["code"] = "紧急"


def no_levels(doc: Doc) -> None:
    doc["levels"] = []


def warn_ratio_out_of_range(doc: Doc) -> None:
    doc["escalation"] = {"warn_ratio": 1.5}


def batch_threshold_zero(doc: Doc) -> None:
    doc["batch_alert"] = {"enabled": True, "threshold": 0}


BREAKAGES: list[tuple[Callable[[Doc], None], list[str]]] = [
    (unknown_level_in_milestone, ["(document): ", "milestone solution: unknown level 'urgent'"]),
    (category_with_missing_department, ["category billing: unknown department 'finance'"]),
    (
        bad_duration,
        ["milestone dispatch level low: bad duration '2 hours': use a number with m, h, d or wd"],
    ),
    (bad_urgent_duration, ["milestone dispatch urgent: bad duration 'soon'"]),
    (missing_dispatch, ["milestone 'dispatch' is required"]),
    (
        unlimited_tier_not_last,
        [
            "approval tiers: only the last tier may have no max_amount",
            "the last approval tier must have no max_amount (unlimited)",
        ],
    ),
    (falling_tiers, ["approval tiers must rise in max_amount"]),
    (unknown_channel, ["unknown channel 'wechat' (known: hotline, web, email"]),
    (live_channel_not_offered, ["live channel 'hotline' is not in channels"]),
    (
        channel_rule_for_missing_channel,
        ["channel rule platform_outcome: channel 'platform_12315' not in channels"],
    ),
    (
        channel_rule_clashing_with_milestone,
        ["channel rule solution: kind clashes with a milestone"],
    ),
    (default_level_unknown, ["default_level 'medium' is not a level"]),
    (no_customer_service, ["one department must be marked customer_service: true"]),
    (duplicate_level, ["duplicate level codes: low"]),
    (
        keyword_rule_unknown_level,
        [
            "keyword_rules[1]: unknown level 'critical'",
            "keyword_rules[1]: unknown category 'nothing'",
        ],
    ),
    (unknown_escalation_level, ["escalation.executive_levels: unknown level 'A'"]),
    (approval_by_unknown_level, ["approval_by_level: unknown level 'A'"]),
    (amount_rule_unknown_level, ["amount_rules[0]: unknown level 'A'"]),
    (
        repeat_raises_to_unknown_level,
        ["key_customer_level: unknown level 'B'", "repeat.raise_level_to: unknown level 'A'"],
    ),
    (unknown_field, ["review: Extra inputs are not permitted"]),
    (unknown_milestone_start, ["milestones.2.start: Input should be 'received', 'dispatched'"]),
    (bad_clock, ["milestones.2.clock: Input should be '24x7' or 'business'"]),
    (bad_working_hours, ["working_hours.periods: working periods must be ordered"]),
    (bad_extra_day, ["working_hours.extra_days_off: '2026-02-30' is not an ISO date"]),
    (bad_level_code, ["levels.0.code: String should match pattern"]),
    (no_levels, ["levels: List should have at least 1 item"]),
    (warn_ratio_out_of_range, ["escalation.warn_ratio: Input should be less than 1"]),
    (batch_threshold_zero, ["batch_alert.threshold: Input should be greater than or equal to 1"]),
]


@pytest.mark.parametrize(
    ("breakage", "expected"), BREAKAGES, ids=[b.__name__ for b, _e in BREAKAGES]
)
def test_broken_document_names_the_problem(
    document: Doc, breakage: Callable[[Doc], None], expected: list[str]
) -> None:
    breakage(document)
    text = text_of(document)
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not in {text!r}"


def test_every_reference_problem_is_reported_at_once(document: Doc) -> None:
    unknown_level_in_milestone(document)
    category_with_missing_department(document)
    missing_dispatch(document)
    text = text_of(document)
    assert "milestone solution: unknown level 'urgent'" in text
    assert "category billing: unknown department 'finance'" in text
    assert "milestone 'dispatch' is required" in text


def test_field_errors_are_listed_one_per_problem(document: Doc) -> None:
    bad_clock(document)
    bad_level_code(document)
    problems = problems_of(document)
    assert len(problems) == 2
    assert problems[0].startswith("levels.0.code: ")
    assert problems[1].startswith("milestones.2.clock: ")


@pytest.mark.parametrize("data", [None, [], ["name: x"], "name: x", 42])
def test_a_document_that_is_not_a_mapping_is_refused(data: Any) -> None:
    assert problems_of(data) == ["the document must be a mapping of settings"]


def test_missing_required_fields_are_named() -> None:
    text = text_of({"name": "empty"})
    for field in ("title", "levels", "default_level", "departments", "categories"):
        assert f"{field}: Field required" in text
    for field in ("milestones", "approval_tiers", "root_causes"):
        assert f"{field}: Field required" in text


# --- files ---------------------------------------------------------------------------------


def test_invalid_yaml_syntax_in_a_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: broken\nlevels: [unclosed\n", encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        read_policy_file(str(path))
    assert info.value.source == str(path)
    (problem,) = info.value.problems
    assert problem.startswith("not valid YAML: ")
    assert "line 3" in problem  # the parser says where it gave up


def test_a_yaml_list_file_is_not_a_policy(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- name: x\n- name: y\n", encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        read_policy_file(str(path))
    assert info.value.problems == ["the document must be a mapping of settings"]
    assert info.value.source == str(path)


def test_an_empty_file_is_not_a_policy(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing here\n", encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        read_policy_file(str(path))
    assert info.value.problems == ["the document must be a mapping of settings"]


def test_a_broken_file_reports_its_path_and_problems(tmp_path: Path) -> None:
    data = minimal_document()
    missing_dispatch(data)
    path = tmp_path / "company.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        read_policy_file(str(path))
    assert str(info.value).startswith(f"{path}: ")
    assert "milestone 'dispatch' is required" in "\n".join(info.value.problems)


def test_unquoted_dates_in_yaml_are_accepted(tmp_path: Path) -> None:
    text = yaml.safe_dump(minimal_document(), allow_unicode=True)
    text += "working_hours:\n  extra_days_off: [2026-02-14]\n  extra_working_days: ['2026-02-28']\n"
    path = tmp_path / "dates.yaml"
    path.write_text(text, encoding="utf-8")
    doc, _source = read_policy_file(str(path))
    assert doc.working_hours.extra_days_off == ["2026-02-14"]
    assert doc.working_hours.extra_working_days == ["2026-02-28"]


def test_missing_file_and_unknown_preset(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as info:
        read_policy_file(str(tmp_path / "absent.yaml"))
    assert info.value.problems == ["file not found"]
    with pytest.raises(PolicyError) as info:
        resolve_source("no-such-preset")
    (problem,) = info.value.problems
    assert problem.startswith("no such preset or file (presets: ")
    assert "b2b" in problem and "food-distribution" in problem


# --- durations and look-ups ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30m", 30), ("2h", 120), ("1.5h", 90), ("1d", 1440), ("1wd", 480), ("0.5wd", 240)],
)
def test_parse_duration(text: str, expected: int) -> None:
    assert parse_duration(text, minutes_per_working_day=480) == expected


@pytest.mark.parametrize("text", ["2 hours", "h2", "", "-1h", "1w", "2hh"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(text, minutes_per_working_day=480)


def test_working_day_follows_the_working_hours(document: Doc) -> None:
    document["working_hours"] = {"periods": [["08:30", "12:00"], ["13:30", "17:30"]]}
    doc = parse_policy(document)
    rule = next(r for r in doc.milestones if r.kind == "solution")
    assert doc.milestone_minutes(rule, "low", urgent=False) == 3 * 450


def test_approval_roles(document: Doc) -> None:
    document["approval_by_level"] = {"high": "manager"}
    doc = parse_policy(document)
    assert doc.required_approval_role(Decimal("500"), "low") == "handler"
    assert doc.required_approval_role(Decimal("500.01"), "low") == "manager"
    assert doc.required_approval_role(Decimal("0"), "high") == "manager"
    assert doc.required_approval_role(Decimal("1000000"), "high") == "executive"
    assert doc.approval_limit("manager") == Decimal("5000")
    assert doc.approval_limit("executive") is None


def test_the_example_in_the_documentation_is_valid() -> None:
    doc_md = Path(__file__).resolve().parents[2] / "docs" / "policy.md"
    text = doc_md.read_text(encoding="utf-8")
    example = text.split("## A short example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    doc = parse_policy(yaml.safe_load(example), source="docs/policy.md")
    assert doc.name == "acme"
    assert [m.kind for m in doc.milestones] == [
        "ack",
        "dispatch",
        "contact",
        "solution",
        "callback",
    ]
