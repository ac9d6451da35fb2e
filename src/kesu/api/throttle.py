"""The API's answer to a caller over its rate limit, and where the OpenAPI document says so.

``kesu.api.auth`` counts (docs/decisions/0009-api-rate-limit.md) and raises ninja's
``Throttled``; this module turns it into the usual error shape with status 429, code
``throttled``, a ``Retry-After`` header and ``details.retry_after``, and adds that response to
every operation that needs authentication in the OpenAPI document (one place, rather than in
each router's list of errors).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import Throttled

from kesu.api.errors import error_response

THROTTLED_RESPONSE: dict[str, Any] = {
    "description": "Too Many Requests: the token's rate limit, or too many failed tokens from "
    "the client's network; retry after the number of seconds in Retry-After.",
    "headers": {
        "Retry-After": {
            "description": "Seconds until the limit's window ends.",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
}


def install(api: NinjaAPI) -> None:
    @api.exception_handler(Throttled)
    def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        wait = max(1, int(exc.wait or 1))
        response = error_response(
            request,
            api,
            status=429,
            code="throttled",
            message=_("Too many requests: try again in %(seconds)s seconds.") % {"seconds": wait},
            details={"retry_after": wait},
        )
        response["Retry-After"] = str(wait)
        return response

    document_429(api)


def document_429(api: NinjaAPI) -> None:
    """Every operation with a ``security`` requirement may answer 429."""
    build = api.get_openapi_schema

    def get_openapi_schema(**kwargs: Any) -> Any:
        schema = build(**kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                if isinstance(operation, dict) and operation.get("security"):
                    operation.setdefault("responses", {}).setdefault(429, THROTTLED_RESPONSE)
        return schema

    api.get_openapi_schema = get_openapi_schema  # type: ignore[method-assign]
