"""A complaint's whole journey in the browser, for two presets (issue 3).

A member of the public submits a complaint with a photo on the portal and keeps the number and
the private link; an agent finds it in the unassigned queue, grades and dispatches it; the
handler accepts it, records the root cause and proposes a solution above their approval limit;
the department's manager approves it; the handler reports it resolved (recycling: an agent
passes the review); the first callback finds the customer not satisfied, so the case goes back
to investigating as round 2; round 2's solution (within the handler's limit) is carried out and
the second callback closes it.

``b2b`` (seed 001, no review step): agent2 records the unsatisfied callback in the console,
the customer rates round 2 satisfied on the portal. ``recycling`` (seed 003, review step): the
customer answers the portal survey not satisfied, agent2 records round 2's satisfied callback.

At every step: the state badge, the actions each person is offered (none they may not use), and
no JavaScript error on any page. The b2b journey photographs the main pages at desktop and phone
width (docs/screenshots/ when KESU_SCREENSHOTS is set) and one page in English.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from tests.browser.journey import (
    Album,
    act,
    action,
    actions_offered,
    fill,
    no_js_errors,
    number_from,
    open_form,
    photo,
    submit,
    visit,
    wait_state,
)
from tests.conftest import make_people

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass(frozen=True)
class Journey:
    preset: str
    category: str  # portal category: routed to ``department``
    department: str
    level: str
    above_limit: str  # round 1: above the handler's limit, within the manager's
    within_limit: str  # round 2: within the handler's limit
    review: bool
    console_callback_first: bool  # round 1 callback in the console (else on the portal)
    photos: bool  # the screenshot set (one preset is enough)
    description: str
    demand: str


B2B = Journey(
    preset="b2b",
    category="packaging_damage",
    department="logistics",
    level="C",
    # b2b.yaml approval_tiers: handler ≤ 2,000, manager ≤ 20,000, executive above.
    above_limit="5000",
    within_limit="800",
    review=False,
    console_callback_first=True,
    photos=True,
    description="11月18日收到的两台设备外包装破损,其中一台机壳有明显凹痕,照片见附件。",
    demand="更换受损设备并改进包装",
)
RECYCLING = Journey(
    preset="recycling",
    category="product_quality",
    department="quality",
    level="general",
    # recycling.yaml approval_tiers: handler ≤ 1,000, manager ≤ 10,000, executive above.
    above_limit="3000",
    within_limit="600",
    review=True,
    console_callback_first=False,
    photos=False,
    description="本批再生铝锭杂质含量超标,纯度达不到合同约定的99.7%,检测照片见附件。",
    demand="退换不合格批次",
)

# Actions nobody but the named roles may take; a page offering them to anyone else is wrong.
APPROVAL = {"approve_solution", "refuse_solution"}
CALLBACK = {"record_callback"}
REVIEW = {"pass_review", "return_for_rework"}


@contextmanager
def step(name: str):
    """Name the journey's step in any failure, so a report can say which step broke."""
    try:
        yield
    except Exception as exc:
        raise AssertionError(f"[step: {name}] {type(exc).__name__}: {exc}") from exc


