"""The dashboard page cache: reused while nothing it shows changed, rebuilt after any write."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apphelpers import Api, AuthActions
from flask import Flask, template_rendered
from flask.testing import FlaskClient

from app import create_app
from app.pagecache import PageCache


@pytest.fixture
def renders(app: Flask) -> Iterator[list[str]]:
    """The names of the templates the app renders, in order."""
    names: list[str] = []

    def record(_sender: Flask, template: object, **_context: object) -> None:
        """Remember one rendered template."""
        names.append(getattr(template, "name", "?"))

    template_rendered.connect(record, app)
    yield names
    template_rendered.disconnect(record, app)


def dashboard_renders(client: FlaskClient, renders: list[str], path: str = "/") -> int:
    """GET the dashboard and count how many times its template was rendered."""
    before = renders.count("budget/dashboard.html")
    assert client.get(path).status_code == 200
    return renders.count("budget/dashboard.html") - before


def test_the_page_is_reused_until_a_write_changes_it(
    client: FlaskClient, auth: AuthActions, renders: list[str]
) -> None:
    auth.register()
    client.get("/")  # shows the welcome message: never stored
    assert dashboard_renders(client, renders) == 1
    assert dashboard_renders(client, renders) == 0
    assert dashboard_renders(client, renders, "/?month=2025-01") == 1
    client.post("/purchases", data={"date": "2025-01-02", "amount": "7.25"})
    page = client.get("/?month=2025-01").get_data(as_text=True)
    assert "7.25" in page
    assert "Purchase recorded" in page
    assert dashboard_renders(client, renders, "/?month=2025-01") == 1
    assert "Purchase recorded" not in client.get("/?month=2025-01").get_data(as_text=True)


def test_writes_through_the_api_change_the_page_too(
    app: Flask, client: FlaskClient, auth: AuthActions, renders: list[str]
) -> None:
    auth.register("web")
    client.get("/")
    assert dashboard_renders(client, renders) == 1
    api_client = app.test_client()
    token = api_client.post("/api/v1/tokens", auth=("web", "correct horse")).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    api_client.put("/api/v1/budgets/2025-02", json={"amount": "99"}, headers=headers)
    assert dashboard_renders(client, renders, "/?month=2025-02") == 1
    assert "99.00" in client.get("/?month=2025-02").get_data(as_text=True)


def test_each_user_and_session_gets_its_own_page(app: Flask) -> None:
    first, second = app.test_client(), app.test_client()
    AuthActions(first).register("first")
    Api(app.test_client(), "second")
    AuthActions(second).login("second", "pw-12345678")
    first.get("/")
    first.get("/")
    page = second.get("/").get_data(as_text=True)
    assert "Log out (second)" in page
    assert "Log out (first)" not in page


def test_a_zero_size_cache_stores_nothing(tmp_path: Path) -> None:
    app = create_app(
        {"APP_ENV": "testing", "DATABASE": str(tmp_path / "z.db"), "PAGE_CACHE_SIZE": 0}
    )
    app.test_cli_runner().invoke(args=["db", "upgrade"])
    client = app.test_client()
    AuthActions(client).register()
    names: list[str] = []

    def record(_sender: Flask, template: object, **_context: object) -> None:
        """Remember one rendered template."""
        names.append(getattr(template, "name", "?"))

    template_rendered.connect(record, app)
    for _ in range(3):
        client.get("/")
    assert names == ["budget/dashboard.html"] * 3


def test_the_least_recently_used_page_goes_first() -> None:
    cache = PageCache(size=2)
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"
    cache.put("c", "C")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("A", None, "C")
