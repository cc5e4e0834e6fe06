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
from app.models.users import USER_SPEC, authenticate, create_user, get_user
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


@bp.before_app_request
def load_user() -> None:
    """Put the logged-in user (or None) on g.user (pages only: the API and probes skip it)."""
    user_id = session.get("user_id") if request.blueprint not in ("api", "ops") else None
    g.user = get_user(get_db(), user_id) if isinstance(user_id, int) else None


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
            session.clear()
            session.permanent = True
            session["user_id"] = user_id
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
            session.clear()
            session.permanent = True
            session["user_id"] = user["id"]
            target = request.args.get("next", "")
            safe = target.startswith("/") and not target.startswith("//")
            return redirect(target if safe else url_for("budget.dashboard"))
    status = 429 if error and error.startswith("Too many") else (401 if error else 200)
    return render_template("auth/login.html", error=error), status


@bp.post("/logout")
def logout() -> Any:
    """Forget the session."""
    session.clear()
    return redirect(url_for("auth.login"))
