"""Fixtures for the policy tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policy.helpers import minimal_document


@pytest.fixture
def document() -> dict[str, Any]:
    """A fresh minimal valid policy document; each validation test breaks one thing."""
    return minimal_document()
