"""The HTML pages through the test client: accounts, ingredients, recipes, dashboard."""

from __future__ import annotations

import datetime as dt
import re
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from apphelpers import AuthActions
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.db import get_db
from app.ratelimit import LoginRateLimiter


def add_ingredient(client: FlaskClient, **fields: str) -> Any:
    """Post the add-ingredient form."""
    data = {"name": "Rice", "package_quantity": "1", "package_unit": "kg", "package_price": "2.49"}
    return client.post("/ingredients/new", data={**data, **fields})


def ids(client: FlaskClient, page: str, pattern: str) -> list[int]:
    """Record ids linked from a page."""
    return [int(i) for i in re.findall(pattern, client.get(page).get_data(as_text=True))]


def test_register_log_out_and_back_in(client: FlaskClient, auth: AuthActions) -> None:
    assert client.get("/").headers["Location"] == "/auth/login?next=/"
    assert client.get("/auth/register").status_code == 200
    resp = auth.register()
    assert resp.headers["Location"] == "/"
    assert "Welcome" in client.get("/").get_data(as_text=True)
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    auth.logout()
    assert client.get("/").status_code == 302
    assert auth.login(password="wrong-password").status_code == 401
    assert auth.login().headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_registration_errors_are_shown(client: FlaskClient, auth: AuthActions) -> None:
    resp = client.post("/auth/register", data={"username": "a", "email": "x", "password": "1"})
    assert resp.status_code == 422
    assert "must be 8 to 200 characters" in resp.get_data(as_text=True)
    auth.register()
    auth.logout()
    again = auth.register()
    assert again.status_code == 422
    assert "already registered" in again.get_data(as_text=True)


def test_login_redirects_only_to_local_paths(client: FlaskClient, auth: AuthActions) -> None:
    auth.register()
    auth.logout()
    form = {"username": "ana", "password": "correct horse"}
    assert client.get("/auth/login?next=/recipes/").status_code == 200
    resp = client.post("/auth/login?next=/recipes/", data=form)
    assert resp.headers["Location"] == "/recipes/"
    auth.logout()
    resp = client.post("/auth/login?next=//evil.example/", data=form)
    assert resp.headers["Location"] == "/"


def test_failed_logins_are_rate_limited(tmp_path: Path) -> None:
    app = create_app(
        {"APP_ENV": "testing", "DATABASE": str(tmp_path / "r.db"), "LOGIN_RATE_LIMIT": 2}
    )
    app.test_cli_runner().invoke(args=["db", "upgrade"])
    auth = AuthActions(app.test_client())
    auth.register()
    auth.logout()
    codes = [auth.login(password="wrong-password").status_code for _ in range(3)]
    assert codes == [401, 401, 429]
    blocked = auth.login()
    assert blocked.status_code == 429
    assert "Too many failed logins" in blocked.get_data(as_text=True)


def test_ingredients_add_search_edit_delete(client: FlaskClient, auth: AuthActions) -> None:
    auth.register()
    assert client.get("/ingredients/new").status_code == 200
    assert add_ingredient(client, category="grains").status_code == 302
    add_ingredient(
        client,
        name="Oat milk",
        package_quantity="1",
        package_unit="l",
        package_price="1.79",
        category="drinks",
    )
    page = client.get("/ingredients/").get_data(as_text=True)
    assert "2.49 / kg" in page
    assert "1.79 / l" in page
    filtered = client.get("/ingredients/?q=oat").get_data(as_text=True)
    assert "Oat milk" in filtered
    assert "Rice" not in filtered
    assert "Oat milk" not in client.get("/ingredients/?category=grains").get_data(as_text=True)
    assert "match this filter" in client.get("/ingredients/?q=zzz").get_data(as_text=True)
    bad = add_ingredient(client, package_price="two")
    assert bad.status_code == 422
    assert "is not a number" in bad.get_data(as_text=True)
    rice_id = ids(client, "/ingredients/?q=Rice", r"/ingredients/(\d+)/edit")[0]
    assert client.get(f"/ingredients/{rice_id}/edit").status_code == 200
    resp = add_ingredient(client)  # same data again is fine: names need not be unique
    assert resp.status_code == 302
    edited = client.post(
        f"/ingredients/{rice_id}/edit",
        data={
            "name": "Basmati",
            "package_quantity": "500",
            "package_unit": "g",
            "package_price": "1.50",
        },
    )
    assert edited.status_code == 302
    assert "3.00 / kg" in client.get("/ingredients/").get_data(as_text=True)
    invalid = client.post(f"/ingredients/{rice_id}/edit", data={"name": ""})
    assert invalid.status_code == 422
    client.post(f"/ingredients/{rice_id}/delete")
    assert "Basmati" not in client.get("/ingredients/").get_data(as_text=True)


