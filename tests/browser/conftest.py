"""Browser tests: Playwright driving Debian's Chromium (``KESU_CHROMIUM``, installed by
scripts/ensure-browser.sh) against the app on pytest-django's live server.

Screenshots are always taken (so a broken page fails here); they are written to
``docs/screenshots/`` when ``KESU_SCREENSHOTS=docs/screenshots`` is set — that is how the
committed pictures are refreshed — and to a temporary directory otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("KESU_CHROMIUM", "/usr/bin/chromium")
# The flags a sandboxed, offline machine needs (no first-run, no background connections).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 375, "height": 812}
PASSWORD = "x-test-password-1"  # tests.conftest.make_people


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/test.sh, which installs Debian's chromium")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def shots_dir(tmp_path_factory) -> Path:
    target = os.environ.get("KESU_SCREENSHOTS")
    path = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


class Screens:
    """Opens pages as somebody, at a desktop or phone width, and photographs them."""

    def __init__(self, browser, base_url: str, shots_dir: Path) -> None:
        self.browser = browser
        self.base_url = base_url
        self.shots_dir = shots_dir
        self.contexts: list = []

    def page(self, *, phone: bool = False, lang: str = "zh-CN"):
        ctx = self.browser.new_context(
            viewport=PHONE if phone else DESKTOP,
            locale=lang,
            extra_http_headers={"Accept-Language": lang},
            base_url=self.base_url,
            timezone_id="Asia/Shanghai",
        )
        ctx.set_default_timeout(15_000)
        self.contexts.append(ctx)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors  # type: ignore[attr-defined]
        return page

    def signed_in(self, username: str, *, phone: bool = False, lang: str = "zh-CN"):
        page = self.page(phone=phone, lang=lang)
        page.goto("/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "/accounts/login/" not in page.url, f"{username} could not sign in"
        return page

    def shot(self, page, name: str, *, full_page: bool = True) -> Path:
        path = self.shots_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.close()


@pytest.fixture
def screens(browser, live_server, shots_dir) -> Iterator[Screens]:
    s = Screens(browser, live_server.url, shots_dir)
    yield s
    s.close()


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
