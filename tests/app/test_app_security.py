"""Walks over every route and form: CSRF on every form, security headers on every answer,
and SQL injection tried in every parameter of every route.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from routewalk import (
    FORM_BODIES,
    VALID_FIELDS,
    Form,
    Person,
    crawl,
    csrf_token,
    make_person,
    routes,
    snapshot,
)
from werkzeug.test import TestResponse

from app import create_app
from app.api.openapi import OPERATIONS, PREFIX

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
PAYLOADS = [
    "' OR '1'='1",
    "1 OR 1=1",
    "'; DROP TABLE users; --",
    '" OR ""="',
    "1' UNION SELECT username, password_hash, 1, 1, 1, 1, 1, 1 FROM users --",
    "%' --",
    "\\'; DELETE FROM purchases; --",
    "2025-01' OR 'x'='x",
]
LEAKS = [b"other-", b"pbkdf2:", b"scrypt:", b"sqlite", b"syntax error", b"Traceback"]
# a valid body for each request schema of the description, whose leaves get the payloads
VALID_BODIES: dict[str, dict[str, Any]] = {
    "NewUser": {"username": "visitor", "email": "visitor@example.com", "password": "pw-1234567"},
    "NewIngredient": {"name": "Rice", "package_quantity": "1", "package_unit": "kg",
                      "package_price": "2.49", "brand": "Acme", "category": "grains"},
    "IngredientChange": {"name": "Rice", "brand": "Acme", "category": "grains"},
    "NewRecipe": {"name": "Risotto", "servings": 2, "instructions": "Stir.", "items": [
        {"ingredient_id": 0, "quantity": "1", "unit": "kg"}]},
    "RecipeChange": {"name": "Risotto", "instructions": "Stir."},
    "Budget": {"amount": "100"},
    "NewPurchase": {"date": "2025-01-03", "amount": "3.50", "store": "Market",
                    "category": "food", "note": "weekly"},
}  # fmt: skip


def make_world(tmp_path: Path, csrf: bool) -> tuple[Flask, Person, Person]:
    """An app on its own SQLite file (CSRF checks on or off) with two users and records."""
    overrides = {"APP_ENV": "testing", "DATABASE": str(tmp_path / "s.db")}
    app = create_app({**overrides, "WTF_CSRF_ENABLED": csrf})
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    return app, make_person(app, "owner"), make_person(app, "other")


@pytest.fixture
def guarded(tmp_path: Path) -> tuple[Flask, Person, Person]:
    """The world with CSRF checks on, as in production."""
    return make_world(tmp_path, csrf=True)


def post_forms(client: FlaskClient, app: Flask, person: Person) -> list[Form]:
    """Every form that posts, on every page the client can see."""
    return [f for page in crawl(client, app, person.ids) for f in page.forms if f.method == "POST"]


def test_every_form_carries_a_csrf_token(guarded: tuple[Flask, Person, Person]) -> None:
    app, owner, _ = guarded
    forms = post_forms(owner.browser, app, owner) + post_forms(app.test_client(), app, owner)
    actions = {urlsplit(form.action).path for form in forms}
    assert len(actions) >= 9, actions
    for form in forms:
        assert form.fields.get("csrf_token"), (form.page, form.action)


def test_every_page_post_needs_the_csrf_token(guarded: tuple[Flask, Person, Person]) -> None:
    app, owner, _ = guarded
    posts = [r for r in routes(app) if r.method == "POST" and not r.is_api]
    posts.sort(key=lambda r: r.endpoint.startswith("auth."))  # these change who is logged in
    assert len(posts) >= 11
    for route in posts:
        token = csrf_token(owner.browser.get("/auth/login").get_data(as_text=True))
        url = route.url(owner.ids)
        for sent in ({}, {"csrf_token": "forged"}):
            refused = owner.browser.post(url, data={**FORM_BODIES.get(route.endpoint, {}), **sent})
            assert refused.status_code == 400, (route, sent)
            assert b"reload the page" in refused.data
        form = {**FORM_BODIES.get(route.endpoint, {}), "csrf_token": token}
        accepted = owner.browser.post(url, data=form)
        assert accepted.status_code != 400, route
    # the accepted posts did act: the purchase added, the owner's first one deleted
    assert [p["amount"] for p in snapshot(owner)["/purchases"]] == ["1.00"]


def test_the_api_ignores_the_browser_session(guarded: tuple[Flask, Person, Person]) -> None:
    """The API is exempt from CSRF checks because a session cookie opens nothing there."""
    app, owner, _ = guarded
    for route in routes(app):
        if route.is_api and route.endpoint not in ("api.register", "api.issue_token",
                                                   "api.openapi"):  # fmt: skip
            resp = owner.browser.open(route.url(owner.ids), method=route.method, json={})
            assert resp.status_code == 401, route


def assert_security_headers(resp: TestResponse, where: str) -> None:
    """The headers every answer carries (and no-store on pages)."""
    csp = resp.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp, where
    assert "frame-ancestors 'none'" in csp, where
    for name, value in HEADERS.items():
        assert resp.headers.get(name) == value, (where, name)
    if resp.mimetype == "text/html":
        assert resp.headers.get("Cache-Control") == "no-store", where


def test_every_get_route_and_error_carries_the_security_headers(
    guarded: tuple[Flask, Person, Person],
) -> None:
    app, owner, _ = guarded
    checked = 0
    for client in (owner.browser, app.test_client()):
        for route in routes(app):
            if route.method == "GET":
                headers = {"Authorization": f"Bearer {owner.api.token}"} if route.is_api else {}
                resp = client.get(route.url(owner.ids), headers=headers)
                assert_security_headers(resp, route.url(owner.ids))
                resp.close()
                checked += 1
    for path, method in (("/nowhere", "GET"), ("/api/v1/nowhere", "GET"), ("/", "DELETE")):
        assert_security_headers(owner.browser.open(path, method=method), path)
    assert checked >= 40


@pytest.fixture
def open_world(tmp_path: Path) -> tuple[Flask, Person, Person]:
    """The world with CSRF checks off, so every form post reaches its view."""
    return make_world(tmp_path, csrf=False)


def leaves(body: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path to every scalar in a JSON body."""
    if isinstance(body, dict):
        for key, value in body.items():
            yield from leaves(value, (*path, key))
    elif isinstance(body, list):
        for index, value in enumerate(body):
            yield from leaves(value, (*path, index))
    else:
        yield path