@pytest.mark.parametrize("journey", [B2B, RECYCLING], ids=lambda j: j.preset)
def test_complaint_journey(screens, tmp_path, journey: Journey):
    from kesu.policy.loader import policy_load

    policy_load(journey.preset)
    make_people()
    album = Album(screens)
    dept = journey.department
    handler_name, manager_name = f"h_{dept}", f"m_{dept}"
    pages = []

    def signed_in(username: str, **kw):
        page = screens.signed_in(username, **kw)
        pages.append(page)
        return page

    # --- 1. a member of the public submits a complaint with a photo -------------------------
    with step("1 portal: submit with a photo"):
        if journey.photos:
            signin = screens.page()
            pages.append(signin)
            visit(signin, "/accounts/login/")
            album.desktop(signin, "sign-in")
            signin_phone = screens.page(phone=True)
            pages.append(signin_phone)
            visit(signin_phone, "/accounts/login/")
            album.phone(signin_phone, "sign-in")

        public = screens.page()
        pages.append(public)
        visit(public, "/portal/")
        form = public.locator('[data-test="submit-form"]')
        form.locator('[data-test="customer-name"]').fill("王海燕")
        form.locator('[data-test="customer-company"]').fill("苏州海燕精密机械有限公司")
        form.locator('[data-test="customer-phone"]').fill("13912345678")
        form.locator('[data-test="customer-email"]').fill("wang.haiyan@example.cn")
        form.locator('[data-test="category"]').select_option(journey.category)
        form.locator('[data-test="description"]').fill(journey.description)
        form.locator('[data-test="demand"]').fill(journey.demand)
        form.locator('[data-test="order-no"]').fill("SO-2026-1118")
        form.locator('[data-test="files"]').set_input_files(str(photo(tmp_path / "damage.png")))
        if journey.photos:
            album.desktop(public, "portal-submit")
            submit_phone = screens.page(phone=True)
            pages.append(submit_phone)
            visit(submit_phone, "/portal/")
            album.phone(submit_phone, "portal-submit")
        with public.expect_navigation():
            form.locator('[data-test="submit"]').click()
        sent = public.locator('[data-test="sent"]')
        assert sent.count() == 1, f"no receipt after submitting: {public.url}"
        number = number_from(public.locator('[data-test="complaint-number"]').inner_text())
        link = public.locator('[data-test="private-link"]')
        private_url = link.get_attribute("href")
        assert private_url and "/portal/c/" in private_url
        assert "/portal/c/" in link.inner_text()  # the full link is written out to keep
        if journey.photos:
            album.desktop(public, "portal-success")
            sent_phone = screens.page(phone=True)
            pages.append(sent_phone)
            visit(sent_phone, public.url)
            album.phone(sent_phone, "portal-success")

    with step("1 portal: the private link shows the complaint, received, with the photo"):
        visit(public, private_url)
        assert public.locator('[data-test="complaint-number"]').inner_text().strip() == number
        wait_state(public, "received")
        assert public.locator('[data-test="attachment"] img').count() == 1  # the photo
        assert public.locator('[data-test="rate-form"]').count() == 0
        assert public.locator('[data-test="reopen-form"]').count() == 0
        no_js_errors(public)

    # --- 2. an agent finds it in the unassigned queue, grades and dispatches it -------------
    with step("2 agent: unassigned queue"):
        agent = signed_in("agent")
        assert "/console/queue/unassigned/" in agent.url, agent.url
        row = agent.locator(f'[data-test="row"][data-number="{number}"]')
        assert row.count() == 1, f"{number} is not in the agent's unassigned queue"
        assert row.get_attribute("data-state") == "received"
        if journey.photos:
            album.desktop(agent, "console-queue")
            agent_phone = signed_in("agent", phone=True)
            album.phone(agent_phone, "console-queue")
            for page, shoot in ((agent, album.desktop), (agent_phone, album.phone)):
                visit(page, "/console/")
                tile = page.locator('[data-test="tile-unassigned"]')
                assert tile.get_attribute("data-count") == "1"
                shoot(page, "console-dashboard")
            visit(agent, "/console/queue/unassigned/")
        with agent.expect_navigation():
            agent.locator(
                f'[data-test="row"][data-number="{number}"] [data-test="row-link"]'
            ).click()
        wait_state(agent, "received")
        # The customer's photo, as the portal stored it.
        assert agent.locator('[data-test="attachment-preview"]').count() == 1
        offered = actions_offered(agent)
        assert "dispatch" in offered, offered
        assert not offered & (APPROVAL | CALLBACK | REVIEW | {"accept", "propose_solution"})

    with step("2 agent: grade and dispatch to the department and its handler"):
        handler_id = _user_id(handler_name)
        act(
            agent,
            "dispatch",
            {"department": dept, "handler": handler_id, "level": journey.level},
            expect_state="assigned",
        )
        assert "dispatch" not in actions_offered(agent)
        no_js_errors(agent)

    # --- 3. the handler accepts, investigates, proposes above their limit -------------------
    with step("3 handler: accept"):
        handler = signed_in(handler_name)
        visit(handler, f"/console/c/{number}/")
        wait_state(handler, "assigned")
        offered = actions_offered(handler)
        assert "accept" in offered, offered
        assert not offered & (APPROVAL | CALLBACK | REVIEW | {"dispatch"})
        act(handler, "accept", expect_state="investigating")

    with step("3 handler: root cause"):
        act(
            handler,
            "set_root_cause",
            {
                "root_cause": "operation_error",
                "root_cause_text": "装车时未按规定加固,运输途中碰撞",
                "findings": "仓库出库照片显示包装完好,承运商交接记录有碰撞记载",
            },
            expect_state="investigating",
        )

    with step("3 handler: propose a solution above the handler's limit"):
        _propose(handler, "更换受损设备,补偿客户损失", journey.above_limit)
        wait_state(handler, "pending_approval")
        pending = handler.locator('[data-test="solution"][data-status="pending_approval"]')
        assert pending.count() == 1
        offered = actions_offered(handler)
        assert not offered & APPROVAL, f"the proposer is offered to approve: {offered}"
        no_js_errors(handler)

    # --- 4. the department manager approves --------------------------------------------------
    with step("4 manager: approve"):
        manager = signed_in(manager_name)
        visit(manager, f"/console/c/{number}/")
        wait_state(manager, "pending_approval")
        assert actions_offered(manager) >= APPROVAL, actions_offered(manager)
        act(
            manager,
            "approve_solution",
            {"reason": "金额在部门审批权限内,同意"},
            expect_state="resolving",
        )
        assert not actions_offered(manager) & APPROVAL
        no_js_errors(manager)

    # --- 5. the handler reports it resolved (recycling: an agent passes the review) ---------
    with step("5 handler: report resolved"):
        visit(handler, f"/console/c/{number}/")
        wait_state(handler, "resolving")
        act(
            handler,
            "report_resolved",
            {"summary": "新设备已送达并签收"},
            expect_state="pending_review" if journey.review else "pending_callback",
        )
        assert not actions_offered(handler) & (CALLBACK | REVIEW)

    if journey.review:
        with step("5 agent: pass the review"):
            visit(agent, f"/console/c/{number}/")
            wait_state(agent, "pending_review")
            assert actions_offered(agent) >= REVIEW, actions_offered(agent)
            act(
                agent,
                "pass_review",
                {"note": "处理记录齐全,符合标准"},
                expect_state="pending_callback",
            )
            assert not actions_offered(agent) & REVIEW

    with step("5 nobody but customer service is offered the callback"):
        visit(handler, f"/console/c/{number}/")
        wait_state(handler, "pending_callback")
        assert not actions_offered(handler) & CALLBACK, actions_offered(handler)
        visit(manager, f"/console/c/{number}/")
        assert not actions_offered(manager) & CALLBACK, actions_offered(manager)
        no_js_errors(handler, manager)

    # --- 6/7. first callback: not satisfied → round 2 ----------------------------------------
    agent2 = signed_in("agent2")
    if journey.console_callback_first:
        with step("7 agent2: callback, customer not satisfied → round 2"):
            visit(agent2, f"/console/c/{number}/")
            wait_state(agent2, "pending_callback")
            assert actions_offered(agent2) >= CALLBACK, actions_offered(agent2)
            _callback(agent2, accepted=False, expect_state="investigating")
    else:
        with step("7 customer: portal survey, not satisfied → round 2"):
            visit(public, private_url)
            wait_state(public, "pending_callback")
            if journey.photos:
                album.desktop(public, "portal-case")
            _rate(public, accepted=False)
            wait_state(public, "investigating")
            assert public.locator('[data-test="round"]').count() == 1
            assert public.locator('[data-test="rate-form"]').count() == 0
            no_js_errors(public)

    with step("7 round 2: shown as reopened, back with the handler"):
        visit(handler, f"/console/c/{number}/")
        wait_state(handler, "investigating")
        assert handler.locator('[data-test="reopened"]').count() == 1
        assert "2" in handler.locator('[data-test="round"]').inner_text()
        assert "propose_solution" in actions_offered(handler)
        assert not actions_offered(handler) & (APPROVAL | CALLBACK | REVIEW)
        visit(public, private_url)
        wait_state(public, "investigating")
        assert "2" in public.locator('[data-test="round"]').inner_text()

    with step("7 round 2: solution within the handler's limit, carried out at once"):
        _propose(handler, "补发缓冲包装材料并上门检查设备", journey.within_limit)
        wait_state(handler, "resolving")
        act(
            handler,
            "report_resolved",
            {"summary": "已上门检查,设备运行正常"},
            expect_state="pending_review" if journey.review else "pending_callback",
        )
        if journey.review:
            visit(agent, f"/console/c/{number}/")
            act(agent, "pass_review", {"note": "二次处理记录齐全"}, expect_state="pending_callback")

    # --- 6. the second callback closes it -----------------------------------------------------
    if journey.console_callback_first:
        with step("6 customer: portal survey, satisfied → closed"):
            visit(public, private_url)
            wait_state(public, "pending_callback")
            assert public.locator('[data-test="rate-form"]').count() == 1
            if journey.photos:
                album.desktop(public, "portal-case")
                case_phone = screens.page(phone=True)
                pages.append(case_phone)
                visit(case_phone, private_url)
                album.phone(case_phone, "portal-case")
            _rate(public, accepted=True)
            wait_state(public, "closed")
            assert public.locator('[data-test="rate-form"]').count() == 0
            assert public.locator('[data-test="ratings"]').count() == 1
            # Within the reopen window the customer may still ask for secondary handling.
            assert public.locator('[data-test="reopen-form"]').count() == 1
    else:
        with step("6 agent2: callback, customer satisfied → closed"):
            visit(agent2, f"/console/c/{number}/")
            wait_state(agent2, "pending_callback")
            assert actions_offered(agent2) >= CALLBACK, actions_offered(agent2)
            _callback(agent2, accepted=True, expect_state="closed")
            visit(public, private_url)
            wait_state(public, "closed")

    with step("6 closed: nobody is offered a lifecycle step any more"):
        visit(agent2, f"/console/c/{number}/")
        wait_state(agent2, "closed")
        assert not actions_offered(agent2) & (CALLBACK | APPROVAL | REVIEW | {"dispatch"})
        timeline = agent2.locator('[data-test="timeline"]')
        assert timeline.count() == 1, "the complaint page has no timeline"
        kinds = timeline.locator('[data-test="timeline-item"]').evaluate_all(
            "items => items.map(i => i.dataset.kind)"
        )
        for kind in ("created", "attachment", "solution", "approval", "root_cause"):
            assert kind in kinds, (kind, kinds)
        assert kinds.count("callback") == 2, kinds  # one per round
        answers = agent2.locator('[data-test="callback"]').evaluate_all(
            "rows => rows.map(r => r.dataset.accepted)"
        )
        assert sorted(answers) == ["no", "yes"], answers
        solutions = agent2.locator('[data-test="solution"]').evaluate_all(
            "els => els.map(e => e.dataset.status)"
        )
        assert solutions == ["approved", "approved"], solutions
        if journey.photos:
            album.desktop(agent2, "console-complaint")
            visit(agent_phone, f"/console/c/{number}/")
            wait_state(agent_phone, "closed")
            album.phone(agent_phone, "console-complaint")

    if journey.photos:
        with step("English: the language switch on the complaint page"):
            english = signed_in("agent2")
            visit(english, f"/console/c/{number}/")
            with english.expect_navigation():
                english.select_option("select[name=language]", "en")
            assert english.evaluate("document.documentElement.lang") == "en"
            wait_state(english, "closed")
            assert "Closed" in english.locator('[data-test="state"]').inner_text()
            album.desktop(english, "console-complaint-en")

    if journey.photos:
        with step("console: the intake form"):
            for page, shoot in ((agent, album.desktop), (agent_phone, album.phone)):
                visit(page, "/console/new/")
                assert page.locator('[data-test="intake-form"]').count() == 1, "no intake form"
                shoot(page, "console-intake")

    with step("no JavaScript errors on any page"):
        no_js_errors(*pages)


