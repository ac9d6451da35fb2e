"""Bearer tokens and the console session; anonymous callers get a JSON 401."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from kesu.accounts.models import ApiToken


def test_anonymous_gets_401_json(world):
    for path in ("/complaints", "/me", "/policy"):
        r = world.get(None, path)
        assert r.status_code == 401
        assert r.json()["code"] == "not_authenticated"
    r = world.post(None, "/complaints", {"customer_name": "x"})
    assert r.status_code == 401


def test_unknown_token_is_401(world):
    r = world.client.get("/api/v1/me", headers={"Authorization": "Bearer ks_nope"})
    assert r.status_code == 401
    r = world.client.get("/api/v1/me", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert r.status_code == 401


def test_token_identifies_the_user(world):
    r = world.get("handler", "/me")
    assert r.status_code == 200
    me = r.json()
    assert me["id"] == world.users["handler"].pk
    assert me["role"] == "handler"
    assert me["department"]["code"] == "logistics"


def test_revoked_token_is_refused(world):
    ApiToken.objects.filter(user=world.users["agent"]).update(revoked_at=timezone.now())
    assert world.get("agent", "/me").status_code == 401


def test_inactive_user_is_refused(world):
    user = world.users["agent"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert world.get("agent", "/me").status_code == 401


def test_last_used_at_is_written_at_most_once_a_minute(world, time_machine):
    token = ApiToken.objects.get(user=world.users["agent"])
    assert token.last_used_at is None
    world.get("agent", "/me")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    time_machine.shift(timedelta(seconds=30))
    world.get("agent", "/me")
    token.refresh_from_db()
    assert token.last_used_at == first
    time_machine.shift(timedelta(seconds=31))
    world.get("agent", "/me")
    token.refresh_from_db()
    assert token.last_used_at > first


def test_session_login_works_with_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["agent"])
    assert client.get("/api/v1/me").json()["username"] == "agent"
    number = world.complaints["customer_a"].number
    path = f"/api/v1/complaints/{number}/notes"
    r = client.post(path, {"text": "电话未接通"}, content_type="application/json")
    assert r.status_code == 403
    assert r.json()["code"] == "csrf_failed"
    token = "k" * 32  # a CSRF secret as the console page would set it
    client.cookies["csrftoken"] = token
    r = client.post(
        path,
        {"text": "电话未接通"},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert r.status_code == 201, r.json()


def test_session_of_inactive_user_is_refused(world):
    client = Client()
    user = world.users["agent"]
    client.force_login(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get("/api/v1/me").status_code == 401


def test_no_active_policy_is_503(db):
    from kesu.accounts.models import Role, User

    user = User.objects.create(username="early", role=Role.AGENT)
    _, raw = ApiToken.issue(user=user, name="t")
    r = Client().get("/api/v1/policy", headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 503
    assert r.json()["code"] == "not_configured"


def test_unexpected_errors_are_500_json_without_traceback(world, monkeypatch):
    from kesu.api import presenters

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(presenters, "detail", boom)
    number = world.complaints["customer_a"].number
    r = world.get("agent", f"/complaints/{number}")
    assert r.status_code == 500
    assert r.json()["code"] == "server_error"
    assert b"secret internals" not in r.content and b"Traceback" not in r.content