def replaced(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of body with the scalar at path replaced by value."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(body, dict):
        return {**body, head: replaced(body[head], rest, value)}
    return [replaced(item, rest, value) if i == head else item for i, item in enumerate(body)]


def api_injections(owner: Person) -> Iterator[tuple[str, str, str, Any]]:
    """(name, method, url, body) for each parameter of each API operation, payload marked {}."""
    for (path, method), (_, body_schema, _, _) in OPERATIONS.items():
        base = PREFIX + path.replace("{month}", "2025-01")
        base = base.replace("{item_id}", str(owner.ids.get(path.split("/")[1], 1)))
        body = VALID_BODIES.get(body_schema or "")
        if body and "items" in body:
            body = replaced(body, ("items", 0, "ingredient_id"), owner.ids["ingredients"])
        for name in ("month", "item_id"):
            if f"{{{name}}}" in path:
                template = PREFIX + path.replace(f"{{{name}}}", "{}")
                yield f"{method} {path} {name}", method, template, body
        for query in {"/ingredients": ("q", "category"), "/purchases": ("month",)}.get(path, ()):
            if method == "get":
                yield f"{method} {path} ?{query}", method, f"{base}?{query}={{}}", None
        for leaf in leaves(body) if body else ():
            yield f"{method} {path} {'.'.join(map(str, leaf))}", method, base, (body, leaf)
    # the credentials are parameters too: Basic auth's username and password, a Bearer token
    yield "post /tokens Basic credentials", "post", f"{PREFIX}/tokens", "basic"
    yield "get /ingredients Bearer token", "get", f"{PREFIX}/ingredients", "bearer"


def page_injections(client: FlaskClient, app: Flask, owner: Person) -> Iterator[Any]:
    """(name, method, url, form) for each field of each form and each query parameter seen."""
    pages = crawl(client, app, owner.ids)
    seen_queries = {(p.page, link) for p in pages for link in p.links if "?" in link}
    seen_queries.add(("/", client.get("/recipes/").headers.get("Location", "/auth/login?next=/")))
    for page in pages:
        for form in page.forms:
            fields = {k: VALID_FIELDS.get(k, v) for k, v in form.fields.items()}
            for name in fields:
                if name != "csrf_token":
                    yield f"{form.action} {name}", form.method, form.action, (fields, name)
            if "?" in form.action:
                seen_queries.add((page.page, form.action))
    for _where, link in seen_queries:
        target = urlsplit(link)
        for name, _ in parse_qsl(target.query):
            yield f"{target.path} ?{name}", "GET", f"{target.path}?{name}={{}}", None


def send_api(owner: Person, method: str, url: str, body: Any, payload: str) -> TestResponse:
    """Send one API injection."""
    headers = {"Authorization": f"Bearer {owner.api.token}"}
    if body == "basic":
        return owner.api.client.post(url, auth=(payload, payload))
    if body == "bearer":
        return owner.api.client.get(url, headers={"Authorization": f"Bearer {payload}"})
    if isinstance(body, tuple):
        template, leaf = body
        return owner.api.client.open(
            url, method=method.upper(), json=replaced(template, leaf, payload), headers=headers
        )
    target = url.format(quote(payload, safe=""))
    return owner.api.client.open(target, method=method.upper(), json=body, headers=headers)


def send_page(client: FlaskClient, method: str, url: str, form: Any, payload: str) -> TestResponse:
    """Send one page injection."""
    if form is not None:
        fields, name = form
        data = {**fields, name: payload}
        if method == "GET":
            return client.get(url, query_string=data)
        return client.post(url, data=data)
    return client.open(url.format(quote(payload, safe="")), method=method)


@pytest.mark.slow
def test_sql_injection_in_every_parameter_changes_and_leaks_nothing(
    open_world: tuple[Flask, Person, Person],
) -> None:
    app, owner, other = open_world
    theirs = snapshot(other)
    tried: set[str] = set()
    for payload in PAYLOADS:
        for name, method, url, body in api_injections(owner):
            resp = send_api(owner, method, url, body, payload)
            check_answer(resp, name, payload)
            tried.add(name)
        for name, method, url, form in page_injections(owner.browser, app, owner):
            check_answer(send_page(owner.browser, method, url, form, payload), name, payload)
            tried.add(name)
    assert len(tried) >= 60, sorted(tried)
    assert snapshot(other) == theirs
    stored = {i["name"] for i in snapshot(owner)["/ingredients"]}
    assert set(PAYLOADS) <= stored  # every payload was kept as the text it is
    check_database(app)


def check_answer(resp: TestResponse, name: str, payload: str) -> None:
    """No server error, and nothing in the answer that belongs to the database or others."""
    assert resp.status_code < 500, (name, payload, resp.status_code)
    for leak in LEAKS:
        assert leak not in resp.data, (name, payload, leak)


def check_database(app: Flask) -> None:
    """The database is whole: every table there, the two users, integrity ok."""
    with closing(sqlite3.connect(app.config["DATABASE_TARGET"])) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"users", "ingredients", "recipes", "purchases", "api_tokens"} <= tables
        names = {r[0] for r in db.execute("SELECT username FROM users")}
        assert {"owner", "other"} <= names
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
