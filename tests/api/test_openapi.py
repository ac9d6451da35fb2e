"""The OpenAPI document is served, valid JSON, and describes every operation."""

from __future__ import annotations

import json

from django.urls import reverse

from kesu.api import api
from kesu.complaints.lifecycle import ACTIONS

# Action name → the path segment after /complaints/{number}/ that performs it.
ACTION_PATHS = {
    "dispatch": "dispatch",
    "accept": "accept",
    "request_info": "request-info",
    "provide_info": "provide-info",
    "propose_solution": "solution",
    "approve_solution": "solution/approve",
    "refuse_solution": "solution/refuse",
    "report_resolved": "resolve",
    "pass_review": "review/pass",
    "return_for_rework": "review/return",
    "record_callback": "callbacks",
    "rate": "rate",
    "reopen": "reopen",
    "reject": "reject",
    "merge": "merge",
    "acknowledge": "acknowledge",
    "reassign": "reassign",
    "change_level": "level",
    "add_note": "notes",
    "add_info": "info",
    "log_communication": "communications",
    "add_attachment": "attachments",
    "set_root_cause": "root-cause",
    "add_task": "tasks",
    "complete_task": "tasks/{task_id}/complete",
    "complete_action": "actions/{action_id}/complete",
    "record_meeting": "meetings",
    "request_extension": "extensions",
    "decide_extension": "extensions/{extension_id}/decide",
}


def test_openapi_document(client, db):
    url = reverse("api:openapi-json")
    assert url == "/api/v1/openapi.json"
    r = client.get(url)
    assert r.status_code == 200
    doc = json.loads(r.content)
    assert doc["openapi"].startswith("3.")
    assert doc["info"] == {
        "title": "kesu",
        "version": "1",
        "description": doc["info"]["description"],
    }
    paths = doc["paths"]
    prefix = "/api/v1/complaints/{number}/"
    expected = {prefix + p for p in ACTION_PATHS.values()} | {
        "/api/v1/complaints",
        "/api/v1/complaints/{number}",
        "/api/v1/complaints/{number}/timeline",
        "/api/v1/complaints/{number}/portal-link",
        "/api/v1/policy",
        "/api/v1/me",
        "/api/v1/batch-alerts",
        "/api/v1/batch-alerts/{alert_id}",
        "/api/v1/batch-alerts/{alert_id}/measures",
        "/api/v1/batch-alerts/{alert_id}/measures/{measure_id}/done",
        "/api/v1/batch-alerts/{alert_id}/close",
        "/api/v1/notifications",
        "/api/v1/reports/monthly/{month}.pdf",
        "/api/v1/reports/monthly/{month}.xlsx",
        "/api/v1/reports/monthly/{month}.html",
        "/api/v1/notifications/read",
        "/api/v1/imports",
        "/api/v1/imports/template.xlsx",
        "/api/v1/imports/template.csv",
        "/api/v1/kpis",
        "/api/v1/reports/monthly/{month}",
        "/api/v1/business-volume/{month}",
        "/api/v1/improvement/actions",
        "/api/v1/improvement/actions/{action_id}",
        "/api/v1/improvement/actions/{action_id}/start",
        "/api/v1/improvement/actions/{action_id}/complete",
        "/api/v1/improvement/actions/{action_id}/effect",
        "/api/v1/improvement/actions/{action_id}/verdict",
        "/api/v1/improvement/actions/{action_id}/cancel",
        "/api/v1/improvement/audits",
        "/api/v1/improvement/audits/{audit_id}",
        "/api/v1/improvement/audits/{audit_id}/items/{item_id}/score",
        "/api/v1/improvement/audits/{audit_id}/complete",
        "/api/v1/customers/lookup",
        "/api/v1/customers/{customer_id}/export",
        "/api/v1/customers/{customer_id}/erase",
    }
    assert set(paths) == expected
    operation_ids = [op["operationId"] for item in paths.values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))
    for item in paths.values():
        for op in item.values():
            assert op.get("tags"), op["operationId"]
            assert op.get("security"), op["operationId"]
    schemes = doc["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} >= {"http", "apiKey"}


def test_every_lifecycle_action_has_an_endpoint():
    assert set(ACTION_PATHS) == set(ACTIONS)
    urls = {str(p.pattern) for p in api.urls[0]}
    for segment in ACTION_PATHS.values():
        django_path = "complaints/<number>/" + segment.replace("{", "<").replace("}", ">")
        assert django_path in urls, segment


def test_docs_page_never_loads_from_a_cdn(client, db, settings):
    r = client.get("/api/v1/docs")
    if r.status_code == 200:
        assert b"cdn." not in r.content
    else:
        assert r.status_code == 404


def test_docs_page_is_served_locally_with_ninja_installed(client, db, settings):
    assert "ninja" in settings.INSTALLED_APPS  # serves its Swagger UI files, no CDN
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    assert b"/static/ninja/swagger-ui-bundle.js" in r.content
    assert b"cdn." not in r.content and b"https://" not in r.content


def test_schema_names_are_unique():
    """OpenAPI components are named after the schema class: two classes of one name in two
    modules silently share one component, and one operation then documents the other's body."""
    import pkgutil
    from importlib import import_module

    from ninja import Schema

    import kesu.api

    for info in pkgutil.iter_modules(kesu.api.__path__):
        import_module(f"kesu.api.{info.name}")
    seen: dict[str, str] = {}
    clashes = []

    def walk(cls):
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("kesu."):
                where = f"{sub.__module__}.{sub.__qualname__}"
                if seen.setdefault(sub.__name__, where) != where:
                    clashes.append(f"{sub.__name__}: {seen[sub.__name__]} and {where}")
            walk(sub)

    walk(Schema)
    assert clashes == []
