"""The interactive API page, served from ninja's bundled Swagger UI, never from a CDN.

ninja renders its bundled page only when ``"ninja"`` is in ``INSTALLED_APPS`` (for the
template and the static files); otherwise it would fall back to a CDN copy. This page does
not: without the app it answers 404 and ``openapi.json`` stays the reference.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.http import Http404, HttpRequest, HttpResponse
from ninja.openapi.docs import Swagger


class LocalSwagger(Swagger):
    def render_page(self, request: HttpRequest, api: Any, **kwargs: Any) -> HttpResponse:
        if not apps.is_installed("ninja"):
            raise Http404("API docs page not installed")
        return super().render_page(request, api, **kwargs)