def test_recipes_with_lines_costs_and_errors(client: FlaskClient, auth: AuthActions) -> None:
    auth.register()
    assert "add some first" in client.get("/recipes/new").get_data(as_text=True)
    add_ingredient(client)
    add_ingredient(client, name="Milk", package_unit="l", package_price="1.00")
    rice, milk = (
        ids(client, f"/ingredients/?q={n}", r"/ingredients/(\d+)/edit")[0] for n in ("Rice", "Milk")
    )
    form = {
        "name": "Pudding",
        "servings": "2",
        "instructions": "Stir.",
        "item-0-ingredient": str(rice),
        "item-0-quantity": "250",
        "item-0-unit": "g",
        "item-1-ingredient": str(milk),
        "item-1-quantity": "1000",
        "item-1-unit": "g",
        "item-2-ingredient": "",
        "item-2-quantity": "",
        "item-2-unit": "g",
    }
    bad = client.post("/recipes/new", data=form)
    assert bad.status_code == 422
    assert "line 2 (Milk): g (mass) cannot be converted to l (volume)" in bad.get_data(as_text=True)
    resp = client.post("/recipes/new", data={**form, "item-1-unit": "ml"})
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "1.62" in page  # 0.6225 + 1.00 = 1.6225
    assert "0.81" in page
    recipe_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    assert "Pudding" in client.get("/recipes/").get_data(as_text=True)
    assert client.get(f"/recipes/{recipe_id}/edit").status_code == 200
    client.post(f"/recipes/{recipe_id}/edit", data={**form, "item-1-unit": "ml", "servings": "1"})
    assert "1.62" in client.get(f"/recipes/{recipe_id}").get_data(as_text=True)
    used = client.post(f"/ingredients/{rice}/delete", follow_redirects=True)
    assert "used by recipes: Pudding" in used.get_data(as_text=True)
    client.post(f"/recipes/{recipe_id}/delete")
    assert client.get(f"/recipes/{recipe_id}").status_code == 404


def test_dashboard_budget_purchases_and_chart(client: FlaskClient, auth: AuthActions) -> None:
    auth.register()
    assert client.post("/budget?month=2025-03", data={"amount": "200"}).status_code == 302
    for day, amount, category in (("03", "45.20", "groceries"), ("10", "14.80", "bakery")):
        resp = client.post(
            "/purchases",
            data={
                "date": f"2025-03-{day}",
                "amount": amount,
                "category": category,
                "store": "Market",
            },
        )
        assert resp.headers["Location"] == "/?month=2025-03"
    client.post("/purchases", data={"date": "2025-01-15", "amount": "300"})
    page = client.get("/?month=2025-03").get_data(as_text=True)
    for text in ("200.00", "60.00", "140.00", "1.94", "groceries", "<svg", "Jan 25", "Mar 25"):
        assert text in page, text
    assert 'fill="#dc2626"' not in page
    client.post("/budget?month=2025-01", data={"amount": "100"})
    assert 'fill="#dc2626"' in client.get("/?month=2025-03").get_data(as_text=True)
    assert client.post("/purchases", data={"date": "2025-03-99", "amount": "x"}).status_code == 422
    assert client.post("/budget?month=2025-03", data={"amount": "-5"}).status_code == 422
    purchase = ids(client, "/?month=2025-03", r"/purchases/(\d+)/delete")[0]
    client.post(f"/purchases/{purchase}/delete?month=2025-03")
    assert len(ids(client, "/?month=2025-03", r"/purchases/(\d+)/delete")) == 1
    assert "Nothing spent" in client.get("/?month=2024-01").get_data(as_text=True)
    assert client.get("/?month=bogus").status_code == 200


def test_pages_hide_other_users_records(app: Flask) -> None:
    owner, other = app.test_client(), app.test_client()
    AuthActions(owner).register("owner")
    AuthActions(other).register("other")
    add_ingredient(owner)
    owner.post("/purchases", data={"date": "2025-03-03", "amount": "5"})
    ingredient = ids(owner, "/ingredients/", r"/ingredients/(\d+)/edit")[0]
    purchase = ids(owner, "/?month=2025-03", r"/purchases/(\d+)/delete")[0]
    assert other.get(f"/ingredients/{ingredient}/edit").status_code == 404
    assert other.post(f"/ingredients/{ingredient}/delete").status_code == 404
    assert other.post(f"/purchases/{purchase}/delete").status_code == 404
    assert other.get("/recipes/1").status_code == 404
    assert "Rice" not in other.get("/ingredients/").get_data(as_text=True)


def test_error_pages(app: Flask) -> None:
    def explode() -> str:
        """Fail the way a bug would."""
        raise RuntimeError("boom")

    app.add_url_rule("/explode", view_func=explode)
    app.add_url_rule("/api/v1/explode", view_func=explode)
    client = app.test_client()
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert "text/html" in missing.content_type
    assert client.get("/explode").status_code == 500
    assert client.get("/api/v1/explode").get_json()["error"] == "error"
    with client.get("/static/style.css") as css:
        assert css.status_code == 200


