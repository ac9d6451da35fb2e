"""One mapping from everything that can go wrong to a JSON error (STYLE §6).

Every error has the same shape::

    {"code": "invalid_input", "message": "…", "errors": {"field": "…"}}

``code`` is stable, ``message`` is in the request's language (Accept-Language, through
LocaleMiddleware), ``errors`` names fields. Nothing unexpected leaks a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import Error as DatabaseError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError

from kesu.api.fields import TEXT_ERRORS
from kesu.complaints.errors import DomainError
from kesu.complaints.input_rules import MESSAGES as RULE_MESSAGES
from kesu.policy.loader import NoActivePolicy
from kesu.web.dbdown import (
    log_unavailable,
    mark_unavailable,
    unavailable_message,
    unavailable_reason,
)

logger = logging.getLogger("kesu.api")

# Names the views give their body parameter; dropped from an error's field path.
BODY_PARAMS = frozenset({"body"})
# kesu.api.fields' text errors → kesu.complaints.input_rules' messages.
TEXT_MESSAGES = {kind: RULE_MESSAGES[problem] for problem, kind in TEXT_ERRORS.items()}


def error_response(
    request: HttpRequest,
    api: NinjaAPI,
    *,
    status: int,
    code: str,
    message: Any,
    errors: dict[str, str] | None = None,
    details: dict[str, Any] | None = None,
) -> HttpResponse:
    payload: dict[str, Any] = {"code": code, "message": str(message), "errors": errors or {}}
    if details:
        payload["details"] = details
    return api.create_response(request, payload, status=status)


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] in {"body", "query", "path", "header", "form", "file", "cookie"}:
        source = parts.pop(0)
        if source == "body" and parts and parts[0] in BODY_PARAMS:
            parts.pop(0)
    return ".".join(str(p) for p in parts) or "body"


def _format(message: str, params: dict[str, Any]) -> str:
    try:
        return message % params
    except (KeyError, TypeError, ValueError):
        return message


def pydantic_message(error: dict[str, Any]) -> str:
    """A translatable message for one pydantic error (its English text is not)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "string_too_long":
        return _format(_("Ensure this value has at most %(max_length)s characters."), ctx)
    if kind == "string_too_short":
        return _format(_("Ensure this value has at least %(min_length)s characters."), ctx)
    if kind in {"too_long"}:
        return _format(_("Give at most %(max_length)s item(s)."), ctx)
    if kind in {"too_short"}:
        return _format(_("Give at least %(min_length)s item(s)."), ctx)
    if kind in {"string_type", "string_unicode"}:
        return _("Enter text.")
    if kind in {"int_type", "int_parsing", "int_from_float", "int_parsing_size"}:
        return _("Enter a whole number.")
    if kind in {"float_type", "float_parsing", "decimal_type", "decimal_parsing"}:
        return _("Enter a number.")
    if kind == "finite_number":
        return _("Enter a finite number.")
    if kind in {"decimal_max_digits", "decimal_whole_digits"}:
        return _("The number is too large.")
    if kind == "decimal_max_places":
        return _format(_("Use at most %(decimal_places)s decimal places."), ctx)
    if kind in {"less_than_equal", "less_than"}:
        limit = ctx.get("le", ctx.get("lt"))
        return _format(
            _("Ensure this value is less than or equal to %(limit_value)s."), {"limit_value": limit}
        )
    if kind in {"greater_than_equal", "greater_than"}:
        limit = ctx.get("ge", ctx.get("gt"))
        return _format(
            _("Ensure this value is greater than or equal to %(limit_value)s."),
            {"limit_value": limit},
        )
    if kind in {"bool_type", "bool_parsing"}:
        return _("Enter true or false.")
    if kind in {"datetime_type", "datetime_parsing", "datetime_from_date_parsing"}:
        return _("Enter a date and time in ISO 8601 format, e.g. 2026-11-20T09:30:00+08:00.")
    if kind == "timezone_aware":
        return _("Give the time with its time zone.")
    if kind in {"enum", "literal_error"}:
        return _format(_("Choose one of: %(expected)s."), ctx)
    if kind in {"list_type", "tuple_type", "set_type"}:
        return _("Enter a list of values.")
    if kind in {"dict_type", "model_type", "model_attributes_type", "dataclass_type"}:
        return _("Enter an object.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind in TEXT_MESSAGES:
        return str(TEXT_MESSAGES[kind])
    if kind == "kesu_datetime_range":
        return _("The date is out of range.")
    return _("Enter a valid value.")


def field_errors(errors: list[dict[str, Any]]) -> dict[str, str]:
    result: dict[str, str] = {}
    for error in errors:
        result.setdefault(_field_name(error.get("loc", ())), pydantic_message(error))
    return result


def install(api: NinjaAPI) -> None:
    """Register the handlers on ``api``: domain errors, ninja's own, and the rest."""

    @api.exception_handler(DomainError)
    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        details = dict(exc.details)
        errors = details.pop("errors", None) or {}
        return error_response(
            request,
            api,
            status=exc.http_status,
            code=exc.code,
            message=exc.message,
            errors={k: str(v) for k, v in errors.items()},
            details={k: _jsonable(v) for k, v in details.items()},
        )

    @api.exception_handler(ValidationError)
    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return error_response(
            request,
            api,
            status=422,
            code="invalid_input",
            message=_("Some of the data is not valid."),
            errors=field_errors(exc.errors),
        )

    @api.exception_handler(AuthenticationError)
    def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = error_response(
            request,
            api,
            status=401,
            code="not_authenticated",
            message=_("Sign in or give a valid API token."),
        )
        response["WWW-Authenticate"] = 'Bearer realm="kesu"'
        return response

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400:
            code, message = "bad_request", _("The request body could not be read as JSON.")
        elif exc.status_code == 403:
            code, message = "csrf_failed", _("The page is out of date: reload it and try again.")
        elif exc.status_code == 429:
            code, message = "throttled", _("Too many requests: try again later.")
        else:
            code, message = "error", _("The request could not be carried out.")
        return error_response(request, api, status=exc.status_code, code=code, message=message)

    @api.exception_handler(RequestDataTooBig)
    def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        # Beyond DATA_UPLOAD_MAX_MEMORY_SIZE: no field of the API takes that much.
        return error_response(
            request,
            api,
            status=413,
            code="too_large",
            message=_("The request is too large."),
        )

    @api.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(request, api, status=404, code="not_found", message=_("Not found."))

    @api.exception_handler(IntegrityError)
    def on_integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
        # A concurrent request won a race a service guards against with a constraint.
        logger.warning("integrity error on %s: %s", request.path, exc)
        return error_response(
            request,
            api,
            status=409,
            code="conflict",
            message=_("The request conflicts with a change made at the same time. Try again."),
        )

    @api.exception_handler(DatabaseError)
    def on_database_error(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
        # The database restarting, or a transaction it undid: 503, send it again (web.dbdown).
        reason = unavailable_reason(exc)
        if reason is None:
            return on_unexpected(request, exc)
        log_unavailable(request, exc, reason)
        response = error_response(
            request, api, status=503, code="unavailable", message=unavailable_message()
        )
        return mark_unavailable(response)

    @api.exception_handler(NoActivePolicy)
    def on_no_policy(request: HttpRequest, exc: NoActivePolicy) -> HttpResponse:
        return error_response(
            request,
            api,
            status=503,
            code="not_configured",
            message=_("No complaint procedure (policy) is active yet."),
        )

    @api.exception_handler(Exception)
    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(
            request,
            api,
            status=500,
            code="server_error",
            message=_("Something went wrong on our side. Try again later."),
        )


# Registered last: any other path under the API answers with a JSON 404, not an HTML page.
fallback_router = Router()


@fallback_router.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"],
    "/{path:rest}",
    auth=None,
    include_in_schema=False,
)
def unknown_path(request: HttpRequest, rest: str) -> HttpResponse:
    raise Http404


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
