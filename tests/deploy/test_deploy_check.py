"""scripts/deploy-check.sh on the PostgreSQL server of the test run (docs/deployment.md):
gunicorn with 3 workers and 2 `kesu worker` processes on one fresh database, end to end."""

from __future__ import annotations

import os
import subprocess
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.deploy.conftest import ROOT

pytestmark = pytest.mark.postgres_only


def test_deploy_check_script():
    url = urlsplit(os.environ.get("DATABASE_URL", ""))
    server = urlunsplit((url.scheme, url.netloc, "", "", ""))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KESU_", "DJANGO_")) and k not in ("VIRTUAL_ENV", "DATABASE_URL")
    }
    # The script finds its Python through `python3 -m uv` as run by hand, not the test's venv.
    venv = str(ROOT / ".venv")
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(venv)
    )
    env.update(
        KESU_DEPLOYCHECK_PG=server,
        KESU_DEPLOYCHECK_DB=f"kesu_deploycheck_{os.getpid()}",
        KESU_DEPLOYCHECK_TIMEOUT="150",
    )
    result = subprocess.run(
        ["bash", "scripts/deploy-check.sh"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=200,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "workers delivered the outbox" in result.stdout
    assert result.stdout.rstrip().endswith("OK")
