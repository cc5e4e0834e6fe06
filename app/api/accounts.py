"""API accounts: registration and tokens."""

from __future__ import annotations

import datetime as dt

from flask import Response, current_app, g, jsonify, request

from app.api.blueprint import bp, error_response, json_body
from app.auth import limiter_key, login_limiter
from app.db import get_db
from app.models.users import API, USER_SPEC, authenticate, create_token, create_user, revoke_token
from app.validation import validate


@bp.post("/users")
def register() -> tuple[Response, int]:
    """Register an account: {username, email, password} -> 201."""
    clean = validate(json_body(), USER_SPEC)
    user_id = create_user(get_db(), clean, current_app.config["PASSWORD_HASH_METHOD"])
    return jsonify(id=user_id, username=clean["username"], email=clean["email"]), 201


@bp.post("/tokens")
def issue_token() -> tuple[Response, int]:
    """Issue a token for HTTP Basic credentials -> 201 {"token": ...}."""
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username or auth.password is None:
        return error_response(401, "send your username and password with HTTP Basic auth")
    limiter, key = login_limiter(), limiter_key(auth.username)
    wait = limiter.attempt(get_db(), key)
    if wait:
        resp, status = error_response(429, f"too many failed logins: try again in {wait} s")
        resp.headers["Retry-After"] = str(wait)
        return resp, status
    user = authenticate(get_db(), auth.username, auth.password)
    if user is None:
        return error_response(401, "wrong username or password")
    limiter.succeeded(get_db(), key)
    token = create_token(get_db(), user["id"], API)
    lifetime = dt.timedelta(minutes=current_app.config["TOKEN_LIFETIME_MINUTES"])
    expires = (dt.datetime.now(dt.UTC) + lifetime).replace(microsecond=0)
    return jsonify(token=token, expires_at=expires.isoformat().replace("+00:00", "Z")), 201


@bp.delete("/tokens/current")
def revoke_current_token() -> tuple[str, int]:
    """Revoke the token used for this request -> 204."""
    revoke_token(get_db(), g.api_token)
    return "", 204
