"""API rate limits (docs/decisions/0009): requests per token, reads and writes apart, and failed
tokens per client network, on database counters every web process shares; 429 in the API's
error shape with Retry-After, documented for every operation; one counting statement per
request, old windows purged."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kesu.accounts.models import ApiToken, Role, User
from kesu.web import ratelimit
from kesu.web.models import RateCounter
from kesu.web.rate import Rate, parse_rate

ME = "/api/v1/me"
READ_ALL = "/api/v1/notifications/read"


def make_token(username: str) -> str:
    user = User.objects.create_user(username=username, role=Role.AGENT)
    return ApiToken.issue(user=user, name="integration")[1]


def call(token: str, path: str = ME, *, ip: str = "192.0.2.10", write: bool = False):
    client = Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")
    headers = {"Authorization": f"Bearer {token}"}
    if write:
        return client.post(path, "{}", content_type="application/json", headers=headers)
    return client.get(path, headers=headers)


def assert_throttled(response, *, within: int) -> None:
    assert response.status_code == 429, response.content
    body = response.json()
    assert body["code"] == "throttled"
    wait = int(response["Retry-After"])
    assert 1 <= wait <= within
    assert body["details"] == {"retry_after": wait}
    assert f"{wait} seconds" in body["message"]


@pytest.fixture
def frozen_now(time_machine):
    """Time stands still at the start of a minute, so a window is a known minute."""
    now = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    time_machine.move_to(now, tick=False)
    return now


@pytest.mark.django_db
def test_reads_and_writes_are_counted_per_token_then_the_window_ends(
    settings, time_machine, frozen_now
):
    settings.KESU_API_RATE = Rate(3, 60)
    settings.KESU_API_WRITE_RATE = Rate(2, 60)
    token, other = make_token("erp"), make_token("crm")

    assert [call(token).status_code for _ in range(3)] == [200, 200, 200]
    assert_throttled(call(token), within=60)
    # Writes have their own allowance; another token is not affected.
    assert [call(token, READ_ALL, write=True).status_code for _ in range(2)] == [200, 200]
    assert_throttled(call(token, READ_ALL, write=True), within=60)
    assert call(other).status_code == 200

    time_machine.shift(timedelta(seconds=60))
    assert call(token).status_code == 200
    assert call(token, READ_ALL, write=True).status_code == 200


@pytest.mark.django_db
def test_failed_tokens_from_one_network_stop_every_bearer_request_from_it(
    settings, time_machine, frozen_now
):
    settings.KESU_API_TOKEN_FAILURES = Rate(3, 600)
    good = make_token("erp")
    for guess in ("ks_guess1", "ks_guess2", ""):
        assert call(guess).status_code == 401
    # Used up: refused before any token is looked up, the right one included.
    with CaptureQueriesContext(connection) as queries:
        assert_throttled(call(good), within=600)
    assert not any("accounts_apitoken" in q["sql"] for q in queries.captured_queries)
    assert_throttled(call("ks_guess4"), within=600)
    # The same network by another address (IPv6 /64) is the same client; others are not.
    assert call(good, ip="2001:db8:1:2::1").status_code == 200
    settings.KESU_API_TOKEN_FAILURES = Rate(1, 600)
    assert call("ks_guess5", ip="2001:db8:1:2::1").status_code == 401
    assert call(good, ip="2001:db8:1:2:ffff::9").status_code == 429
    settings.KESU_API_TOKEN_FAILURES = Rate(3, 600)

    time_machine.shift(timedelta(seconds=600))
    assert call(good).status_code == 200


@pytest.mark.django_db
def test_a_request_costs_one_read_and_one_counting_statement(settings, frozen_now):
    token = make_token("erp")
    call(token)  # the first of the window also purges ended windows
    with CaptureQueriesContext(connection) as queries:
        assert call(token).status_code == 200
    counting = [q["sql"] for q in queries.captured_queries if "web_ratecounter" in q["sql"]]
    assert len(counting) == 2, counting
    assert counting[0].lstrip().upper().startswith("SELECT")
    assert "ON CONFLICT" in counting[1].upper()


@pytest.mark.django_db
def test_a_new_window_purges_the_windows_that_have_ended(frozen_now):
    rate = Rate(10, 60)
    start = int(frozen_now.timestamp())
    RateCounter.objects.create(key="old-a", window_end=start - 60, count=5)
    RateCounter.objects.create(key="old-b", window_end=start, count=5)  # ended just now
    RateCounter.objects.create(key="long", window_end=start + 900, count=5)  # another rate
    assert ratelimit.hit("k", rate).count == 1
    assert ratelimit.hit("k", rate).count == 2
    assert set(RateCounter.objects.values_list("key", flat=True)) == {"k", "long"}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_lose_no_count():
    """Eight threads (eight database connections) counting one key: every count is seen once,
    as several web processes would. (SQLite has one writer at a time: nothing to race; its
    in-memory test database cannot even take concurrent writers.)"""
    rate = Rate(10_000, 3600)
    seen: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            for _ in range(25):
                count = ratelimit.hit("shared", rate).count
                with lock:
                    seen.append(count)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(1, 201))
    assert RateCounter.objects.get(key="shared").count == 200


def test_the_openapi_document_declares_429_with_retry_after(client, db):
    doc = json.loads(client.get("/api/v1/openapi.json").content)
    operations = [op for item in doc["paths"].values() for op in item.values()]
    assert len(operations) > 50
    for op in operations:
        throttled = op["responses"]["429"]
        assert throttled["headers"]["Retry-After"]["schema"]["type"] == "integer"
        assert throttled["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("600/min", Rate(600, 60)),
        ("30/15min", Rate(30, 900)),
        (" 10 / s ", Rate(10, 1)),
        ("100/day", Rate(100, 86400)),
        ("5/2h", Rate(5, 7200)),
    ],
)
def test_rates_are_read_from_settings_text(text, rate):
    assert parse_rate(text) == rate


def test_a_wrong_rate_in_the_environment_stops_the_start(monkeypatch):
    from kesu.settings import _env_rate

    for bad in ("600", "600/fortnight", "0/min", "abc"):
        monkeypatch.setenv("KESU_API_RATE", bad)
        with pytest.raises(ImproperlyConfigured, match="KESU_API_RATE"):
            _env_rate("KESU_API_RATE", "600/min")
