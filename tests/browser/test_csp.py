"""The pages work under the Content-Security-Policy (docs/decisions/0010) in a real browser.

Chromium opens the main pages of every kind of user — sign-in with the language switch, the
portal's submission and case page, a queue, the complaint page, the intake form, the analysis
dashboard with its charts, the admin — and the test fails on any report of a policy violation
(Chromium's console message, or a ``securitypolicyviolation`` event) and on any script error.
On the way it checks that what the scripts moved out of the templates do still happens: the
language switch submits itself, the complaint page's department select narrows its handlers
and a standard reply fills the message, the intake form's suggestion button fills its field
and a platform channel makes the case number required, the dashboard's "show tables" box
shows the tables.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import PASSWORD
from tests.browser.journey import action, open_form, photo, visit
from tests.conftest import make_people

pytestmark = pytest.mark.django_db(transaction=True)

# Every violation also reaches the console through this listener, even one Chromium would
# report only as an event (e.g. from an extension of the policy it does not log).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`
                + ` at ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Watched:
    """Pages whose console and script errors are collected."""

    def __init__(self, screens) -> None:
        self.screens = screens
        self.violations: list[str] = []
        self.errors: list[str] = []

    def page(self, **kw):
        page = self.screens.page(**kw)
        page.context.add_init_script(REPORT_VIOLATIONS)
        page.on("console", lambda msg: self._console(page, msg))
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        return page

    def _console(self, page, msg) -> None:
        text = msg.text
        if "Content Security Policy" in text or "CSP violation" in text:
            self.violations.append(f"{page.url}: {text}")

    def signed_in(self, username: str, login: str = "/accounts/login/"):
        page = self.page()
        visit(page, login)
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("[type=submit]")
        assert "login" not in page.url, f"{username} could not sign in"
        return page


def _visible_handlers(page, select_id: str) -> set[str]:
    return set(
        page.eval_on_selector_all(
            f"#{select_id} option[data-department]:not([hidden])",
            "els => els.map(e => e.dataset.department)",
        )
    )


def test_main_pages_work_under_the_policy(screens, tmp_path):
    from kesu.accounts.models import User
    from kesu.complaints.services.intake import NewComplaint, complaint_create
    from kesu.policy.loader import policy_load

    policy_load("b2b")
    people = make_people()
    User.objects.create_superuser("root", "root@staff.example.cn", PASSWORD)
    complaint, _ = complaint_create(
        data=NewComplaint(
            customer_name="陈建国",
            customer_phone="13816620001",
            channel="email",
            category="late_delivery",
            description="交货期延迟了一周,影响我们的生产安排。",
        ),
        actor=people.agent,
    )
    w = Watched(screens)

    # Sign-in, and the language switch (data-autosubmit instead of onchange=).
    signin = w.page()
    visit(signin, "/accounts/login/")
    assert signin.evaluate("typeof window.htmx") == "object"
    with signin.expect_navigation():
        signin.select_option("select[name=language]", "en")
    assert signin.inner_text("h1") == "Sign in"

    # The portal: submit with a photo, then the private link's page.
    public = w.page()
    visit(public, "/portal/")
    form = public.locator('[data-test="submit-form"]')
    form.locator('[data-test="customer-name"]').fill("王海燕")
    form.locator('[data-test="customer-phone"]').fill("13912345678")
    form.locator('[data-test="category"]').select_option("packaging_damage")
    form.locator('[data-test="description"]').fill("两台设备外包装破损,照片见附件。")
    form.locator('[data-test="files"]').set_input_files(str(photo(tmp_path / "damage.png")))
    with public.expect_navigation():
        form.locator('[data-test="submit"]').click()
    private_url = public.locator('[data-test="private-link"]').get_attribute("href")
    visit(public, private_url)
    public.wait_for_function("() => [...document.images].every(img => img.complete)")
    assert public.locator('[data-test="attachment"] img').count() == 1

    # The agent: a queue, the complaint page's helpers, the intake form's.
    agent = w.signed_in("agent")
    visit(agent, "/console/queue/unassigned/")
    assert agent.locator(f'text="{complaint.number}"').count() >= 1
    visit(agent, f"/console/c/{complaint.number}/")
    dispatch = action(agent, "dispatch")
    open_form(dispatch)
    dispatch.locator("select[name=department]").select_option("logistics")
    assert _visible_handlers(agent, "id_dispatch_handler") == {"logistics"}
    dispatch.locator("select[name=department]").select_option("sales")
    assert _visible_handlers(agent, "id_dispatch_handler") == {"sales"}
    talk = action(agent, "log_communication")
    open_form(talk)
    replies = talk.locator("select[name=template]")
    reply = replies.locator("option[data-text]").first
    replies.select_option(reply.get_attribute("value"))
    text = reply.get_attribute("data-text")
    assert text and talk.locator("textarea[name=summary]").input_value() == text

    visit(agent, "/console/new/")
    case_no = agent.locator("#intake-form [name=platform_case_no]")
    agent.select_option("#intake-form [name=channel]", "platform_12315")
    assert case_no.evaluate("el => el.required") is True
    agent.select_option("#intake-form [name=channel]", "hotline")
    assert case_no.evaluate("el => el.required") is False
    agent.fill("#intake-form [name=description]", "交货期推迟了,我们要找律师。")
    use_level = agent.locator('#suggest-level button[data-fill="level"]')
    use_level.wait_for()  # htmx brought the suggestion in
    use_level.click()
    assert agent.input_value("#intake-form [name=level]") == "A"

    # Quality: the analysis dashboard's charts and its "show tables" box.
    quality = w.signed_in("quality")
    visit(quality, "/console/analysis/")
    assert quality.locator('[data-test="kpis"] svg').count() > 0
    grid = quality.locator("#analysis-grid")
    quality.locator("details:has(input[data-toggle-target]) > summary").click()
    quality.locator("input[data-toggle-target=analysis-grid]").check()
    assert "show-data" in (grid.get_attribute("class") or "")

    # The admin, signed in through its own form.
    admin = w.signed_in("root", login="/admin/login/")
    for path in (
        "/admin/",
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
        f"/admin/accounts/user/{people.agent.pk}/change/",
        "/admin/policy/policy/load/",
    ):
        visit(admin, path)
    admin.locator("#changelist-search, #user_form, form").first.wait_for()

    assert not w.violations, "\n".join(w.violations)
    assert not w.errors, "\n".join(w.errors)
