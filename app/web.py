"""Wiring shared by every page: CSRF, the id converter, error pages and template helpers."""

from __future__ import annotations

from typing import Any

from flask import (
    Flask,
    Response,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import IntegerConverter

from app.api.blueprint import bp as api_bp
from app.api.blueprint import http_error
from app.models import NotFound
from app.money import fmt_money

csrf = CSRFProtect()
# short paths people type, and the page each leads to
SHORT_PATHS = {"/login": "auth.login", "/register": "auth.register"}


class IdConverter(IntegerConverter):
    """A row id: at most 18 digits, so it always fits SQLite's 64-bit integers."""

    regex = r"\d{1,18}"


def short_path() -> Any:
    """Send /login and /register on to their pages under /auth/, query string kept."""
    target = url_for(SHORT_PATHS[request.path])
    query = request.query_string.decode("latin-1")
    return redirect(f"{target}?{query}" if query else target, 301)


def handle_http_error(exc: HTTPException) -> Response:
    """JSON errors under /api/, a small HTML page elsewhere; the error's headers kept (Allow)."""
    if request.path.startswith("/api/"):
        resp = make_response(http_error(exc))
    else:
        if isinstance(exc, CSRFError):
            exc.description = (
                "The form expired or was sent from elsewhere: reload the page and retry."
            )
        resp = make_response(render_template("error.html", error=exc), exc.code or 500)
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            resp.headers[name] = value
    return resp


def handle_not_found(exc: NotFound) -> Any:
    """A missing record, or someone else's: the same 404 page."""
    return render_template("error.html", error={"code": 404, "description": str(exc)}), 404


def handle_unexpected(_exc: Exception) -> Any:
    """Log an unexpected error and answer 500 without details."""
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return handle_http_error(InternalServerError())


def init_app(app: Flask) -> None:
    """Register CSRF protection (API exempt), converters, error handlers and filters."""
    app.url_map.converters["id"] = IdConverter
    csrf.init_app(app)
    csrf.exempt(api_bp)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(NotFound, handle_not_found)
    app.register_error_handler(Exception, handle_unexpected)
    app.add_template_filter(fmt_money, "money")
    for path in SHORT_PATHS:
        app.add_url_rule(path, endpoint=f"short{path.replace('/', '_')}", view_func=short_path)

    @app.after_request
    def no_store_for_pages(response: Response) -> Response:
        """Keep personal pages out of shared caches."""
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
