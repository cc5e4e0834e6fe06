"""The API's OpenAPI 3.1 description, served at /api/v1/openapi.json.

Written next to the routes it describes; tests check that it names every API route and
method, and fuzz each operation against it (answers must match the documented shapes).
"""

from __future__ import annotations

import functools

from flask import Response, jsonify

from app.api.blueprint import bp
from app.api.shapes import ID, MONTH, SCHEMAS, Schema, ref, text

PREFIX = "/api/v1"
ERRORS = {
    400: "the body is not JSON, or not an object",
    401: "no valid credentials",
    404: "no such record (also another user's), or no such path",
    409: "the change clashes with existing data",
    413: "the body is larger than 256 KiB",
    422: "some fields are invalid: `fields` says which and why",
    429: "too many failed logins: wait Retry-After seconds",
}
# (path, method) -> (summary, request body schema, success status and schema, error statuses)
Operation = tuple[str, str | None, tuple[int, Schema | None], tuple[int, ...]]
OPERATIONS: dict[tuple[str, str], Operation] = {
    ("/openapi.json", "get"): ("This description", None, (200, {"type": "object"}), ()),
    ("/users", "post"): (
        "Register an account",
        "NewUser",
        (201, ref("User")),
        (400, 409, 413, 422),
    ),
    ("/tokens", "post"): (
        "Get an API token with HTTP Basic credentials",
        None,
        (201, ref("Token")),
        (401, 429),
    ),
    ("/tokens/current", "delete"): ("Revoke the token sent", None, (204, None), (401,)),
    ("/ingredients", "get"): (
        "Your ingredients, filtered by name (q) and category",
        None,
        (200, {"type": "array", "items": ref("Ingredient")}),
        (401, 422),
    ),
    ("/ingredients", "post"): (
        "Add an ingredient",
        "NewIngredient",
        (201, ref("Ingredient")),
        (400, 401, 413, 422),
    ),
    ("/ingredients/{item_id}", "get"): (
        "One ingredient",
        None,
        (200, ref("Ingredient")),
        (401, 404),
    ),
    ("/ingredients/{item_id}", "patch"): (
        "Change some fields of an ingredient",
        "IngredientChange",
        (200, ref("Ingredient")),
        (400, 401, 404, 413, 422),
    ),
    ("/ingredients/{item_id}", "delete"): (
        "Delete an ingredient (409 while a recipe uses it)",
        None,
        (204, None),
        (401, 404, 409),
    ),
    ("/recipes", "get"): (
        "Your recipes with their costs",
        None,
        (200, {"type": "array", "items": ref("Recipe")}),
        (401, 422),
    ),
    ("/recipes", "post"): ("Add a recipe", "NewRecipe", (201, ref("Recipe")), (400, 401, 413, 422)),
    ("/recipes/{item_id}", "get"): ("One recipe", None, (200, ref("Recipe")), (401, 404)),
    ("/recipes/{item_id}", "patch"): (
        "Change some fields of a recipe (items replace all lines)",
        "RecipeChange",
        (200, ref("Recipe")),
        (400, 401, 404, 413, 422),
    ),
    ("/recipes/{item_id}", "delete"): ("Delete a recipe", None, (204, None), (401, 404)),
    ("/budgets/{month}", "get"): (
        "A month's budget, spending and projection",
        None,
        (200, ref("MonthSummary")),
        (401, 404, 422),
    ),
    ("/budgets/{month}", "put"): (
        "Set a month's budget",
        "Budget",
        (200, ref("MonthSummary")),
        (400, 401, 404, 413, 422),
    ),
    ("/purchases", "get"): (
        "Your purchases, newest first",
        None,
        (200, {"type": "array", "items": ref("Purchase")}),
        (401, 422),
    ),
    ("/purchases", "post"): (
        "Record a purchase",
        "NewPurchase",
        (201, ref("Purchase")),
        (400, 401, 413, 422),
    ),
    ("/purchases/{item_id}", "delete"): ("Delete a purchase", None, (204, None), (401, 404)),
}
PUBLIC = {("/openapi.json", "get"), ("/users", "post")}
QUERY = {
    ("/ingredients", "get"): {"q": text(100, required=False), "category": text(50, required=False)},
    ("/purchases", "get"): {"month": MONTH},
}
PATH_PARAMETERS = {
    "item_id": {**ID, "maximum": 10**18 - 1},
    "month": MONTH,
}


def build_parameters(path: str, method: str) -> list[Schema]:
    """The operation's path and query parameters."""
    found = [
        {"name": name, "in": "path", "required": True, "schema": schema}
        for name, schema in PATH_PARAMETERS.items()
        if f"{{{name}}}" in path
    ]
    for name, schema in QUERY.get((path, method), {}).items():
        found.append({"name": name, "in": "query", "required": False, "schema": schema})
    return found


def build_responses(success: tuple[int, Schema | None], errors: tuple[int, ...]) -> Schema:
    """The documented answers: the success one and each error's."""
    status, schema = success
    responses: Schema = {str(status): {"description": "done"}}
    if schema is not None:
        responses[str(status)]["content"] = {"application/json": {"schema": schema}}
    for code in errors:
        responses[str(code)] = {
            "description": ERRORS[code],
            "content": {"application/json": {"schema": ref("Error")}},
        }
    if 401 in errors:
        responses["401"]["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    if 429 in errors:
        responses["429"]["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    return responses


def build_operation(path: str, method: str) -> Schema:
    """One operation: summary, parameters, body, answers and the credentials it needs."""
    summary, body, success, errors = OPERATIONS[(path, method)]
    operation: Schema = {
        "operationId": f"{method}{path.replace('/', '_').replace('{', '').replace('}', '')}",
        "summary": summary,
        "parameters": build_parameters(path, method),
        "responses": build_responses(success, errors),
    }
    if body is not None:
        content = {"application/json": {"schema": ref(body)}}
        operation["requestBody"] = {"required": True, "content": content}
    if (path, method) in PUBLIC:
        operation["security"] = []
    elif path == "/tokens":
        operation["security"] = [{"basic": []}]
    return operation


@functools.cache
def build_spec() -> Schema:
    """The whole description."""
    paths: dict[str, Schema] = {}
    for path, method in OPERATIONS:
        paths.setdefault(PREFIX + path, {})[method] = build_operation(path, method)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "MyFoodBudget API",
            "version": "v1",
            "description": "Money is a decimal string with two places; errors are "
            '{"error", "message", "fields"}.',
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "basic": {"type": "http", "scheme": "basic"},
            },
        },
        "security": [{"bearer": []}],
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    """This API's OpenAPI description."""
    return jsonify(build_spec())
