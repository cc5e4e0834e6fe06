"""The JSON API in process: shapes, validation, conversions, exact cents, isolation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from apphelpers import MILK, RICE, Api, create
from flask.testing import FlaskClient

from app import create_app


def test_register_validates_and_refuses_duplicates(client: FlaskClient) -> None:
    body = {"username": "bo", "email": "bad", "password": "short", "admin": True}
    resp = client.post("/api/v1/users", json=body)
    assert resp.status_code == 422
    assert resp.get_json() == {
        "error": "validation_error",
        "message": "some fields are invalid",
        "fields": {
            "admin": "unknown field",
            "username": "use 3-40 letters, digits, '.', '_' or '-'",
            "email": "must be an email address like ana@example.com",
            "password": "must be 8 to 200 characters",
        },
    }
    good = {"username": "bob", "email": "bob@example.com", "password": "pw-12345678"}
    assert client.post("/api/v1/users", json=good).status_code == 201
    clash = client.post("/api/v1/users", json={**good, "username": "BOB"})
    assert clash.status_code == 409
    assert "username is already registered" in clash.get_json()["message"]
    clash = client.post("/api/v1/users", json={**good, "username": "bob2"})
    assert "email is already registered" in clash.get_json()["message"]


def test_tokens_need_basic_auth_and_can_be_revoked(client: FlaskClient, api: Api) -> None:
    assert client.post("/api/v1/tokens").status_code == 401
    wrong = client.post("/api/v1/tokens", auth=("apiuser", "nope-nope"))
    assert wrong.status_code == 401
    assert wrong.get_json()["error"] == "unauthorized"
    assert api.call("GET", "/ingredients").status_code == 200
    assert api.call("DELETE", "/tokens/current").status_code == 204
    resp = api.call("GET", "/ingredients")
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/api/v1/ingredients").status_code == 401


def test_token_creation_is_rate_limited(tmp_path: Any) -> None:
    app = create_app(
        {"APP_ENV": "testing", "DATABASE": str(tmp_path / "r.db"), "LOGIN_RATE_LIMIT": 2}
    )
    app.test_cli_runner().invoke(args=["db", "upgrade"])
    client = app.test_client()
    Api(client, "limited")
    codes = [
        client.post("/api/v1/tokens", auth=("limited", "wrong-pass")).status_code for _ in "abc"
    ]
    assert codes == [401, 401, 429]
    right = client.post("/api/v1/tokens", auth=("limited", "pw-12345678"))
    assert right.status_code == 429
    assert int(right.headers["Retry-After"]) > 0


def test_ingredient_crud_search_and_unit_price(api: Api) -> None:
    rice = create(api, "/ingredients", {**RICE, "category": "grains", "brand": "Acme"})
    assert rice == {
        "id": rice["id"],
        "name": "Rice",
        "brand": "Acme",
        "category": "grains",
        "package_quantity": "1",
        "package_unit": "kg",
        "package_price": "2.49",
        "unit_price": "2.49",
        "unit": "kg",
    }
    oil = create(
        api,
        "/ingredients",
        {
            **MILK,
            "name": "Olive oil",
            "package_quantity": "750",
            "package_unit": "ml",
            "package_price": "6.99",
        },
    )
    assert (oil["unit_price"], oil["unit"]) == ("9.32", "l")
    names = lambda q: [i["name"] for i in api.call("GET", q).get_json()]  # noqa: E731
    assert names("/ingredients") == ["Olive oil", "Rice"]
    assert names("/ingredients?q=ric") == ["Rice"]
    assert names("/ingredients?category=grains") == ["Rice"]
    assert names("/ingredients?q=%25") == []
    assert api.call("GET", "/ingredients?color=red").status_code == 422
    patched = api.call("PATCH", f"/ingredients/{rice['id']}", {"package_price": "3.10"})
    assert patched.get_json()["unit_price"] == "3.10"
    assert api.call("PATCH", f"/ingredients/{rice['id']}", {}).status_code == 200
    assert api.call("PATCH", f"/ingredients/{rice['id']}", {"id": 5}).status_code == 422
    assert api.call("DELETE", f"/ingredients/{rice['id']}").status_code == 204
    assert api.call("GET", f"/ingredients/{rice['id']}").status_code == 404


def test_recipe_costs_convert_units_and_stay_exact(api: Api) -> None:
    rice = create(api, "/ingredients", RICE)
    milk = create(api, "/ingredients", MILK)
    eggs = create(
        api,
        "/ingredients",
        {"name": "Eggs", "package_quantity": "3", "package_unit": "pcs", "package_price": "1.00"},
    )
    body: dict[str, Any] = {
        "name": "Rice pudding",
        "servings": 3,
        "instructions": "Simmer.",
        "items": [
            {"ingredient_id": rice["id"], "quantity": "200", "unit": "g"},
            {"ingredient_id": milk["id"], "quantity": "0.75", "unit": "l"},
            {"ingredient_id": eggs["id"], "quantity": "1", "unit": "pcs"},
            {"ingredient_id": eggs["id"], "quantity": "1", "unit": "pcs"},
            {"ingredient_id": eggs["id"], "quantity": "1", "unit": "pcs"},
        ],
    }
    recipe = create(api, "/recipes", body)
    assert [i["cost"] for i in recipe["items"]] == ["0.50", "0.89", "0.33", "0.33", "0.33"]
    # 0.498 + 0.8925 + 1.00 exactly, rounded once at the end
    assert recipe["total_cost"] == "2.39"
    assert recipe["cost_per_serving"] == "0.80"
    assert set(recipe["items"][0]) == {"ingredient_id", "quantity", "unit", "cost"}
    assert api.call("GET", "/recipes").get_json() == [recipe]
    patched = api.call(
        "PATCH", f"/recipes/{recipe['id']}", {"servings": 1, "items": body["items"][:1]}
    )
    assert patched.get_json()["total_cost"] == patched.get_json()["cost_per_serving"] == "0.50"
    assert api.call("GET", "/recipes?x=1").status_code == 422


def test_incompatible_units_say_which_line_and_why(api: Api) -> None:
    rice = create(api, "/ingredients", RICE)
    body: dict[str, Any] = {
        "name": "Bad",
        "servings": 2,
        "items": [
            {"ingredient_id": rice["id"], "quantity": "100", "unit": "g"},
            {"ingredient_id": rice["id"], "quantity": "1", "unit": "l"},
            {"ingredient_id": 999999, "quantity": "1", "unit": "g"},
            {"quantity": "x", "unit": "cup"},
            "eggs",
        ],
    }
    resp = api.call("POST", "/recipes", body)
    assert resp.status_code == 422
    fields = resp.get_json()["fields"]
    assert set(fields) == {
        "items[3].ingredient_id",
        "items[3].quantity",
        "items[3].unit",
        "items[4]",
    }
    del body["items"][3:]
    fields = api.call("POST", "/recipes", body).get_json()["fields"]
    assert fields == {
        "items[1].unit": "line 2 (Rice): l (volume) cannot be converted to kg (mass); "
        "the ingredient is sold in kg",
        "items[2].ingredient_id": "line 3: no such ingredient",
    }
    assert api.call("GET", "/recipes").get_json() == []


def test_ingredients_used_by_recipes_are_protected(api: Api) -> None:
    rice = create(api, "/ingredients", RICE)
    create(
        api,
        "/recipes",
        {
            "name": "Risotto",
            "servings": 2,
            "items": [{"ingredient_id": rice["id"], "quantity": "1", "unit": "kg"}],
        },
    )
    resp = api.call("DELETE", f"/ingredients/{rice['id']}")
    assert resp.status_code == 409
    assert "Risotto" in resp.get_json()["message"]
    resp = api.call("PATCH", f"/ingredients/{rice['id']}", {"package_unit": "pcs"})
    assert resp.status_code == 422
    assert "Risotto" in resp.get_json()["fields"]["package_unit"]
    assert api.call("PATCH", f"/ingredients/{rice['id']}", {"package_unit": "g"}).status_code == 200


def test_budget_summary_of_a_past_month(api: Api) -> None:
    assert api.call("PUT", "/budgets/2025-01", {"amount": "300"}).get_json()["amount"] == "300.00"
    for amount, category, day in (("10.00", "veg", "05"), ("20.50", "", "31"), ("5", "veg", "10")):
        create(
            api, "/purchases", {"date": f"2025-01-{day}", "amount": amount, "category": category}
        )
    create(api, "/purchases", {"date": "2025-02-01", "amount": "99.99"})
    summary = api.call("GET", "/budgets/2025-01").get_json()
    assert summary == {
        "month": "2025-01",
        "amount": "300.00",
        "spent": "35.50",
        "remaining": "264.50",
        "daily_average": "1.15",
        "projected": "35.50",
        "by_category": {"other": "20.50", "veg": "15.00"},
    }
    over = api.call("PUT", "/budgets/2025-02", {"amount": "50"}).get_json()
    assert over["remaining"] == "-49.99"


def test_budget_summary_of_the_current_and_a_future_month(api: Api) -> None:
    today = dt.date.today()
    create(api, "/purchases", {"date": today.isoformat(), "amount": "31.00"})
    summary = api.call("GET", f"/budgets/{today:%Y-%m}").get_json()
    assert summary["amount"] == "0.00"
    assert summary["daily_average"] == f"{31 / today.day + 1e-9:.2f}"
    future = api.call("GET", f"/budgets/{today.year + 1}-01").get_json()
    assert (future["spent"], future["daily_average"], future["projected"]) == ("0.00",) * 3


def test_purchases_list_by_month_and_delete(api: Api) -> None:
    first = create(
        api,
        "/purchases",
        {"date": "2025-03-02", "amount": "12.5", "store": "Aldi", "note": "weekly"},
    )
    assert first == {
        "id": first["id"],
        "date": "2025-03-02",
        "amount": "12.50",
        "store": "Aldi",
        "category": "",
        "note": "weekly",
    }
    create(api, "/purchases", {"date": "2025-04-02", "amount": "1"})
    assert len(api.call("GET", "/purchases").get_json()) == 2
    assert api.call("GET", "/purchases?month=2025-03").get_json() == [first]
    assert api.call("GET", "/purchases?month=2025-3").status_code == 422
    assert api.call("DELETE", f"/purchases/{first['id']}").status_code == 204
    assert api.call("DELETE", f"/purchases/{first['id']}").status_code == 404
