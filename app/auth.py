"""Accounts in the browser: register, log in, log out; the login rate limit."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from app.db import get_db
from app.models import Conflict
from app.models.users import (
    SESSION,
    USER_SPEC,
    authenticate,
    create_token,
    create_user,
    forget_old_sessions,
    get_user,
    revoke_token,
    token_owner,
)
from app.ratelimit import LoginRateLimiter
from app.validation import FORM_EXTRA, ValidationError, validate

bp = Blueprint("auth", __name__, url_prefix="/auth")


def login_limiter() -> LoginRateLimiter:
    """This app's limiter for failed logins."""
    limiter = current_app.extensions.get("login_limiter")
    if limiter is None:
        limiter = LoginRateLimiter(
            current_app.config["LOGIN_RATE_LIMIT"], current_app.config["LOGIN_RATE_WINDOW_SECONDS"]
        )
        current_app.extensions["login_limiter"] = limiter
    return limiter


def limiter_key(username: str) -> str:
    """Failed logins are counted per username and client address."""
    return f"{username.lower()}|{request.remote_addr}"


def start_session(user_id: int) -> None:
    """Log user_id in with a new session, recorded on the server so that logging out ends it."""
    lifetime = current_app.config["SESSION_LIFETIME_MINUTES"]
    forget_old_sessions(get_db(), user_id, lifetime)
    session.clear()
    session.permanent = True
    session["user_id"] = user_id
    session["sid"] = create_token(get_db(), user_id, SESSION)


@bp.before_app_request
def load_user() -> None:
    """Put the logged-in user (or None) on g.user (pages only: the API and probes skip it).

    The session cookie names a session the server must still know: not logged out, and
    younger than SESSION_LIFETIME_MINUTES. Anything else is forgotten.
    """
    g.user = None
    user_id, sid = session.get("user_id"), session.get("sid")
    if request.blueprint in ("api", "ops") or user_id is None:
        return
    lifetime = current_app.config["SESSION_LIFETIME_MINUTES"]
    owner = token_owner(get_db(), sid, SESSION, lifetime)[0] if isinstance(sid, str) else None
    if owner is None or owner != user_id:
        session.clear()
        return
    g.user = get_user(get_db(), owner)


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send anonymous visitors to the login page."""

    @functools.wraps(view)
    def wrapped(**kwargs: Any) -> Any:
        """Run the view for a logged-in user, else redirect."""
        if g.user is None:
            return redirect(url_for("auth.login", next=request.path))
        return view(**kwargs)

    return wrapped


@bp.route("/register", methods=["GET", "POST"])
def register() -> Any:
    """Create an account, then log in."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            clean = validate(request.form.to_dict(), USER_SPEC | FORM_EXTRA)
            user_id = create_user(get_db(), clean, current_app.config["PASSWORD_HASH_METHOD"])
        except ValidationError as exc:
            errors = exc.fields
        except Conflict as exc:
            errors = {"username": str(exc)}
        else:
            start_session(user_id)
            flash("Welcome! Start by adding a few ingredients.")
            return redirect(url_for("budget.dashboard"))
    return render_template("auth/register.html", errors=errors), 422 if errors else 200


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Log in with username and password (rate limited on failures)."""
    error = None
    if request.method == "POST":
        username = request.form.get("username", "")[:100]
        key, limiter = limiter_key(username), login_limiter()
        wait = limiter.attempt(get_db(), key)
        user = None if wait else authenticate(get_db(), username, request.form.get("password", ""))
        if wait:
            error = f"Too many failed logins. Try again in {wait} seconds."
        elif user is None:
            error = "Wrong username or password."
        else:
            limiter.succeeded(get_db(), key)
            start_session(user["id"])
            target = request.args.get("next", "")
            safe = target.startswith("/") and not target.startswith("//")
            return redirect(target if safe else url_for("budget.dashboard"))
    status = 429 if error and error.startswith("Too many") else (401 if error else 200)
    return render_template("auth/login.html", error=error), status


@bp.post("/logout")
def logout() -> Any:
    """End the session, on the server too (a copy of the cookie no longer logs in)."""
    sid = session.get("sid")
    if isinstance(sid, str):
        revoke_token(get_db(), sid)
    session.clear()
    return redirect(url_for("auth.login"))
