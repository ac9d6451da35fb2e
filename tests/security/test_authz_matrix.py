"""The authorization matrix (issue 7): every URL of the site and every operation of the API,
sent as each role (anonymous, customer A and B, an agent, a handler and a manager of each of
two departments, the customer-service manager, quality, an executive and an admin), gets
exactly what SPEC §1 allows. The roles, the world and the expectations: ``authz_cases``.

Each request is judged on its status (and a redirect's target), on its answer holding none of
the role's secrets (numbers, names and phones of complaints it may not see; for customers,
internal notes and files; other departments' improvement actions and batch alerts), and,
unless it is a GET, on the data staying as it was: a refused request is sent as the real thing,
an allowed one as a harmless probe. Every mismatch is listed as
``ROLE METHOD URL: expected X got Y``.

``test_every_url_and_operation_has_cases`` fails when a URL or an API operation is added
without its entry in ``authz_cases.PAGES`` / ``OPERATIONS`` (or a reasoned ``EXEMPT``).

Figures (the test prints them): 12 roles; 52 URL entries (the Django admin as one) give 1,672
URL × role checks (1,081 GET, 591 writes); 69 API operations give 1,315 operation × role
checks (580 GET, 735 writes).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import pytest
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver

from kesu.analysis.models import BusinessVolume
from kesu.api import api
from kesu.complaints.lifecycle import ACTIONS
from kesu.complaints.models import (
    Attachment,
    BatchAlert,
    Complaint,
    Customer,
    EmergencyMeasure,
    Event,
)
from kesu.complaints.queues import QUEUES
from kesu.improvement.models import (
    ActionAttachment,
    ActionEvent,
    Audit,
    AuditEvent,
    ImprovementAction,
)
from kesu.web.rate import parse_rate
from tests.console.conftest import console, frozen  # noqa: F401  (fixtures)
from tests.improvement.conftest import Improvement
from tests.security import authz_cases as cases
from tests.security.authz_cases import ANON, ROLES, Check, Expect, World

# --- every URL and operation has its entry -------------------------------------------------


def _routes() -> list[tuple[str, str]]:
    """(name, route) of every URL pattern; an unnamed one as ``route:<its route>``."""
    found: list[tuple[str, str]] = []

    def walk(resolver: URLResolver, ns: str, prefix: str) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                walk(p, ns + (f"{p.namespace}:" if p.namespace else ""), prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                found.append((ns + p.name if p.name else f"route:{route}", route))

    walk(get_resolver(), "", "")
    return found


def _operations() -> dict[str, tuple[str, str]]:
    """operationId → (METHOD, path) of the served OpenAPI document."""
    schema = api.get_openapi_schema()
    return {
        op["operationId"]: (method.upper(), path)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
    }


def _as_schema_path(route: str) -> str:
    """A Django route of the API as the OpenAPI document writes it."""
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def test_every_url_and_operation_has_cases():
    operations = _operations()
    operation_paths = {path for _method, path in operations.values()}
    wanted = set()
    for name, route in _routes():
        if name.startswith(("admin:", "route:admin/")):
            wanted.add("admin")  # one entry: only admins get into the Django admin
        elif name.startswith("api:") and _as_schema_path(route) in operation_paths:
            continue  # an operation: OPERATIONS has it
        else:
            wanted.add(name)
    registered = set(cases.PAGES) | set(cases.EXEMPT)
    missing = wanted - registered
    assert not missing, f"URLs with no authorization case: {sorted(missing)}"
    stale = registered - wanted
    assert not stale, f"authorization cases for URLs that no longer exist: {sorted(stale)}"
    missing_ops = set(operations) - set(cases.OPERATIONS)
    assert not missing_ops, f"API operations with no authorization case: {sorted(missing_ops)}"
    stale_ops = set(cases.OPERATIONS) - set(operations)
    assert not stale_ops, f"authorization cases for operations that are gone: {sorted(stale_ops)}"
    # The variants inside a URL: every queue, every action of the table, every console form.
    from kesu.console.forms import ACTION_FORMS
    from kesu.console.views.improvement_forms import STEP_FORMS

    assert set(cases.QUEUES_OF) == set(QUEUES)
    assert set(cases.ACTION_CASES) == set(ACTIONS) == set(cases.ACTION_ROLES)
    assert set(ACTION_FORMS) <= set(cases.ACTION_CASES)
    assert set(cases.STEPS) == set(STEP_FORMS)
    assert set(cases.ROLES) - {ANON} == set(cases.ROLE_OF)


# --- the matrix ------------------------------------------------------------------------------


@pytest.fixture
def world(console, settings, tmp_path) -> World:  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "uploads"
    # Each role's token sends some sixty writes in one frozen minute: the API's rate limit
    # (tests/security/test_api_rate_limit.py) is not what is measured here.
    settings.KESU_API_RATE = settings.KESU_API_WRITE_RATE = parse_rate("100000/min")
    return cases.build_world(Improvement(users=console.users, tokens={}))


# What a request could change, as aggregates read in one query: every change of a complaint
# bumps its version and writes an event; improvement actions, audits and alerts keep their own
# events or statuses; customers and business volume are compared by their values' size.
FINGERPRINT = (
    (Complaint, "COUNT(*)"),
    (Complaint, "SUM(version)"),
    (Complaint, "MAX(updated_at)"),
    (Event, "COUNT(*)"),
    (Attachment, "COUNT(*)"),
    (Customer, "COUNT(*)"),
    (Customer, "SUM(LENGTH(name) + LENGTH(phone) + LENGTH(email) + COALESCE(user_id, 0))"),
    (ImprovementAction, "COUNT(*)"),
    (ImprovementAction, "MAX(updated_at)"),
    (ActionEvent, "COUNT(*)"),
    (ActionAttachment, "COUNT(*)"),
    (Audit, "COUNT(*)"),
    (AuditEvent, "COUNT(*)"),
    (BatchAlert, "COUNT(*)"),
    (BatchAlert, "SUM(LENGTH(status) + LENGTH(conclusion))"),
    (EmergencyMeasure, "COUNT(*)"),
    (EmergencyMeasure, "COUNT(done_at)"),
    (BusinessVolume, "COUNT(*)"),
    (BusinessVolume, "SUM(volume)"),
)
FINGERPRINT_SQL = "SELECT " + ", ".join(
    f"(SELECT {expr} FROM {model._meta.db_table})" for model, expr in FINGERPRINT
)


def fingerprint() -> tuple[Any, ...]:
    """Everything a request could change (notifications' read marks are checked apart)."""
    with connection.cursor() as cursor:
        cursor.execute(FINGERPRINT_SQL)
        return tuple(cursor.fetchone())


def send(world: World, role: str, check: Check, allowed: bool) -> tuple[Any, str, str]:
    """The response, the path sent, and the request's path and data as text (what an answer
    may echo)."""
    probing = allowed and check.probe is not None
    payload = check.probe if probing else check.body
    data = payload(world) if payload is not None else None
    path = check.probe_path if probing and check.probe_path else check.path
    sent = unquote(path) + repr(data)
    if check.api:
        client = world.api_client
        headers = {} if role == ANON else {"Authorization": f"Bearer {world.tokens[role]}"}
        if check.method == "GET":
            return client.get(path, headers=headers), path, sent
        if check.multipart:
            return client.post(path, data or {}, headers=headers), path, sent
        body = json.dumps(data if data is not None else {}, ensure_ascii=False)
        return (
            client.generic(check.method, path, body, "application/json", headers=headers),
            path,
            sent,
        )
    client = world.browser(role)
    headers = {"HX-Request": "true"} if check.htmx else {}
    if check.method == "GET":
        return client.get(path, headers=headers), path, sent
    return client.post(path, data or {}, headers=headers), path, sent


def text_of(response: Any) -> str | None:
    """The answer as text to search for secrets (files and workbooks are not searched)."""
    if getattr(response, "streaming", False):
        # Read to its end through the test client's wrapper, which closes the file and sends
        # request_finished without closing the test's database connection.
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    kind = response.get("Content-Type", "")
    if "json" in kind:
        try:
            return json.dumps(json.loads(content), ensure_ascii=False)
        except ValueError:
            return content.decode("utf-8", "replace")
    if kind.startswith(("text/html", "text/csv", "text/plain")):
        return content.decode("utf-8", "replace")
    return None


@dataclass
class Tally:
    checks: Counter = field(default_factory=Counter)  # (api?, GET?) → requests sent
    problems: list[str] = field(default_factory=list)


def secrets_for(world: World, role: str, check: Check, sent: str) -> set[str]:
    """The role's secrets; for a page reached by a private link, what neither the link nor
    the signed-in role may see. What the request itself carried (a number searched for, a
    path) may be echoed."""
    found = set(world.secrets[role])
    if check.secrets is not None:
        found &= world.secrets[check.secrets]
    return {s for s in found if s not in sent}


def judge(
    world: World, role: str, check: Check, wanted: Expect, response: Any, sent: str
) -> list[str]:
    problems = []
    status = response.status_code
    if status not in wanted.statuses:
        problems.append(f"expected {wanted} got {status}")
    elif wanted.location is not None:
        where = response.get("Location", "")
        if not where.startswith(wanted.location):
            problems.append(f"expected {wanted} got a redirect to {where}")
    text = text_of(response)
    if text is not None:
        leaked = sorted(s for s in secrets_for(world, role, check, sent) if s in text)
        if leaked:
            problems.append(f"the answer ({status}) shows what it may not: {leaked}")
    if check.after is not None:
        found = check.after(world, role, response)
        if found:
            problems.append(found)
    return problems


def run(world: World, checks: list[Check]) -> Tally:
    tally = Tally()
    before = fingerprint()
    for check in checks:
        for role in check.roles or ROLES:
            wanted = check.rule(role)
            if check.skip_allowed and wanted.allowed:
                continue
            response, path, sent = send(world, role, check, wanted.allowed)
            problems = judge(world, role, check, wanted, response, sent)
            if check.method != "GET":
                after = fingerprint()
                if after != before and not (check.writes and wanted.allowed):
                    problems.append("the data changed")
                before = after
            tally.checks[(check.api, check.method == "GET")] += 1
            tally.problems += [f"{role} {check.method} {path}: {p}" for p in problems]
    return tally


def all_checks(world: World) -> list[Check]:
    out = []
    for registry in (cases.PAGES, cases.OPERATIONS):
        for name, make in registry.items():
            made = make(world)
            assert made and all(c.case == name for c in made), name
            out += made
    return out


def test_authorization_matrix(world):
    started, cpu = time.monotonic(), time.process_time()
    checks = all_checks(world)
    tally = run(world, checks)
    n = tally.checks
    summary = (
        f"{len(ROLES)} roles; {len(cases.PAGES)} URL entries: "
        f"{n[False, True] + n[False, False]} URL × role checks "
        f"({n[False, True]} GET, {n[False, False]} writes); "
        f"{len(cases.OPERATIONS)} API operations: "
        f"{n[True, True] + n[True, False]} operation × role checks "
        f"({n[True, True]} GET, {n[True, False]} writes); "
        f"{len(checks)} distinct requests, {time.monotonic() - started:.1f} s "
        f"({time.process_time() - cpu:.1f} s CPU)"
    )
    print(summary)
    assert not tally.problems, f"{summary}\n" + "\n".join(tally.problems)
