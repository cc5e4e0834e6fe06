"""Every route of the url_map, pages and API: who may call it, and what another user sees.

- without a login or token, only the PUBLIC routes answer;
- a session after logging out, or past SESSION_LIFETIME_MINUTES, and a token after it was
  revoked, or past TOKEN_LIFETIME_MINUTES, open nothing;
- another user gets 404 for every record route and never sees nor changes the owner's data.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from apphelpers import Api
from flask import Flask
from flask.testing import FlaskClient
from routewalk import (
    FORM_BODIES,
    JSON_BODIES,
    PUBLIC,
    Person,
    Route,
    make_person,
    protected,
    routes,
    snapshot,
)
from werkzeug.test import TestResponse

from app import create_app


@pytest.fixture
def world(tmp_path: Path) -> tuple[Flask, Person, Person]:
    """An app (its own SQLite file) with two users, each with records."""
    app = create_app({"APP_ENV": "testing", "DATABASE": str(tmp_path / "w.db")})
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    return app, make_person(app, "owner"), make_person(app, "other")


def call(route: Route, url: str, client: FlaskClient, token: str | None) -> TestResponse:
    """Send the route's request: API calls with the token (if any), pages as a form post."""
    if route.is_api:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = JSON_BODIES.get(route.endpoint)
        return client.open(url, method=route.method, json=body, headers=headers)
    return client.open(url, method=route.method, data=FORM_BODIES.get(route.endpoint))


def assert_refused(route: Route, resp: TestResponse, why: str) -> None:
    """An API route answers 401; a page sends the visitor to the login page."""
    if route.is_api:
        assert resp.status_code == 401, (route, why, resp.status_code)
        assert resp.headers["WWW-Authenticate"].startswith("Bearer"), route
    else:
        assert resp.status_code == 302, (route, why, resp.status_code)
        assert resp.headers["Location"].startswith("/auth/login?next="), (route, why)


def age(app: Flask, kind: str, minutes: int) -> None:
    """Make every token of this kind (api or session) older by minutes."""
    with closing(sqlite3.connect(app.config["DATABASE_TARGET"])) as db:
        db.execute(
            "UPDATE api_tokens SET created_at = datetime(created_at, ?) WHERE kind = ?",
            (f"-{minutes} minutes", kind),
        )
        db.commit()


def test_every_route_is_public_or_needs_a_login(world: tuple[Flask, Person, Person]) -> None:
    app, owner, _ = world
    anonymous = app.test_client()
    checked = protected(app)
    for route in checked:
        assert_refused(route, call(route, route.url(owner.ids), anonymous, None), "anonymous")
    names = {route.endpoint for route in routes(app)}
    assert names >= PUBLIC, PUBLIC - names
    assert len(checked) >= 30


def test_a_session_ends_on_logout_for_every_copy_of_the_cookie(
    world: tuple[Flask, Person, Person],
) -> None:
    app, owner, _ = world
    copy = app.test_client()
    cookie = owner.browser.get_cookie("session")
    assert cookie is not None
    copy.set_cookie("session", cookie.value)
    assert copy.get("/").status_code == 200  # the copy is as good as the original
    owner.browser.post("/auth/logout")
    for route in protected(app):
        if not route.is_api:
            assert_refused(route, call(route, route.url(owner.ids), copy, None), "logged out")


def test_sessions_and_tokens_expire_on_the_server(world: tuple[Flask, Person, Person]) -> None:
    app, owner, other = world
    age(app, "session", app.config["SESSION_LIFETIME_MINUTES"] - 1)
    age(app, "api", app.config["TOKEN_LIFETIME_MINUTES"] - 1)
    assert owner.browser.get("/").status_code == 200  # a minute left
    assert owner.api.call("GET", "/ingredients").status_code == 200
    age(app, "session", 2)
    age(app, "api", 2)
    for route in protected(app):
        token = owner.api.token if route.is_api else None
        assert_refused(route, call(route, route.url(owner.ids), owner.browser, token), "expired")
    expired = other.api.call("GET", "/ingredients").get_json()["message"]
    assert expired.startswith("this API token has expired: get one with POST /api/v1/tokens")


def test_a_revoked_token_opens_no_route(world: tuple[Flask, Person, Person]) -> None:
    app, owner, _ = world
    assert owner.api.call("DELETE", "/tokens/current").status_code == 204
    for route in protected(app):
        if route.is_api:
            resp = call(route, route.url(owner.ids), app.test_client(), owner.api.token)
            assert_refused(route, resp, "revoked")
            assert resp.get_json()["message"].startswith("this API token was revoked")


def test_a_token_states_when_it_expires(world: tuple[Flask, Person, Person]) -> None:
    app, _, _ = world
    Api(app.test_client(), "timer")
    resp = app.test_client().post("/api/v1/tokens", auth=("timer", "pw-12345678"))
    assert resp.get_json()["expires_at"].endswith("Z")


def test_no_route_shows_or_changes_another_users_records(
    world: tuple[Flask, Person, Person],
) -> None:
    app, owner, other = world
    before = snapshot(owner)
    seen = 0
    # revoking one's own token comes last: it ends the other user's API access
    for route in sorted(protected(app), key=lambda r: r.endpoint == "api.revoke_current_token"):
        url = route.url(owner.ids)
        resp = call(route, url, other.browser if not route.is_api else app.test_client(),
                    other.api.token)  # fmt: skip
        assert resp.status_code < 500, (route, resp.status_code)
        if route.kind is not None:
            assert resp.status_code == 404, (route, url, resp.status_code)
            seen += 1
        assert b"owner-" not in resp.data, (route, url)
    assert seen >= 12
    assert snapshot(owner) == before
