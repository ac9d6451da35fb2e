"""The REST API (SPEC §8): JSON over HTTP, OpenAPI 3 at ``/api/v1/openapi.json``.

Thin by design: each operation authenticates, resolves the complaint through
``kesu.complaints.access``, calls one service and presents the result.
"""

from __future__ import annotations

from ninja import NinjaAPI

from kesu.api import (
    actions,
    batches,
    complaints,
    customers,
    errors,
    imports,
    notifications,
    portal_links,
    reference,
    throttle,
)
from kesu.api import analysis as analysis_api
from kesu.api import improvement as improvement_api
from kesu.api import reports as report_files
from kesu.api.auth import BearerToken, ConsoleSession
from kesu.api.docs import LocalSwagger
from kesu.api.inputs import JsonBody


def build_api() -> NinjaAPI:
    api = NinjaAPI(
        title="kesu",
        version="1",
        description="Customer-complaint handling (客诉). Authenticate with "
        "`Authorization: Bearer <token>` (see `kesu token`) or the console session.",
        urls_namespace="api",
        auth=[BearerToken(), ConsoleSession()],
        docs=LocalSwagger(),
        parser=JsonBody(),
    )
    errors.install(api)
    throttle.install(api)  # 429 over a rate limit (kesu.api.auth)
    api.add_router("", complaints.router)
    # Before any /reports/monthly/{month} route: "2026-10.pdf" would match that one too.
    api.add_router("", report_files.router)
    api.add_router("", analysis_api.router)
    api.add_router("", actions.router)
    api.add_router("", portal_links.router)
    api.add_router("", batches.router)
    api.add_router("", improvement_api.router)
    api.add_router("", notifications.router)
    api.add_router("", imports.router)
    api.add_router("", reference.router)
    api.add_router("", customers.router)
    api.add_router("", errors.fallback_router)
    return api


api = build_api()
