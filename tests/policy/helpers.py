"""Helpers shared by the policy tests."""

from __future__ import annotations

from typing import Any

from kesu.policy.loader import read_policy_file
from kesu.policy.schema import PolicyDoc

PRESETS = ("logistics", "b2b", "logistics-service", "recycling", "food-distribution")


def load(name: str) -> PolicyDoc:
    doc, _source = read_policy_file(name)
    return doc


def minutes(doc: PolicyDoc, kind: str, level: str, *, urgent: bool = False) -> int | None:
    rule = next(r for r in doc.milestones if r.kind == kind)
    return doc.milestone_minutes(rule, level, urgent=urgent)


def minimal_document() -> dict[str, Any]:
    """The smallest valid policy: each validation test breaks one thing in a fresh copy."""
    return {
        "name": "minimal",
        "title": "最小示例",
        "levels": [
            {"code": "high", "name": "紧急", "rank": 1},
            {"code": "low", "name": "一般", "rank": 2},
        ],
        "default_level": "low",
        "departments": [
            {"code": "cs", "name": "客户服务部", "customer_service": True},
            {"code": "ops", "name": "运营部"},
        ],
        "categories": [{"code": "delay", "name": "延误", "department": "ops"}],
        "milestones": [
            {
                "kind": "dispatch",
                "name": "分派",
                "start": "received",
                "durations": {"high": "30m", "low": "2h"},
            },
            {
                "kind": "solution",
                "name": "方案",
                "start": "dispatched",
                "pausable": True,
                "durations": {"high": "1wd", "low": "3wd"},
            },
            {
                "kind": "callback",
                "name": "回访",
                "start": "resolved",
                "durations": {"high": "1wd", "low": "1wd"},
            },
        ],
        "approval_tiers": [
            {"role": "handler", "max_amount": 500},
            {"role": "manager", "max_amount": 5000},
            {"role": "executive"},
        ],
        "root_causes": [{"code": "operation_error", "name": "操作失误"}],
    }
