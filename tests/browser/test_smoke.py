"""The browser setup itself: Chromium starts, static files and htmx load, Chinese renders."""

from __future__ import annotations

import pytest

from tests.browser.conftest import no_horizontal_scroll

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_in_page_in_chinese_and_english(screens):
    page = screens.page()
    page.goto("/accounts/login/")
    assert page.evaluate("typeof window.htmx") == "object"  # htmx from PyPI, served locally
    # The stylesheet applied: the top bar is dark.
    bar = page.eval_on_selector(".topbar", "el => getComputedStyle(el).backgroundColor")
    assert bar == "rgb(36, 41, 47)"
    assert "登录" in page.inner_text("h1")
    screens.shot(page, "sign-in-zh")
    page.select_option("select[name=language]", "en")
    page.wait_for_load_state("networkidle")
    assert page.inner_text("h1") == "Sign in"
    assert not page.js_errors


def test_sign_in_fits_a_phone(screens):
    page = screens.page(phone=True)
    page.goto("/accounts/login/")
    assert no_horizontal_scroll(page)
    screens.shot(page, "sign-in-phone")
