"""Helpers for the browser journeys: a photo to upload, reading the state badge, acting through
the forms the pages offer (by their ``data-test`` hooks), photographing a page at desktop and
phone width, and collecting every page's JavaScript errors."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

from tests.browser.conftest import no_horizontal_scroll

# The state badge: ``<span data-test="state" data-state="…">`` around the badge; the badge's
# own class ``state-<code>`` is the fallback when the wrapper has no ``data-state``.
STATE_JS = """
() => {
  const el = document.querySelector('[data-test="state"]');
  if (!el) return null;
  if (el.dataset.state) return el.dataset.state;
  const badge = el.matches('.state') ? el : el.querySelector('.state');
  const m = badge && badge.className.match(/state-([a-z_]+)/);
  return m ? m[1] : null;
}
"""


def photo(path: Path, width: int = 96, height: int = 72) -> Path:
    """A small real PNG (a colour gradient): the portal checks files by their first bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 140)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return path


def state_of(page) -> str | None:
    return page.evaluate(STATE_JS)


def wait_state(page, expected: str, *, timeout: float = 10_000) -> None:
    """Wait until the page's state badge says ``expected`` (after a full load or an htmx swap)."""
    try:
        page.wait_for_function(f"(want) => ({STATE_JS})() === want", arg=expected, timeout=timeout)
    except Exception as exc:  # the timeout's message says nothing about what was there
        shown = state_of(page)
        errors = page.locator(".msg-error, .error, [role=alert]").all_inner_texts()
        heading = page.locator("h1").all_inner_texts()
        raise AssertionError(
            f"state badge on {page.url} is {shown!r}, expected {expected!r}; "
            f"heading {heading}; messages on the page: {errors}"
        ) from exc


def action(page, name: str):
    """The form of action ``name`` (``data-test="action-<name>"``; the lifecycle's name, with
    underscores or hyphens)."""
    hyphens = name.replace("_", "-")
    return page.locator(f'[data-test="action-{name}"], [data-test="action-{hyphens}"]')


def actions_offered(page) -> set[str]:
    """The lifecycle names of every action form the page shows."""
    names = page.eval_on_selector_all(
        '[data-test^="action-"]', "els => els.map(e => e.dataset.test)"
    )
    return {n.removeprefix("action-").replace("-", "_") for n in names}


def open_form(form) -> None:
    """Open the ``<details>`` an action form sits in (the page shows them closed)."""
    form.evaluate(
        """el => {
          for (let d = el.closest('details'); d; d = d.parentElement?.closest('details')) {
            d.open = true;
          }
        }"""
    )


def fill(form, values: dict[str, object]) -> None:
    """Fill the fields of ``form`` by their ``name``: text, textarea, select, radio, checkbox."""
    for name, value in values.items():
        field = form.locator(f'[name="{name}"]')
        if field.count() == 0:
            raise AssertionError(f"no field {name!r} in {form}")
        first = field.first
        tag = first.evaluate("el => el.tagName.toLowerCase()")
        kind = (first.get_attribute("type") or "").lower()
        if tag == "select":
            first.select_option(str(value))
        elif kind == "radio":
            form.locator(f'[name="{name}"][value="{value}"]').check()
        elif kind == "checkbox":
            if value:
                first.check()
            else:
                first.uncheck()
        elif kind == "file":
            first.set_input_files(value)
        else:
            first.fill(str(value))


def submit(page, form, *, expect_state: str | None = None) -> None:
    """Press the form's submit button and wait for the result: the region htmx swaps in, or
    the next page. A refusal (4xx/5xx) fails with what the page says."""
    target = form if form.evaluate("el => el.tagName") == "FORM" else form.locator("form").first
    htmx = target.get_attribute("hx-post") is not None
    if htmx:
        page.evaluate(
            """() => {
              window.__kesuSettled = false;
              document.body.addEventListener(
                'htmx:afterSettle', () => { window.__kesuSettled = true; }, {once: true});
            }"""
        )
    button = target.locator("button[type=submit], input[type=submit], button:not([type])").first
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        button.click()
    response = posted.value
    if response.status >= 400:
        page.wait_for_load_state("networkidle")
        shown = page.locator(".msg-error, .error, [role=alert], .action-errors").all_inner_texts()
        raise AssertionError(
            f"POST {response.url} answered {response.status}; on the page: "
            f"{[t for t in shown if t.strip()]}"
        )
    if htmx:
        page.wait_for_function("() => window.__kesuSettled === true")
    else:
        page.wait_for_load_state("networkidle")
    if expect_state:
        wait_state(page, expect_state)


def act(page, name: str, values: dict[str, object] | None = None, *, expect_state: str):
    """Do action ``name`` on the complaint page through its form."""
    form = action(page, name)
    assert form.count() == 1, (
        f"{page.url} offers no form action-{name}: {sorted(actions_offered(page))}"
    )
    open_form(form)
    fill(form, values or {})
    submit(page, form, expect_state=expect_state)


def settle_images(page) -> None:
    """Load the lazy images too (a full-page picture does not scroll to them) and wait for
    every image, so a picture shows the thumbnails the page has."""
    page.evaluate(
        """() => document.querySelectorAll('img[loading="lazy"]')
                 .forEach(img => { img.loading = 'eager'; })"""
    )
    page.wait_for_function("() => [...document.images].every(img => img.complete)")


class Album:
    """Photographs pages, and the same page again at phone width, checking the phone layout."""

    def __init__(self, screens) -> None:
        self.screens = screens

    def desktop(self, page, name: str) -> None:
        settle_images(page)
        self.screens.shot(page, f"{name}-desktop")

    def phone(self, page, name: str) -> None:
        settle_images(page)
        self.screens.shot(page, f"{name}-phone")
        assert no_horizontal_scroll(page), (
            f"{name}: the page scrolls sideways at 375 px; too wide: {overflowing(page)}"
        )


def overflowing(page) -> list[str]:
    """The innermost elements that reach past the right edge of the window (for the message)."""
    return page.evaluate(
        """() => {
          const w = window.innerWidth;
          const clipped = el => {
            for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
              if (getComputedStyle(p).overflowX !== 'visible') return true;
            }
            return false;
          };
          const wide = [...document.querySelectorAll('body *')].filter(
            el => el.getBoundingClientRect().right > w + 1 && !clipped(el));
          const innermost = wide.filter(el => !wide.some(o => o !== el && el.contains(o)));
          return innermost.slice(0, 8).map(el => {
            const r = el.getBoundingClientRect();
            const id = el.dataset.test ? `[data-test=${el.dataset.test}]` : '';
            const cls = el.className && typeof el.className === 'string'
              ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
            return `${el.tagName.toLowerCase()}${cls}${id} right=${Math.round(r.right)}`;
          });
        }"""
    )


def no_js_errors(*pages) -> None:
    for page in pages:
        assert not page.js_errors, f"JavaScript errors on {page.url}: {page.js_errors}"


def number_from(text: str) -> str:
    found = re.search(r"[A-Z]+-\d{8}-\d{4}", text)
    assert found, f"no complaint number in {text!r}"
    return found.group(0)


def visit(page, path: str) -> None:
    """Open ``path`` and insist that the page exists and loaded without a server error."""
    response = page.goto(path)
    assert response is not None, path
    assert response.status == 200, f"GET {path} answered {response.status} ({page.url})"
