"""Ingredient pages: list with search and category filter, add, edit, delete."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from app.auth import login_required
from app.db import get_db
from app.models import Conflict
from app.models import ingredients as ing
from app.units import UNITS
from app.validation import FORM_EXTRA, ValidationError, validate

bp = Blueprint("ingredients", __name__, url_prefix="/ingredients")


@bp.get("/")
@login_required
def index() -> str:
    """The user's ingredients, filtered by name and category."""
    q = request.args.get("q", "")[:100]
    category = request.args.get("category", "")[:50]
    rows = ing.list_ingredients(get_db(), g.user["id"], q, category)
    return render_template(
        "ingredients/index.html",
        ingredients=[ing.to_api(r) for r in rows],
        categories=ing.categories(get_db(), g.user["id"]),
        q=q,
        category=category,
    )


def _form(ingredient: dict[str, Any] | None, errors: dict[str, str]) -> tuple[str, int]:
    """Render the add/edit form."""
    return render_template(
        "ingredients/form.html",
        ingredient=ingredient or request.form,
        editing=ingredient is not None,
        errors=errors,
        units=list(UNITS),
        categories=ing.categories(get_db(), g.user["id"]),
    ), 422 if errors else 200


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create() -> Any:
    """Add an ingredient."""
    if request.method == "GET":
        return _form(None, {})
    try:
        clean = validate(request.form.to_dict(), ing.SPEC | FORM_EXTRA)
    except ValidationError as exc:
        return _form(None, exc.fields)
    clean.pop("csrf_token", None)
    ing.create_ingredient(get_db(), g.user["id"], clean)
    flash(f"Added {clean['name']}.")
    return redirect(url_for("ingredients.index"))


@bp.route("/<id:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit(item_id: int) -> Any:
    """Change an ingredient."""
    current = ing.to_api(ing.get_ingredient(get_db(), g.user["id"], item_id))
    if request.method == "GET":
        return _form(current, {})
    try:
        clean = validate(request.form.to_dict(), ing.SPEC | FORM_EXTRA)
        clean.pop("csrf_token", None)
        ing.update_ingredient(get_db(), g.user["id"], item_id, clean)
    except ValidationError as exc:
        return _form({**current, **request.form.to_dict()}, exc.fields)
    flash(f"Saved {clean['name']}.")
    return redirect(url_for("ingredients.index"))


@bp.post("/<id:item_id>/delete")
@login_required
def delete(item_id: int) -> Any:
    """Delete an ingredient unless a recipe uses it."""
    try:
        ing.delete_ingredient(get_db(), g.user["id"], item_id)
        flash("Ingredient deleted.")
    except Conflict as exc:
        flash(f"Not deleted: {exc}.", "error")
    return redirect(url_for("ingredients.index"))
