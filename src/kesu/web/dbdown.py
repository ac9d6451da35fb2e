"""The database out of reach: 503 "try again in a moment", never a 500 (issue 7).

When PostgreSQL restarts (an upgrade, a failover, ``pg_ctl restart``), requests in flight lose
their connection and requests arriving meanwhile cannot open one. Their transaction rolled back
or never began, so nothing is half-written, and the same request succeeds once the database is
back: the honest answer is 503 with ``Retry-After``, in the reader's language. No process needs
restarting: ``CONN_HEALTH_CHECKS`` (settings) makes each one replace its dead persistent
connection on its next request.

What counts (``unavailable_reason``):

- the connection is gone or cannot be opened: a psycopg error without an SQLSTATE (refused,
  closed unexpectedly, timed out), class 08 (connection exception), 57P01–57P03 (the server is
  shutting down, crashed or is starting up), 53300 (too many connections), and Django's
  ``InterfaceError`` (a connection already closed);
- the database undid the transaction to settle a clash between concurrent ones: class 40
  (serialization failure, deadlock). Nothing was written and the same request succeeds when
  sent again, which is what 503 + ``Retry-After`` tells a client; a 409 would say the request
  itself conflicts and must change, a 500 would report a bug that is not there;
- SQLite's "database is locked": another writer held the file past the busy timeout.

Anything else (a constraint, a missing table, a syntax error) is left to the usual handling.
Pages: ``DatabaseUnavailableMiddleware.process_exception`` (views and the rendering of their
templates) and ``handler500`` (another middleware's query). The API: ``kesu.api.errors``
(django-ninja catches its views' exceptions itself).
Each refused request is logged once, at WARNING, without the traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import Error as DatabaseError
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger("kesu.database")

# Seconds a client should wait before sending the request again: a restart takes a few.
RETRY_AFTER_SECONDS = 5

# SQLSTATEs of a server going away or refusing connections (see the module's docstring).
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def unavailable_reason(exc: BaseException | None) -> str | None:
    """Why ``exc`` means "the database cannot serve this now, try again", or None if it does
    not (then it is a bug or a 4xx of its own)."""
    if not isinstance(exc, DatabaseError):
        return None
    if isinstance(exc, InterfaceError):
        return "connection closed"
    if not isinstance(exc, OperationalError):
        return None
    cause = exc.__cause__
    if type(cause).__module__.startswith("sqlite3"):
        return "database locked" if "locked" in str(cause) else None
    state = getattr(cause, "sqlstate", None)
    if state is None:
        # psycopg says nothing more when there is no server to say it (refused, lost).
        return "connection failed" if type(cause).__module__.startswith("psycopg") else None
    if state.startswith("08") or state in _UNAVAILABLE_STATES:
        return f"connection failed ({state})"
    if state.startswith("40"):
        return f"transaction rolled back ({state})"
    return None


def log_unavailable(request: HttpRequest, exc: BaseException, reason: str) -> None:
    """One line per refused request; the traceback says nothing an operator can act on."""
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    logger.warning(
        "database unavailable (%s): %s %s answered 503: %s",
        reason,
        request.method,
        request.path,
        first_line,
    )


def unavailable_message() -> str:
    return _("The service is temporarily unavailable. Try again in a moment.")


def _page(request: HttpRequest) -> HttpResponse:
    # Rendered without the request: context processors (the signed-in user, the console's
    # queue counts) would query the database that is not there.
    if getattr(request, "htmx", False):
        body = render_to_string(
            "web/error_fragment.html", {"message": unavailable_message(), "code": "unavailable"}
        )
        response = HttpResponse(body, status=503)
        # As kesu.web.errors does for a 4xx: htmx swaps error bodies only when told where.
        response["HX-Retarget"] = request.headers.get("HX-Target-Error", "#action-errors")
        response["HX-Reswap"] = "innerHTML"
    else:
        body = render_to_string("web/error.html", {"status": 503, "title": unavailable_message()})
        response = HttpResponse(body, status=503)
    return response


def mark_unavailable(response: HttpResponse) -> HttpResponse:
    """The headers every 503 of ours carries; marks it logged (``log_unavailable`` did)."""
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # Django's request logger would add an ERROR line per 503; ours was written already.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def unavailable_response(request: HttpRequest, exc: BaseException | None) -> HttpResponse | None:
    """The 503 page for a request that failed with ``exc``, logged; None if ``exc`` is not
    the database being away."""
    reason = unavailable_reason(exc)
    if reason is None:
        return None
    log_unavailable(request, exc, reason)
    return mark_unavailable(_page(request))


class DatabaseUnavailableMiddleware:
    """A view that failed because the database is out of reach answers 503, not 500.

    Another middleware's own query (a rate-limit counter, a session saved) fails outside any
    view, where Django answers with ``handler500``: ``kesu.web.views.server_error`` asks
    ``unavailable_response`` too (with DEBUG off, as in production)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return unavailable_response(request, exception)
