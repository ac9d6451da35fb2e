"""Helpers for the deployment tests: run kesu in a child process with production settings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """The environment of a production process; an override of None removes the variable."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("KESU_", "DJANGO_")) and key != "DATABASE_URL"
    }
    env.update(
        KESU_ENV="production",
        KESU_SECRET_KEY=secrets.token_urlsafe(50),
        KESU_ALLOWED_HOSTS="kesu.example.cn",
        KESU_DATA_DIR=str(tmp_path / "data"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'kesu.sqlite3'}",
        DJANGO_SETTINGS_MODULE="kesu.settings",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_python(code: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def prod_env(tmp_path):
    return lambda **overrides: production_env(tmp_path, **overrides)
