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
