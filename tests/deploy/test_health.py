"""GET /healthz and /readyz: 200 with the database, 503 without it, no secrets, no overhead."""

from __future__ import annotations

import json

import pytest

from tests.deploy.conftest import run_python


@pytest.mark.django_db
def test_healthz_ok(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok"}
    assert r["Cache-Control"] == "no-store"
    # No session, no CSRF cookie, no language negotiation: nothing varies, nothing is set.
    assert not r.cookies
    assert not r.has_header("Vary")


@pytest.mark.django_db
def test_readyz_ok_when_migrated(client):
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok", "migrations": "ok"}


@pytest.mark.django_db
def test_head_is_allowed_and_writes_are_not(client):
    assert client.head("/healthz").status_code == 200
    r = client.post("/healthz")
    assert r.status_code == 405
    assert r["Allow"] == "GET, HEAD"


@pytest.mark.django_db
def test_other_paths_still_check_the_host(client):
    assert client.get("/healthz", HTTP_HOST="10.0.0.7").status_code == 200
    assert client.get("/accounts/login/", HTTP_HOST="evil.example").status_code == 400


# In a child process with production settings, TLS on, a host that is not ours, plain HTTP and
# a database on a closed port: a load balancer's probe must still get the real answer.
PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="10.0.0.7:8000")
out = {}
for path in ("/healthz", "/readyz"):
    r = client.get(path)
    out[path] = [r.status_code, r.content.decode()]
print(json.dumps(out))
"""


def test_healthz_503_when_the_database_is_down(prod_env):
    url = "postgres://kesu:pa55-not-for-logs@127.0.0.1:1/kesu"
    result = run_python(PROBE, prod_env(DATABASE_URL=url, KESU_ALLOWED_HOSTS="kesu.example.cn"))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.splitlines()[-1])
    for path in ("/healthz", "/readyz"):
        status, body = out[path]
        assert status == 503
        assert json.loads(body) == {"status": "error", "database": "error"}
        assert "pa55" not in body and "127.0.0.1" not in body
    # The reason is in the log, as JSON lines.
    warnings = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert any(w["logger"] == "kesu.health" and "exc_info" in w for w in warnings)


def test_healthz_200_in_production_over_plain_http_by_ip(prod_env, tmp_path):
    env = prod_env()
    migrate = run_python(
        "import sys; from kesu.cli import main; sys.exit(main(['migrate', '-v', '0']))",
        env,
        timeout=180,
    )
    assert migrate.returncode == 0, migrate.stderr
    result = run_python(PROBE, env)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.splitlines()[-1])
    assert out["/healthz"] == [200, '{"status": "ok", "database": "ok"}']
    assert out["/readyz"][0] == 200