def test_the_session_lasts_session_lifetime_minutes(tmp_path: Path) -> None:
    app = create_app(
        {"APP_ENV": "testing", "DATABASE": str(tmp_path / "s.db"), "SESSION_LIFETIME_MINUTES": 30}
    )
    app.test_cli_runner().invoke(args=["db", "upgrade"])
    resp = AuthActions(app.test_client()).register()
    expires = re.search(r"Expires=([^;]+)", resp.headers["Set-Cookie"])
    assert expires is not None
    lifetime = parsedate_to_datetime(expires.group(1)) - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=29) < lifetime <= dt.timedelta(minutes=30)


def test_short_paths_lead_to_the_account_pages(client: FlaskClient) -> None:
    for short, page in (("/login", "/auth/login"), ("/register", "/auth/register")):
        resp = client.get(short)
        assert (resp.status_code, resp.headers["Location"]) == (301, page)
        assert "<form" in client.get(short, follow_redirects=True).get_data(as_text=True)
    kept = client.get("/login?next=/recipes/")
    assert kept.headers["Location"] == "/auth/login?next=/recipes/"


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2025, 3, 1), ("—", "shown from day 7 (1 day so far)")),
        (dt.date(2025, 3, 6), ("—", "shown from day 7 (6 days so far)")),
        (dt.date(2025, 3, 7), ("231.75", "based on 7 of 31 days")),  # 52.33 / 7 * 31 = 231.747
        (dt.date(2025, 4, 2), ("52.33", "all 31 days")),
        (dt.date(2025, 2, 27), ("—", "the month has not started")),
    ],
)
def test_the_projection_says_what_it_is_based_on(
    client: FlaskClient,
    auth: AuthActions,
    monkeypatch: pytest.MonkeyPatch,
    today: dt.date,
    expected: tuple[str, str],
) -> None:
    """The clock is replaced (app.budget.today): the one input a test cannot set otherwise."""
    auth.register()
    client.post("/budget?month=2025-03", data={"amount": "250"})
    client.post("/purchases", data={"date": "2025-03-01", "amount": "52.33"})
    monkeypatch.setattr("app.budget.today", lambda: today)
    page = client.get("/?month=2025-03").get_data(as_text=True)
    stat = re.search(r'class="stat projection">(.*?)</div>', page, re.S)
    assert stat is not None
    shown, basis = expected
    assert f"<strong>{shown}</strong><small>{basis}</small>" in stat.group(1)
    assert "1622.23" not in page  # what one day extrapolated to 31 would say


def test_more_lines_sends_the_form_back_with_three_more_and_saves_nothing(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.register()
    add_ingredient(client)
    rice = ids(client, "/ingredients/", r"/ingredients/(\d+)/edit")[0]
    lines = {f"item-{i}-{f}": "" for i in range(3) for f in ("ingredient", "quantity", "unit")}
    form = {**lines, "name": "Pilaf", "servings": "2", "more_lines": "1"}
    form.update({"item-1-ingredient": str(rice), "item-1-quantity": "300", "item-1-unit": "g"})
    resp = client.post("/recipes/new", data=form)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert page.count('class="row line"') == 6
    assert 'name="item-5-ingredient"' in page
    assert 'value="Pilaf"' in page
    assert 'name="item-1-quantity" value="300"' in page
    assert "Pilaf" not in client.get("/recipes/").get_data(as_text=True)
    form.pop("more_lines")
    form.update({f"item-{i}-{f}": "" for i in (3, 4) for f in ("ingredient", "quantity", "unit")})
    form.update({"item-5-ingredient": str(rice), "item-5-quantity": "0.2", "item-5-unit": "kg"})
    saved = client.post("/recipes/new", data=form)
    assert saved.status_code == 302
    shown = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "1.25" in shown  # 0.5 kg of rice at 2.49


def test_a_recipe_form_stops_at_the_line_limit(client: FlaskClient, auth: AuthActions) -> None:
    auth.register()
    full = {f"item-{i}-ingredient": "" for i in range(100)}
    page = client.post("/recipes/new", data={**full, "name": "Big", "more_lines": "1"})
    assert page.get_data(as_text=True).count('class="row line"') == 100
    over = client.post("/recipes/new", data={**full, "item-100-ingredient": "", "more_lines": "1"})
    assert over.status_code == 422
    assert "a recipe has at most 100 lines" in over.get_data(as_text=True)


def test_the_login_limit_forgets_failures_after_its_window(app: Flask) -> None:
    now = [1_000_000.0]
    limiter = LoginRateLimiter(limit=2, window=60, clock=lambda: now[0])
    with app.app_context():
        db = get_db()
        assert [limiter.attempt(db, "ana|1.2.3.4") for _ in range(3)] == [0, 0, 60]
        assert limiter.attempt(db, "bo|1.2.3.4") == 0  # another key has its own count
        now[0] += 45.5
        assert limiter.attempt(db, "ana|1.2.3.4") == 15
        now[0] += 15
        assert limiter.attempt(db, "ana|1.2.3.4") == 0
        assert limiter.attempt(db, "bo|1.2.3.4") == 0
        limiter.succeeded(db, "ana|1.2.3.4")  # bo's first failure fell out of the window
        rows = db.execute("SELECT key FROM login_failures ORDER BY id").fetchall()
        assert [r[0] for r in rows] == ["bo|1.2.3.4"]
