"""API ingredients and recipes."""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request, url_for

from app.api.blueprint import bp, json_body
from app.db import get_db
from app.models import ingredients as ing
from app.models import recipes as rec
from app.validation import ValidationError, text, validate

SEARCH_SPEC = {
    "q": (text(100, required=False), False),
    "category": (text(50, required=False), False),
}


def _created(body: dict[str, Any], endpoint: str, item_id: int) -> tuple[Response, int]:
    """201 with the new resource and its Location."""
    resp = jsonify(body)
    resp.headers["Location"] = url_for(endpoint, item_id=item_id)
    return resp, 201


def _recipe_out(recipe: dict[str, Any]) -> dict[str, Any]:
    """A recipe in the API's shape (lines without the ingredient name)."""
    lines = [{k: v for k, v in line.items() if k != "ingredient_name"} for line in recipe["items"]]
    return {**recipe, "items": lines}


@bp.get("/ingredients")
def list_ingredients() -> Response:
    """The user's ingredients, filtered by ?q= (name) and ?category=."""
    args = validate(request.args.to_dict(), SEARCH_SPEC)
    rows = ing.list_ingredients(
        get_db(), g.api_user_id, args.get("q", ""), args.get("category", "")
    )
    return jsonify([ing.to_api(r) for r in rows])


@bp.post("/ingredients")
def create_ingredient() -> tuple[Response, int]:
    """Add an ingredient -> 201."""
    new_id = ing.create_ingredient(get_db(), g.api_user_id, validate(json_body(), ing.SPEC))
    body = ing.to_api(ing.get_ingredient(get_db(), g.api_user_id, new_id))
    return _created(body, "api.get_ingredient", new_id)


@bp.get("/ingredients/<id:item_id>")
def get_ingredient(item_id: int) -> Response:
    """One ingredient."""
    return jsonify(ing.to_api(ing.get_ingredient(get_db(), g.api_user_id, item_id)))


@bp.patch("/ingredients/<id:item_id>")
def patch_ingredient(item_id: int) -> Response:
    """Change some fields of an ingredient."""
    ing.get_ingredient(get_db(), g.api_user_id, item_id)
    clean = validate(json_body(), ing.SPEC, partial=True)
    ing.update_ingredient(get_db(), g.api_user_id, item_id, clean)
    return get_ingredient(item_id)


@bp.delete("/ingredients/<id:item_id>")
def delete_ingredient(item_id: int) -> tuple[str, int]:
    """Delete an ingredient (409 while a recipe uses it)."""
    ing.delete_ingredient(get_db(), g.api_user_id, item_id)
    return "", 204


@bp.get("/recipes")
def list_recipes() -> Response:
    """The user's recipes with their costs."""
    if request.args:
        raise ValidationError({k[:64]: "unknown parameter" for k in request.args})
    return jsonify([_recipe_out(r) for r in rec.list_recipes(get_db(), g.api_user_id)])


@bp.post("/recipes")
def create_recipe() -> tuple[Response, int]:
    """Add a recipe with its lines -> 201."""
    new_id = rec.create_recipe(get_db(), g.api_user_id, validate(json_body(), rec.SPEC))
    body = _recipe_out(rec.get_recipe(get_db(), g.api_user_id, new_id))
    return _created(body, "api.get_recipe", new_id)


@bp.get("/recipes/<id:item_id>")
def get_recipe(item_id: int) -> Response:
    """One recipe with its costs."""
    return jsonify(_recipe_out(rec.get_recipe(get_db(), g.api_user_id, item_id)))


@bp.patch("/recipes/<id:item_id>")
def patch_recipe(item_id: int) -> Response:
    """Change some fields of a recipe; items, when given, replace all lines."""
    rec.get_recipe(get_db(), g.api_user_id, item_id)
    clean = validate(json_body(), rec.SPEC, partial=True)
    rec.update_recipe(get_db(), g.api_user_id, item_id, clean)
    return get_recipe(item_id)


@bp.delete("/recipes/<id:item_id>")
def delete_recipe(item_id: int) -> tuple[str, int]:
    """Delete a recipe."""
    rec.delete_recipe(get_db(), g.api_user_id, item_id)
    return "", 204
