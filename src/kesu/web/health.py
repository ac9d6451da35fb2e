"""``GET /healthz`` and ``GET /readyz`` for load balancers and process supervisors.

Answered by a middleware placed first, so a probe costs one cheap query and nothing else: no
host check (load balancers often probe by IP), no TLS redirect (they probe over plain HTTP
behind the proxy), no session, no CSRF, no authentication. The answers hold no secrets; the
reason of a failure goes to the log only.

- ``/healthz``: the process runs and reaches the database (``SELECT 1``):
  200 ``{"status": "ok", "database": "ok"}``, or 503 ``{"status": "error", "database": "error"}``.
- ``/readyz``: the same, and every migration is applied (checked until it holds once per
  process, then remembered): 503 with ``"migrations": "pending"`` during a deploy's migrate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse

logger = logging.getLogger("kesu.health")

PATHS = frozenset({"/healthz", "/readyz"})

_migrations_applied = False


def database_ok(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """True when a ``SELECT 1`` on the connection succeeds; a failure is logged, not raised."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.warning("health check: database %r unreachable", alias, exc_info=True)
        # Drop a broken persistent connection now rather than at the end of the request.
        connections[alias].close_if_unusable_or_obsolete()
        return False
    return True


def migrations_applied(alias: str = DEFAULT_DB_ALIAS) -> bool:
    global _migrations_applied
    if _migrations_applied:
        return True
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[alias])
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    _migrations_applied = not pending
    return _migrations_applied


def health(request: HttpRequest, *, ready: bool = False) -> JsonResponse:
    body: dict[str, str] = {"status": "ok", "database": "ok"}
    if not database_ok():
        body = {"status": "error", "database": "error"}
    elif ready:
        try:
            applied = migrations_applied()
        except Exception:
            logger.warning("readiness check: migrations unreadable", exc_info=True)
            applied = False
        body["migrations"] = "ok" if applied else "pending"
        if not applied:
            body["status"] = "error"
    response = JsonResponse(body, status=200 if body["status"] == "ok" else 503)
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path in PATHS:
            if request.method not in ("GET", "HEAD"):
                return HttpResponseNotAllowed(["GET", "HEAD"])
            return health(request, ready=request.path == "/readyz")
        return self.get_response(request)
