"""The analysis over HTTP: who may read it (a department manager only their department), the
KPIs and the report data as JSON, business volume per month."""

from __future__ import annotations

import pytest
from django.test import Client

from kesu.accounts.models import ApiToken


def get(user, path, params=None, lang="en"):
    token = ApiToken.issue(user=user, name="t")[1]
    return Client().get(
        f"/api/v1{path}",
        params or {},
        headers={"Authorization": f"Bearer {token}", "Accept-Language": lang},
    )


def put(user, path, body):
    token = ApiToken.issue(user=user, name="t")[1]
    return Client().put(
        f"/api/v1{path}",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_kpis_for_a_month_and_a_range(dataset):
    p = dataset.people
    r = get(p.executive, "/kpis", {"month": "2026-10"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["received"] == 5 and body["timeliness"]["rate"] == pytest.approx(0.7)
    assert body["complaint_rate"]["value"] == pytest.approx(0.005)
    assert body["first_response"] == {"count": 3, "median_hours": 0.333, "p90_hours": 0.467}
    assert {t["key"] for t in body["targets"]} >= {"timeliness", "first_response"}
    same = get(p.quality, "/kpis", {"start": "2026-10-01", "end": "2026-11-01"}).json()
    assert same["received"] == 5
    # A week is not whole months: no complaint rate.
    week = get(p.admin, "/kpis", {"start": "2026-10-12", "end": "2026-10-19"}).json()
    assert (week["received"], week["complaint_rate"]) == (2, None)
    hotline = get(p.executive, "/kpis", {"month": "2026-10", "channel": "hotline"}).json()
    assert hotline["received"] == 1 and hotline["filters"] == {"channel": "hotline"}


def test_who_may_read_the_analysis(dataset):
    p = dataset.people
    # A department manager: their department, whatever they ask for.
    mine = get(p.managers["warehouse"], "/kpis", {"month": "2026-10", "department": "transport"})
    assert mine.status_code == 200 and mine.json()["received"] == 2
    assert mine.json()["filters"]["department"] == "warehouse"
    # The customer-service manager sees everything.
    everything = get(p.managers["customer_service"], "/kpis", {"month": "2026-10"})
    assert everything.json()["received"] == 5
    for user in (p.agent, p.handlers["warehouse"], p.customer):
        assert get(user, "/kpis", {"month": "2026-10"}).status_code == 403
        assert get(user, "/reports/monthly/2026-10").status_code == 403
    assert Client().get("/api/v1/kpis").status_code == 401


def test_bad_input(dataset):
    p = dataset.people
    assert get(p.executive, "/kpis", {"month": "2026-13"}).status_code == 422
    assert get(p.executive, "/kpis").status_code == 422
    r = get(p.executive, "/kpis", {"month": "2026-10", "department": "nowhere"})
    assert r.status_code == 422 and "department" in r.json()["errors"]
    r = get(p.executive, "/kpis", {"start": "2026-10-05", "end": "2026-10-01"})
    assert r.status_code == 422


def test_monthly_report_json(dataset):
    r = get(dataset.people.executive, "/reports/monthly/2026-10")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["month"] == "2026-10" and body["totals"]["received"] == 5
    assert body["repeats"]["total"] == 2 and len(body["trend"]) == 12
    assert body["findings"][0].startswith("2026-10: 5 complaints received")
    assert body["improvement_actions"] == [] and body["audits"] is None
    scoped = get(dataset.people.managers["transport"], "/reports/monthly/2026-10").json()
    assert scoped["totals"]["received"] == 2


def test_business_volume(dataset):
    p = dataset.people
    assert get(p.executive, "/business-volume/2026-11").json()["volume"] is None
    r = put(p.managers["customer_service"], "/business-volume/2026-11", {"volume": 2000})
    assert r.status_code == 200, r.content
    assert r.json() == {"month": "2026-11", "kind": "orders", "department": None, "volume": 2000}
    assert get(p.executive, "/business-volume/2026-11").json()["volume"] == 2000
    # Now November has a complaint rate: 1 received / 2,000 orders.
    assert get(p.executive, "/kpis", {"month": "2026-11"}).json()["complaint_rate"]["value"] == (
        pytest.approx(0.0005)
    )
    r = put(p.admin, "/business-volume/2026-11?kind=waybills&department=transport", {"volume": 5})
    assert r.json()["department"] == "transport"
    assert put(p.quality, "/business-volume/2026-11", {"volume": 1}).status_code == 403
    manager = p.managers["transport"]
    assert put(manager, "/business-volume/2026-11", {"volume": 1}).status_code == 403
    assert put(p.admin, "/business-volume/2026-11", {"volume": -1}).status_code == 422
