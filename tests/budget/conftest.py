"""The budget's world: the improvement world (console users signed in with the test client,
API tokens, builders for complaints, actions and audits), with uploads in a temporary folder
and fast password hashing. Prints the measured query counts at the end of the run."""

from __future__ import annotations

import pytest

from kesu.accounts.models import ApiToken
from tests.budget.helpers import MEASURED
from tests.console.conftest import console, frozen  # noqa: F401  (fixtures)
from tests.improvement.conftest import Improvement


@pytest.fixture
def world(console, settings, tmp_path) -> Improvement:  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    w = Improvement(users=console.users, tokens={})
    w.tokens = {k: ApiToken.issue(user=u, name="budget")[1] for k, u in w.users.items()}
    return w


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not MEASURED:
        return
    terminalreporter.section("query budget (small → grown)")
    for m in sorted(MEASURED, key=lambda m: m.case):
        ceiling = f"  ≤ {m.ceiling}" if m.ceiling is not None else ""
        terminalreporter.write_line(f"{m.case:<48} {m.small:>4} → {m.grown:<4}{ceiling}")
