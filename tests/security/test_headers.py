"""Security headers (docs/decisions/0010): the Content-Security-Policy on every page, the other
headers of Django's deployment checklist, cookies, HSTS only over TLS in production, password
rules, and no template that would need the policy loosened (inline script, inline handler,
style attribute, <style> without the request's nonce)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from tests.deploy.conftest import run_python

SRC = Path(__file__).resolve().parents[2] / "src" / "kesu"

POLICY = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}


def policy_of(response) -> dict[str, set[str]]:
    directives = (d.split() for d in response["Content-Security-Policy"].split(";") if d.strip())
    return {name: set(values) for name, *values in directives}


def test_pages_carry_the_policy_and_the_checklist_headers(preset):
    preset("logistics")
    for path, status in (("/accounts/login/", 200), ("/portal/", 200), ("/no-such-page/", 404)):
        response = Client().get(path)
        assert response.status_code == status, path
        assert policy_of(response) == POLICY, path
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        # Development serves plain HTTP: no HSTS, whatever the scheme of the request.
        assert "Strict-Transport-Security" not in response
        assert "Strict-Transport-Security" not in Client().get(path, secure=True)


@pytest.mark.django_db
def test_the_analysis_pages_inline_stylesheet_carries_the_requests_nonce(preset, people):
    preset("logistics")
    client = Client()
    client.force_login(people.quality)
    response = client.get("/console/analysis/")
    assert response.status_code == 200
    nonces = re.findall(r'<style nonce="([^"]+)">', response.content.decode())
    assert len(nonces) == 1 and len(nonces[0]) >= 16
    assert policy_of(response)["style-src"] == {"'self'", f"'nonce-{nonces[0]}'"}
    assert nonces[0] not in client.get("/console/analysis/").content.decode()  # new every time


@pytest.mark.django_db
def test_cookies_are_httponly_and_same_site(people):
    client = Client()
    client.get("/accounts/login/")
    client.post("/accounts/login/", {"username": "agent", "password": "x-test-password-1"})
    for name in ("csrftoken", "sessionid"):
        cookie = client.cookies[name]
        assert cookie["httponly"] is True, name
        assert cookie["samesite"] == "Lax", name


PROBE = """
import json, django
django.setup()
from django.conf import settings as s
from django.test import Client
c = Client(HTTP_HOST="kesu.example.cn")
https, http = c.get("/api/v1/nope", secure=True), c.get("/api/v1/nope")
print(json.dumps({
    "https": [https.status_code, https.headers.get("Strict-Transport-Security")],
    "http": [http.status_code, http.headers.get("Location"),
             http.headers.get("Strict-Transport-Security")],
    "cookies": [s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE,
                s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_HTTPONLY, s.CSRF_COOKIE_SAMESITE],
}))
"""


def test_production_sends_hsts_over_https_only_and_secure_cookies(prod_env):
    result = run_python(PROBE, prod_env())
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["https"] == [404, "max-age=31536000; includeSubDomains"]
    # Plain HTTP is sent to HTTPS, and HSTS is never sent over plain HTTP (RFC 6797 §7.2).
    assert seen["http"] == [301, "https://kesu.example.cn/api/v1/nope", None]
    assert seen["cookies"] == [True, True, "Lax", True, True, "Lax"]


@pytest.fixture
def prod_env(tmp_path):
    from tests.deploy.conftest import production_env

    return lambda **overrides: production_env(tmp_path, **overrides)


def test_passwords_need_twelve_characters_and_not_a_common_one():
    with pytest.raises(ValidationError) as short:
        validate_password("Kx7-qr2-Lm9")  # 11
    assert [e.code for e in short.value.error_list] == ["password_too_short"]
    with pytest.raises(ValidationError):
        validate_password("password1234")  # a common password
    validate_password("Kx7-qr2-Lm9z")  # 12, not common, not numeric


# Templates that would need the policy loosened: an inline script (a <script> without src),
# an inline event handler or hx-on (htmx evaluates it with eval), a style attribute, a
# javascript: URL, or a <style> without the request's nonce. reports/standalone.html is the
# downloaded report file and the PDF's source (never served as a page): its styles are inline.
INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "inline handler": re.compile(r"\s(?:on[a-z]+|hx-on[:\w-]*)\s*=", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "<style> without nonce": re.compile(r"<style(?![^>]*\bnonce=)[^>]*>", re.I),
}
NOT_SERVED = {"reports/templates/reports/standalone.html"}


def test_no_template_needs_inline_script_or_style():
    templates = list(SRC.rglob("templates/**/*.html"))
    assert len(templates) > 50
    found = []
    for path in templates:
        rel = path.relative_to(SRC).as_posix()
        if rel in NOT_SERVED:
            continue
        text = path.read_text(encoding="utf-8")
        found += [f"{rel}: {what}" for what, pattern in INLINE.items() if pattern.search(text)]
    assert not found, "\n".join(found)
