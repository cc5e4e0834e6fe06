"""The JSON API in process: errors for bad input, CSRF exemption, isolation between users."""

from __future__ import annotations

from typing import Any

import pytest
from apphelpers import BODIES, RICE, TARGETS, Api, create
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import create_app


@pytest.mark.parametrize(
    ("request_", "status", "error"),
    [
        (("POST", "/ingredients", None), 400, "bad_request"),
        (("POST", "/ingredients", [1, 2]), 400, "bad_request"),
        (("POST", "/ingredients", {**RICE, "package_unit": "cup"}), 422, "validation_error"),
        (("POST", "/ingredients", {**RICE, "package_price": "1.999"}), 422, "validation_error"),
        (("PUT", "/budgets/2025-13", {"amount": "1"}), 422, "validation_error"),
        (("PUT", "/budgets/2025-01", {"amount": "-1"}), 422, "validation_error"),
        (("GET", "/ingredients/1234567890123456789012", None), 404, "not_found"),
        (("GET", "/nothing-here", None), 404, "not_found"),
        (("PUT", "/ingredients", None), 405, "method_not_allowed"),
        (("POST", "/purchases", {"date": "yesterday", "amount": "1"}), 422, "validation_error"),
    ],
)
def test_bad_requests_get_json_errors(
    api: Api, request_: tuple[str, str, Any], status: int, error: str
) -> None:
    resp = api.call(*request_)
    assert resp.status_code == status
    assert resp.get_json()["error"] == error
    assert set(resp.get_json()) == {"error", "message", "fields"}


def test_unparseable_and_oversized_bodies(api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"}
    for data in (b"{nope", b"\xff\xfe", b"[" * 100_000):
        resp = api.client.post("/api/v1/ingredients", data=data, headers=headers)
        assert resp.status_code == 400, data[:10]
    resp = api.client.post("/api/v1/ingredients", data=b"x" * 300_000, headers=headers)
    assert resp.status_code == 413
    assert resp.get_json()["error"] == "too_large"


def test_users_cannot_see_or_change_each_others_records(client: FlaskClient, api: Api) -> None:
    rice = create(api, "/ingredients", RICE)
    recipe = create(
        api,
        "/recipes",
        {
            "name": "R",
            "servings": 1,
            "items": [{"ingredient_id": rice["id"], "quantity": "1", "unit": "g"}],
        },
    )
    purchase = create(api, "/purchases", {"date": "2025-01-01", "amount": "1"})
    api.call("PUT", "/budgets/2025-01", {"amount": "100"})
    other = Api(client, "mallory")
    for path in (f"/ingredients/{rice['id']}", f"/recipes/{recipe['id']}"):
        assert other.call("GET", path).status_code == 404
        assert other.call("PATCH", path, {"name": "mine"}).status_code == 404
        assert other.call("DELETE", path).status_code == 404
    assert other.call("DELETE", f"/purchases/{purchase['id']}").status_code == 404
    assert other.call("GET", "/ingredients").get_json() == []
    assert other.call("GET", "/purchases").get_json() == []
    assert other.call("GET", "/budgets/2025-01").get_json()["amount"] == "0.00"
    stolen = other.call(
        "POST",
        "/recipes",
        {
            "name": "X",
            "servings": 1,
            "items": [{"ingredient_id": rice["id"], "quantity": "1", "unit": "g"}],
        },
    )
    assert stolen.get_json()["fields"] == {"items[0].ingredient_id": "line 1: no such ingredient"}
    assert api.call("GET", f"/recipes/{recipe['id']}").get_json()["name"] == "R"


def test_api_is_exempt_from_csrf_but_forms_are_not(tmp_path: Any) -> None:
    app: Flask = create_app(
        {"APP_ENV": "testing", "DATABASE": str(tmp_path / "c.db"), "WTF_CSRF_ENABLED": True}
    )
    app.test_cli_runner().invoke(args=["db", "upgrade"])
    client = app.test_client()
    Api(client, "csrfuser")
    resp = client.post("/auth/login", data={"username": "csrfuser", "password": "pw-12345678"})
    assert resp.status_code == 400
    assert b"reload the page" in resp.data


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(method_path=st.sampled_from(TARGETS), body=BODIES)
def test_random_bodies_in_process_never_get_a_5xx(
    api: Api, method_path: tuple[str, str], body: Any
) -> None:
    if api.call("GET", "/ingredients/1").status_code == 404:
        create(api, "/ingredients", RICE)
        create(api, "/recipes", {"name": "R", "servings": 1, "items": []})
    resp = api.call(*method_path, body)
    assert resp.status_code < 500, resp.get_data(as_text=True)
    if resp.status_code >= 400:
        assert set(resp.get_json()) == {"error", "message", "fields"}


def test_a_wrong_method_says_which_are_allowed(api: Api, client: FlaskClient) -> None:
    resp = api.call("PUT", "/ingredients")
    assert resp.status_code == 405
    assert {"GET", "POST"} <= set(resp.headers["Allow"].split(", "))
    page = client.delete("/")
    assert page.status_code == 405
    assert "GET" in page.headers["Allow"]
    assert "text/html" in page.content_type
