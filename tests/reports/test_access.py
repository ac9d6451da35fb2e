"""Who may open the analysis pages and report files (the analysis access rule): executives,
quality, administrators and the customer-service manager everything; a department manager
their department; agents, handlers and customers nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from kesu.accounts.models import ApiToken
from kesu.reports.models import ReportRun

PAGES = [
    "/console/analysis/",
    "/console/analysis/?month=2026-10&category=damage",
    "/console/analysis/complaints/?category=damage",
    "/console/reports/",
    "/console/reports/monthly/2026-10/",
]


def client_for(user) -> Client:
    c = Client(headers={"Accept-Language": "zh-hans"})
    c.force_login(user)
    return c


@pytest.mark.parametrize("page", PAGES)
def test_allowed_roles_see_the_pages(october, page):
    p = october.people
    for user in (
        p.executive,
        p.quality,
        p.admin,
        p.managers["operations"],
        p.managers["customer_service"],
    ):
        response = client_for(user).get(page)
        assert response.status_code == 200, (user.username, page, response.status_code)


@pytest.mark.parametrize("page", PAGES)
def test_other_roles_are_refused(october, page):
    p = october.people
    for user in (p.agent, p.handlers["operations"], p.customer):
        assert client_for(user).get(page).status_code == 403, (user.username, page)


def test_analysis_page_has_charts_linking_to_the_list(october):
    html = client_for(october.people.executive).get("/console/analysis/?month=2026-10").content
    html = html.decode()
    for key in ("overview", "by_category", "by_department", "root_causes", "heat"):
        assert f'data-test="chart-{key}"' in html
    assert (
        "/console/analysis/complaints/?received_from=2026-10-01&amp;received_to=2026-10-31" in html
    )
    assert 'role="img"' in html and "<desc" in html


def test_drill_down_list_filters_and_respects_the_department(october):
    p = october.people
    url = (
        "/console/analysis/complaints/"
        "?category=damage&received_from=2026-10-01&received_to=2026-10-31"
    )
    html = client_for(p.executive).get(url).content.decode()
    assert sum(n in html for n in october.numbers) == 3
    # A department manager sees only their department: quality has none of them.
    html = client_for(p.managers["quality"]).get(url).content.decode()
    assert not any(n in html for n in october.numbers)


def test_department_manager_gets_their_department_whatever_they_ask(october):
    manager = october.people.managers["operations"]
    page = client_for(manager).get("/console/reports/monthly/2026-10/?department=quality")
    assert page.status_code == 200
    assert page.context["department"].code == "operations"


def _api(user):
    raw = ApiToken.issue(user=user, name="t")[1]
    return Client(headers={"Authorization": f"Bearer {raw}", "Accept-Language": "zh-hans"})


@pytest.mark.parametrize(("fmt", "kind"), [("pdf", "application/pdf"), ("html", "text/html")])
def test_api_files(october, fmt, kind):
    response = _api(october.people.executive).get(f"/api/v1/reports/monthly/2026-10.{fmt}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(kind)
    assert f"kesu-monthly-2026-10.{fmt}" in response["Content-Disposition"]
    run = ReportRun.objects.get()
    assert (run.source, run.generated_by) == ("download", october.people.executive)


def test_api_refuses_handlers_and_narrows_managers(october):
    p = october.people
    assert (
        _api(p.handlers["operations"]).get("/api/v1/reports/monthly/2026-10.xlsx").status_code
        == 403
    )
    response = _api(p.managers["operations"]).get("/api/v1/reports/monthly/2026-10.xlsx")
    assert response.status_code == 200
    assert "kesu-monthly-2026-10-operations.xlsx" in response["Content-Disposition"]
    assert _api(p.executive).get("/api/v1/reports/monthly/2026-13.xlsx").status_code == 422


def test_kept_files_follow_the_rule(october):
    p = october.people
    _api(p.executive).get("/api/v1/reports/monthly/2026-10.xlsx")
    run = ReportRun.objects.get()
    assert client_for(p.executive).get(f"/console/reports/files/{run.pk}/").status_code == 200
    assert (
        client_for(p.managers["operations"]).get(f"/console/reports/files/{run.pk}/").status_code
        == 404
    )
    listing = client_for(p.executive).get("/console/reports/").content.decode()
    assert f"/console/reports/files/{run.pk}/" in listing
