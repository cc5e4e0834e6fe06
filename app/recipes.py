"""Recipe pages: list with costs, view, add and edit with ingredient lines, delete."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from app.auth import login_required
from app.db import get_db
from app.models import ingredients as ing
from app.models import recipes as rec
from app.units import UNITS
from app.validation import ValidationError, validate

bp = Blueprint("recipes", __name__, url_prefix="/recipes")
BLANK_LINES = 3
MORE_LINES = "more_lines"  # the submit button that asks for more blank lines
# a line's form fields (item-N-FIELD), by the key a recipe line uses
LINE_FIELDS = {"ingredient_id": "ingredient", "quantity": "quantity", "unit": "unit"}


@bp.get("/")
@login_required
def index() -> str:
    """The user's recipes with total cost and cost per serving."""
    return render_template("recipes/index.html", recipes=rec.list_recipes(get_db(), g.user["id"]))


@bp.get("/<id:item_id>")
@login_required
def show(item_id: int) -> str:
    """One recipe with the cost of each line."""
    return render_template(
        "recipes/show.html", recipe=rec.get_recipe(get_db(), g.user["id"], item_id)
    )


def posted_lines() -> list[dict[str, str]]:
    """The numbered ingredient lines as posted, blank ones included (one past the maximum)."""
    form = request.form
    lines: list[dict[str, str]] = []
    while f"item-{len(lines)}-ingredient" in form and len(lines) <= rec.MAX_ITEMS:
        prefix = f"item-{len(lines)}-"
        lines.append({k: form.get(prefix + field, "") for k, field in LINE_FIELDS.items()})
    return lines


def form_data() -> dict[str, Any]:
    """Turn the form's fields and numbered lines into an API-shaped body."""
    form = request.form
    body: dict[str, Any] = {k: form.get(k, "") for k in ("name", "servings", "instructions")}
    body["items"] = [line for line in posted_lines() if line["ingredient_id"]]
    return body


def _form(
    recipe: dict[str, Any],
    errors: dict[str, str],
    editing: bool,
    lines: list[dict[str, Any]] | None = None,
) -> tuple[str, int]:
    """Render the add/edit form: the recipe's lines (or the given ones) and a few blank ones."""
    shown = list(recipe.get("items", []) if lines is None else lines)
    shown += [{}] * max(0, min(BLANK_LINES, rec.MAX_ITEMS - len(shown)))
    if len(shown) > rec.MAX_ITEMS:
        errors = {**errors, "items": f"a recipe has at most {rec.MAX_ITEMS} lines"}
    return render_template(
        "recipes/form.html",
        recipe=recipe,
        lines=shown,
        max_lines=rec.MAX_ITEMS,
        errors=errors,
        editing=editing,
        units=list(UNITS),
        ingredients=ing.list_ingredients(get_db(), g.user["id"]),
    ), 422 if errors else 200


def _save(item_id: int | None) -> Any:
    """Validate and store the posted recipe, or show the form again with the problems.

    "More lines" (without JavaScript) sends the form back with three more blank lines and
    saves nothing.
    """
    body = form_data()
    if MORE_LINES in request.form:
        return _form(body, {}, item_id is not None, posted_lines())
    try:
        clean = validate(body, rec.SPEC)
        if item_id is None:
            item_id = rec.create_recipe(get_db(), g.user["id"], clean)
        else:
            rec.update_recipe(get_db(), g.user["id"], item_id, clean)
    except ValidationError as exc:
        return _form(body, exc.fields, item_id is not None)
    flash(f"Saved {clean['name']}.")
    return redirect(url_for("recipes.show", item_id=item_id))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create() -> Any:
    """Add a recipe."""
    if request.method == "GET":
        return _form({"servings": 2}, {}, editing=False)
    return _save(None)


@bp.route("/<id:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit(item_id: int) -> Any:
    """Change a recipe and its lines."""
    current = rec.get_recipe(get_db(), g.user["id"], item_id)
    if request.method == "GET":
        return _form(current, {}, editing=True)
    return _save(item_id)


@bp.post("/<id:item_id>/delete")
@login_required
def delete(item_id: int) -> Any:
    """Delete a recipe."""
    rec.delete_recipe(get_db(), g.user["id"], item_id)
    flash("Recipe deleted.")
    return redirect(url_for("recipes.index"))