# --- the forms -------------------------------------------------------------------------------


def _user_id(username: str) -> str:
    from kesu.accounts.models import User

    return str(User.objects.get(username=username).pk)


def _propose(page, summary: str, amount: str) -> None:
    """The solution form: the summary and one compensation action carrying the amount."""
    form = action(page, "propose_solution")
    assert form.count() == 1, f"no solution form: {sorted(actions_offered(page))}"
    open_form(form)
    fill(
        form,
        {
            "summary": summary,
            "kind_1": "compensation",
            "description_1": summary,
            "amount_1": amount,
        },
    )
    submit(page, form)


def _callback(page, *, accepted: bool, expect_state: str) -> None:
    """The callback form: reached, both ratings, accepted or not, notes."""
    act(
        page,
        "record_callback",
        {
            "reached": "yes",
            "outcome_rating": "5" if accepted else "2",
            "process_rating": "4" if accepted else "3",
            "accepted": "yes" if accepted else "no",
            "notes": "客户确认满意" if accepted else "客户认为补偿不足,要求重新处理",
        },
        expect_state=expect_state,
    )


def _rate(page, *, accepted: bool) -> None:
    form = page.locator('[data-test="rate-form"]')
    assert form.count() == 1, "the portal offers no survey"
    form.locator(f'input[name="outcome_rating"][value="{5 if accepted else 2}"]').check()
    form.locator(f'input[name="process_rating"][value="{5 if accepted else 3}"]').check()
    form.locator(f'input[name="accepted"][value="{"yes" if accepted else "no"}"]').check()
    form.locator('[data-test="rate-comment"]').fill(
        "设备已正常使用,感谢" if accepted else "补偿不足,希望重新处理"
    )
    submit(page, form)
