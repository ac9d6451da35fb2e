"""Domain errors on pages: one mapping from a service's typed error to what the user reads.

Services raise :class:`kesu.complaints.errors.DomainError` subclasses with a stable ``code``,
an ``http_status`` and a message in the active language; ``InvalidInput`` also carries
``details['errors']`` per field. Views catch ``DomainError`` and call :func:`error_response` (htmx
fragment or full page) or :func:`field_errors` (to show errors next to form fields)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kesu.complaints.errors import DomainError


def field_errors(exc: DomainError) -> dict[str, str]:
    errors: Any = exc.details.get("errors") or {}
    return {str(k): str(v) for k, v in dict(errors).items()}


def error_response(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """The error as a fragment for htmx (swapped into the form's error slot) or a page."""
    context = {"message": str(exc.message), "code": exc.code, "fields": field_errors(exc)}
    template = "web/error_fragment.html" if getattr(request, "htmx", False) else "web/error.html"
    if template == "web/error.html":
        context.update(status=exc.http_status, title=str(exc.message))
    response = render(request, template, context, status=exc.http_status)
    if getattr(request, "htmx", False):
        # htmx does not swap 4xx bodies by default: say where this one goes.
        response["HX-Retarget"] = request.headers.get("HX-Target-Error", "#action-errors")
        response["HX-Reswap"] = "innerHTML"
    return response
