"""The API's blueprint: Bearer-token authentication, JSON bodies and JSON errors."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from app.db import get_db
from app.models import Conflict, NotFound
from app.models.users import API, token_owner
from app.validation import ValidationError

bp = Blueprint("api", __name__, url_prefix="/api/v1")
PUBLIC_ENDPOINTS = {"api.register", "api.issue_token", "api.openapi"}
HOW_TO_GET_ONE = "get one with POST /api/v1/tokens (HTTP Basic auth)"
TOKEN_PROBLEMS = {
    "unknown": f"send a valid API token: Authorization: Bearer TOKEN; {HOW_TO_GET_ONE}",
    "revoked": f"this API token was revoked: {HOW_TO_GET_ONE}",
    "expired": f"this API token has expired: {HOW_TO_GET_ONE}",
}
ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
}


def error_response(
    status: int, message: str, fields: dict[str, str] | None = None
) -> tuple[Response, int]:
    """A JSON error: {"error": CODE, "message": TEXT, "fields": {field: problem}}."""
    code = ERROR_CODES.get(status, "error")
    return jsonify(error=code, message=message, fields=fields or {}), status


def json_body() -> Any:
    """The request body parsed as JSON, or a 400 for anything else."""
    raw = request.get_data(cache=True)
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise BadBody("the body must be valid JSON (UTF-8)") from None


class BadBody(ValueError):
    """The request body is not usable JSON."""


@bp.before_request
def authenticate() -> tuple[Response, int] | None:
    """Require a valid Bearer token except for registration and token creation."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    user_id, problem = None, "unknown"
    if scheme.lower() == "bearer" and token.strip():
        lifetime = current_app.config["TOKEN_LIFETIME_MINUTES"]
        user_id, problem = token_owner(get_db(), token.strip(), API, lifetime)
    if user_id is None:
        resp, status = error_response(401, TOKEN_PROBLEMS[problem])
        resp.headers["WWW-Authenticate"] = 'Bearer realm="api"'
        return resp, status
    g.api_user_id = user_id
    g.api_token = token.strip()
    return None


@bp.errorhandler(ValidationError)
def on_validation(exc: ValidationError) -> tuple[Response, int]:
    """Invalid fields: 422 with each field's problem (400 when the body is not an object)."""
    status = 422 if exc.fields else 400
    return error_response(status, exc.message, exc.fields)


@bp.errorhandler(BadBody)
def on_bad_body(exc: BadBody) -> tuple[Response, int]:
    """Unparseable body: 400."""
    return error_response(400, str(exc))


@bp.errorhandler(NotFound)
def on_not_found(exc: NotFound) -> tuple[Response, int]:
    """Missing (or someone else's) record: 404."""
    return error_response(404, str(exc))


@bp.errorhandler(Conflict)
def on_conflict(exc: Conflict) -> tuple[Response, int]:
    """Clashing change: 409."""
    return error_response(409, str(exc))


def http_error(exc: HTTPException) -> tuple[Response, int]:
    """Any HTTP error raised under /api/ as JSON."""
    return error_response(exc.code or 500, exc.description or exc.name)
