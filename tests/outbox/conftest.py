from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from kesu.accounts.models import Role, User

_seq = itertools.count(1)


@pytest.fixture
def make_user() -> Callable[..., User]:
    def make(**fields: Any) -> User:
        n = next(_seq)
        fields.setdefault("username", f"user{n}")
        fields.setdefault("email", f"user{n}@example.com")
        fields.setdefault("role", Role.HANDLER)
        return User.objects.create(**fields)

    return make


@pytest.fixture
def now() -> dt.datetime:
    return timezone.now()


@pytest.fixture
def complaint(db):
    """A bare complaint row for the outbox's foreign key (no services, no milestones)."""
    from kesu.complaints.models import Complaint, Customer
    from kesu.policy.loader import policy_load

    policy = policy_load("b2b")
    customer = Customer.objects.create(name="王女士", phone="13800000000")
    return Complaint.objects.create(
        number="KS-20250301-0001",
        policy=policy,
        customer=customer,
        channel="web",
        received_at=timezone.now(),
        category="quality",
        level="B",
        title="t",
        description="d",
    )
