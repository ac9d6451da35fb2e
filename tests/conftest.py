"""Shared fixtures. Tests run against the database named by DATABASE_URL (SQLite by default);
CI runs the suite on both SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

SHANGHAI = ZoneInfo("Asia/Shanghai")


def pytest_collection_modifyitems(config, items):
    # PostgreSQL-only tests (row locks, SKIP LOCKED) run in the PostgreSQL pass of CI.
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL; CI runs it with DATABASE_URL set")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


def at(text: str) -> datetime:
    """'2026-11-20 17:30' in Asia/Shanghai."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)


@dataclass
class People:
    """One user per role, and a handler and a manager for every department."""

    agent: object
    agent2: object
    executive: object
    quality: object
    admin: object
    customer: object
    other_customer: object
    handlers: dict = field(default_factory=dict)
    managers: dict = field(default_factory=dict)
    second_handlers: dict = field(default_factory=dict)


def make_people() -> People:
    from kesu.accounts.models import Department, Role, User
    from kesu.complaints.models import Customer

    def user(username, role, dept=None):
        return User.objects.create_user(
            username=username,
            password="x-test-password-1",
            role=role,
            department=dept,
            display_name=username,
            email=f"{username}@staff.example.cn",
        )

    cs = Department.objects.filter(is_customer_service=True).first()
    people = People(
        agent=user("agent", Role.AGENT, cs),
        agent2=user("agent2", Role.AGENT, cs),
        executive=user("exec", Role.EXECUTIVE),
        quality=user("quality", Role.QUALITY),
        admin=user("admin", Role.ADMIN),
        customer=user("cust_a", Role.CUSTOMER),
        other_customer=user("cust_b", Role.CUSTOMER),
    )
    for dept in Department.objects.all():
        people.handlers[dept.code] = user(f"h_{dept.code}", Role.HANDLER, dept)
        people.second_handlers[dept.code] = user(f"h2_{dept.code}", Role.HANDLER, dept)
        people.managers[dept.code] = user(f"m_{dept.code}", Role.MANAGER, dept)
    Customer.objects.create(
        name="陈建国",
        company="上海恒昌贸易有限公司",
        phone="13816620001",
        email="chen@example.cn",
        user=people.customer,
    )
    Customer.objects.create(
        name="刘芳", phone="13962110002", email="liufang@example.cn", user=people.other_customer
    )
    return people


@pytest.fixture(autouse=True)
def _default_language():
    # A request with Accept-Language: en leaves English active in this thread; later tests
    # that call services directly must start in the default language (zh-hans) again.
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Password hashing is not under test here and costs seconds per fixture.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def preset(db):
    """Load a preset by name: ``preset("b2b")`` returns the active PolicyDoc."""
    from kesu.policy.loader import policy_load

    def load(name: str):
        return policy_load(name).doc

    return load


@pytest.fixture
def people(db):
    """People for the departments that exist now: load the preset first."""
    return make_people()
