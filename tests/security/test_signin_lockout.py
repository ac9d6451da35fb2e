"""Sign-in lock-out (django-axes): wrong passwords are counted per username; after the limit
the username is refused with a clear page and 429, even with the right password, until the
lock expires; a good sign-in clears the count; other users are not affected. A second, higher
limit counts the failures of one client network across usernames (password spraying)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from kesu.accounts.models import Role, User
from kesu.web.rate import Rate

pytestmark = pytest.mark.django_db

PASSWORD = "Kesu-sign-in-2026!"


@pytest.fixture
def agent(db):
    return User.objects.create_user(
        username="li.agent", password=PASSWORD, role=Role.AGENT, display_name="李客服"
    )


def sign_in(password: str, username: str = "li.agent", *, ip: str = "10.0.0.1", lang="zh-hans"):
    client = Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE=lang)
    response = client.post("/accounts/login/", {"username": username, "password": password})
    return response, client


def test_wrong_passwords_lock_the_username_then_the_lock_expires(agent, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        response, _client = sign_in("wrong")
        assert response.status_code == 200
        assert "用户名或密码不正确" in response.content.decode()
    response, _client = sign_in("wrong")
    assert response.status_code == 429
    page = response.content.decode()
    assert 'data-test="locked-out"' in page
    assert f"连续 {limit} 次" in page and "15 分钟" in page

    # Locked: the right password, from another address, is refused too.
    response, client = sign_in(PASSWORD, ip="10.9.9.9")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session

    # Someone else signs in as usual.
    User.objects.create_user(username="wang.agent", password=PASSWORD, role=Role.AGENT)
    response, client = sign_in(PASSWORD, username="wang.agent")
    assert response.status_code == 302 and client.session["_auth_user_id"]

    time_machine.shift(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
    response, client = sign_in(PASSWORD)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == agent.pk


def test_a_good_sign_in_clears_the_count(agent):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert sign_in("wrong")[0].status_code == 200
    assert sign_in(PASSWORD)[0].status_code == 302
    for _ in range(limit - 1):
        assert sign_in("wrong")[0].status_code == 200
    assert sign_in(PASSWORD)[0].status_code == 302


def test_the_lock_page_speaks_english_too(agent):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response, _client = sign_in("wrong", lang="en")
    assert response.status_code == 429
    assert "Try again in 15 minutes" in response.content.decode()


# --- per client network: password spraying (kesu.web.signin_limit, decision 0009) -------------


def test_failures_across_usernames_pause_sign_in_from_that_network(agent, settings, time_machine):
    """One or two wrong passwords on each of many usernames never lock a username; the failures
    of one network together do, and then even the right password from there is refused."""
    now = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    time_machine.move_to(now, tick=False)
    settings.KESU_SIGNIN_ADDRESS_FAILURES = Rate(6, 900)
    sprayed = ["li.agent", "wang", "zhang", "chen", "liu", "zhao"]  # 6 usernames, one try each
    for username in sprayed:
        response, _client = sign_in("123456", username, ip="198.51.100.7")
        assert response.status_code == 200  # an ordinary wrong-password answer

    response, client = sign_in(PASSWORD, ip="198.51.100.7", lang="en")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 900
    page = response.content.decode()
    assert 'data-test="locked-out"' in page
    assert "6 failed sign-ins from your network within 15 minutes" in page
    assert "_auth_user_id" not in client.session
    # The admin's sign-in is the same door.
    admin_try = Client(REMOTE_ADDR="198.51.100.7").post(
        "/admin/login/", {"username": "li.agent", "password": PASSWORD}
    )
    assert admin_try.status_code == 429

    # No username was locked on the way: the same person elsewhere signs in.
    response, client = sign_in(PASSWORD, ip="203.0.113.5")
    assert response.status_code == 302

    time_machine.shift(timedelta(seconds=900))
    response, client = sign_in(PASSWORD, ip="198.51.100.7")
    assert response.status_code == 302 and client.session["_auth_user_id"]


def test_the_network_limit_is_well_above_the_username_lock_by_default():
    # Else one colleague's typos would stop a whole office before locking their own name.
    assert settings.KESU_SIGNIN_ADDRESS_FAILURES.count >= 3 * settings.AXES_FAILURE_LIMIT
