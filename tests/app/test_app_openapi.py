"""The OpenAPI description at /api/v1/openapi.json: valid, public, and naming every API route."""

from __future__ import annotations

import re

import schemathesis
from flask import Flask
from flask.testing import FlaskClient

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def api_routes(app: Flask) -> set[tuple[str, str]]:
    """Every (path template, method) the app serves under /api/v1, written as OpenAPI does."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            routes |= {(path, method.lower()) for method in (rule.methods or set()) & METHODS}
    return routes


def test_the_description_names_every_api_route_and_method(app: Flask, client: FlaskClient) -> None:
    resp = client.get("/api/v1/openapi.json")  # no token needed
    assert resp.status_code == 200
    spec = resp.get_json()
    described = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert described == api_routes(app)
    assert len(described) >= 19


def test_the_description_is_valid_openapi_3_1(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    schemathesis.openapi.from_dict(spec).validate()  # against the OpenAPI 3.1 schema
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            named = set(re.findall(r"{(\w+)}", path))
            declared = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
            assert named == declared, (method, path)
            assert operation["responses"], (method, path)


def test_public_and_token_operations_are_marked(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    security = {
        (method, path): operation.get("security", spec["security"])
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
    }
    assert security.pop(("get", "/api/v1/openapi.json")) == []
    assert security.pop(("post", "/api/v1/users")) == []
    assert security.pop(("post", "/api/v1/tokens")) == [{"basic": []}]
    assert all(needed == [{"bearer": []}] for needed in security.values())
    for (method, path), _ in security.items():
        resp = client.open(
            path.replace("{item_id}", "1").replace("{month}", "2025-01"), method=method
        )
        assert resp.status_code == 401, (method, path)
