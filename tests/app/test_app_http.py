"""The API end to end over real HTTP against gunicorn, as deployed (production settings)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from apphelpers import BODIES, TARGETS, Server
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.slow


class HttpApi:
    """A requests session registered as a fresh user with a Bearer token."""

    def __init__(self, base: str) -> None:
        """Register a unique user and get a token."""
        self.base = f"{base}/api/v1"
        self.http = requests.Session()
        name = f"u{uuid.uuid4().hex[:10]}"
        body = {"username": name, "email": f"{name}@example.com", "password": "pw-12345678"}
        assert self.http.post(f"{self.base}/users", json=body, timeout=10).status_code == 201
        resp = self.http.post(f"{self.base}/tokens", auth=(name, "pw-12345678"), timeout=10)
        assert resp.status_code == 201
        self.http.headers["Authorization"] = f"Bearer {resp.json()['token']}"

    def call(self, method: str, path: str, body: Any = None) -> requests.Response:
        """Send one JSON request."""
        return self.http.request(method, f"{self.base}{path}", json=body, timeout=10)


@pytest.fixture(scope="module")
def alice(server: Server) -> HttpApi:
    """One user of the running server."""
    return HttpApi(server.url)


def test_ops_endpoints(server: Server) -> None:
    assert requests.get(f"{server.url}/healthz", timeout=5).json() == {"status": "ok"}
    ready = requests.get(f"{server.url}/readyz", timeout=5)
    assert ready.json()["checks"] == {"database": "ok", "schema": "ok", "data_dir": "ok"}
    version = requests.get(f"{server.url}/version", timeout=5).json()
    assert version["image"] == "ghcr.io/example/myfoodbudget:test"
    assert version["commit"] == "abc1234"
    assert version["version"]
    metrics = requests.get(f"{server.url}/metrics", timeout=5).text
    assert (
        'myfoodbudget_http_requests_total{endpoint="ops.healthz",method="GET",status="200"}'
        in metrics
    )
    assert "myfoodbudget_http_request_duration_seconds_bucket" in metrics


def test_security_headers_and_cookies(server: Server) -> None:
    resp = requests.get(f"{server.url}/auth/login", timeout=5)
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=Lax" in cookie


def test_full_flow_with_conversion_and_exact_cents(alice: HttpApi) -> None:
    flour = alice.call(
        "POST",
        "/ingredients",
        {
            "name": "Flour",
            "package_quantity": "1.5",
            "package_unit": "kg",
            "package_price": "1.99",
            "category": "baking",
        },
    ).json()
    assert (flour["unit_price"], flour["unit"]) == ("1.33", "kg")
    milk = alice.call(
        "POST",
        "/ingredients",
        {"name": "Milk", "package_quantity": "500", "package_unit": "ml", "package_price": "0.65"},
    ).json()
    recipe = alice.call(
        "POST",
        "/recipes",
        {
            "name": "Pancakes",
            "servings": 4,
            "items": [
                {"ingredient_id": flour["id"], "quantity": "250", "unit": "g"},
                {"ingredient_id": milk["id"], "quantity": "0.4", "unit": "l"},
            ],
        },
    )
    assert recipe.status_code == 201
    # 250/1500*1.99 = 0.331666..., 400/500*0.65 = 0.52: total 0.851666... -> 0.85
    assert recipe.json()["total_cost"] == "0.85"
    assert recipe.json()["cost_per_serving"] == "0.21"
    assert recipe.headers["Location"].endswith(f"/api/v1/recipes/{recipe.json()['id']}")
    bad = alice.call(
        "POST",
        "/recipes",
        {
            "name": "X",
            "servings": 1,
            "items": [{"ingredient_id": milk["id"], "quantity": "1", "unit": "kg"}],
        },
    )
    assert bad.status_code == 422
    assert bad.json()["fields"]["items[0].unit"].startswith("line 1 (Milk): kg (mass)")


def test_budget_summary_over_http(alice: HttpApi) -> None:
    assert alice.call("PUT", "/budgets/2024-02", {"amount": "250.00"}).status_code == 200
    alice.call("POST", "/purchases", {"date": "2024-02-29", "amount": "0.10"})
    alice.call("POST", "/purchases", {"date": "2024-02-01", "amount": "0.20"})
    summary = alice.call("GET", "/budgets/2024-02").json()
    assert (summary["spent"], summary["remaining"]) == ("0.30", "249.70")
    assert summary["daily_average"] == "0.01"


def test_cross_user_isolation_over_http(server: Server, alice: HttpApi) -> None:
    mine = alice.call("POST", "/purchases", {"date": "2025-05-05", "amount": "9.99"}).json()
    item = alice.call(
        "POST",
        "/ingredients",
        {"name": "Salt", "package_quantity": "1", "package_unit": "kg", "package_price": "0.5"},
    ).json()
    bob = HttpApi(server.url)
    assert bob.call("GET", f"/ingredients/{item['id']}").status_code == 404
    assert bob.call("DELETE", f"/ingredients/{item['id']}").status_code == 404
    assert bob.call("DELETE", f"/purchases/{mine['id']}").status_code == 404
    assert alice.call("GET", f"/ingredients/{item['id']}").status_code == 200


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(target=st.sampled_from(TARGETS), body=BODIES)
def test_random_bodies_never_get_a_5xx(alice: HttpApi, target: tuple[str, str], body: Any) -> None:
    resp = alice.call(target[0], target[1], body)
    assert resp.status_code < 500, (target, body, resp.text)
    if resp.status_code >= 400:
        assert set(resp.json()) == {"error", "message", "fields"}


@settings(max_examples=40, deadline=None)
@given(raw=st.binary(max_size=200))
def test_random_bytes_never_get_a_5xx(alice: HttpApi, raw: bytes) -> None:
    resp = alice.http.post(
        f"{alice.base}/purchases",
        data=raw,
        timeout=10,
        headers={"Content-Type": "application/json"},
    )
    assert resp.status_code in (201, 400, 422), resp.text


def test_concurrent_writes_from_both_workers_all_land(alice: HttpApi) -> None:
    def post(i: int) -> int:
        """Record one purchase of i cents on 2023-06-01."""
        body = {"date": "2023-06-01", "amount": f"0.{i:02d}", "category": "load"}
        return alice.call("POST", "/purchases", body).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(post, range(1, 81)))
    assert codes == [201] * 80
    summary = alice.call("GET", "/budgets/2023-06").json()
    assert summary["by_category"] == {"load": f"{sum(range(1, 81)) / 100:.2f}"}
