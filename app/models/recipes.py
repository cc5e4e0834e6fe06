"""Recipes: lines of (ingredient, quantity, unit) costed exactly from the ingredients' prices."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from typing import Any

from app.db import transaction
from app.models import owned_row
from app.money import fmt_money, fmt_quantity
from app.units import IncompatibleUnits, convert
from app.validation import ValidationError, integer, quantity, text, unit, validate

MAX_ITEMS = 100
ITEM_SPEC = {
    "ingredient_id": (integer(1, 2**62), True),
    "quantity": (quantity, True),
    "unit": (unit, True),
}


def items(value: Any) -> list[dict[str, Any]]:
    """A list of recipe lines; problems are reported as items[i].field."""
    if not isinstance(value, list):
        raise ValueError("must be a list of {ingredient_id, quantity, unit}")
    if len(value) > MAX_ITEMS:
        raise ValueError(f"must have at most {MAX_ITEMS} lines")
    clean, problems = [], {}
    for i, line in enumerate(value):
        try:
            clean.append(validate(line, ITEM_SPEC))
        except ValidationError as exc:
            problems.update(
                {f"[{i}].{k}": v for k, v in exc.fields.items()} or {f"[{i}]": "must be an object"}
            )
    if problems:
        raise ValidationError(problems)
    return clean


SPEC = {
    "name": (text(100), True),
    "servings": (integer(1, 1000), True),
    "instructions": (text(10000, required=False), False),
    "items": (items, False),
}

ITEMS_SQL = (
    "SELECT i.recipe_id, i.ingredient_id, i.quantity, i.unit, g.name AS ingredient_name, "
    "g.package_quantity, g.package_unit, g.package_price_cents "
    "FROM recipe_items i JOIN ingredients g ON g.id = i.ingredient_id "
)


def line_cost(line: sqlite3.Row) -> Fraction:
    """Exact cost of one line: its share of the ingredient's package price."""
    used = convert(Decimal(line["quantity"]), line["unit"], line["package_unit"])
    return (
        Fraction(used)
        / Fraction(Decimal(line["package_quantity"]))
        * Fraction(line["package_price_cents"], 100)
    )


def to_api(recipe: sqlite3.Row, lines: list[sqlite3.Row]) -> dict[str, Any]:
    """Shape a recipe and its lines for the API, with exact costs rounded at the end."""
    costs = [line_cost(line) for line in lines]
    total = sum(costs, Fraction(0))
    return {
        "id": recipe["id"],
        "name": recipe["name"],
        "servings": recipe["servings"],
        "instructions": recipe["instructions"],
        "items": [
            {
                "ingredient_id": line["ingredient_id"],
                "ingredient_name": line["ingredient_name"],
                "quantity": fmt_quantity(Decimal(line["quantity"])),
                "unit": line["unit"],
                "cost": fmt_money(cost),
            }
            for line, cost in zip(lines, costs, strict=True)
        ],
        "total_cost": fmt_money(total),
        "cost_per_serving": fmt_money(total / recipe["servings"]),
    }


def list_recipes(db: sqlite3.Connection, user_id: int) -> list[dict[str, Any]]:
    """All of the user's recipes with their costs (two queries in all)."""
    recipes = db.execute(
        "SELECT * FROM recipes WHERE user_id = ? ORDER BY name COLLATE NOCASE, id", (user_id,)
    ).fetchall()
    lines: dict[int, list[sqlite3.Row]] = defaultdict(list)
    for line in db.execute(
        ITEMS_SQL + "JOIN recipes r ON r.id = i.recipe_id WHERE r.user_id = ? "
        "ORDER BY i.recipe_id, i.position",
        (user_id,),
    ):
        lines[line["recipe_id"]].append(line)
    return [to_api(r, lines[r["id"]]) for r in recipes]


def get_recipe(db: sqlite3.Connection, user_id: int, recipe_id: int) -> dict[str, Any]:
    """One of the user's recipes with its costs, or NotFound."""
    recipe = owned_row(db, "recipes", user_id, recipe_id)
    lines = db.execute(ITEMS_SQL + "WHERE i.recipe_id = ? ORDER BY i.position", (recipe_id,))
    return to_api(recipe, lines.fetchall())


def check_items(db: sqlite3.Connection, user_id: int, lines: list[dict[str, Any]]) -> None:
    """Every line must name one of the user's ingredients in a compatible unit."""
    problems: dict[str, str] = {}
    for i, line in enumerate(lines):
        row = db.execute(
            "SELECT name, package_unit FROM ingredients WHERE id = ? AND user_id = ?",
            (line["ingredient_id"], user_id),
        ).fetchone()
        if row is None:
            problems[f"items[{i}].ingredient_id"] = f"line {i + 1}: no such ingredient"
            continue
        try:
            convert(Decimal(1), line["unit"], row["package_unit"])
        except IncompatibleUnits as exc:
            problems[f"items[{i}].unit"] = (
                f"line {i + 1} ({row['name']}): {exc}; the ingredient is sold in "
                f"{row['package_unit']}"
            )
    if problems:
        raise ValidationError(problems, "some recipe lines are invalid")


def _write_items(db: sqlite3.Connection, recipe_id: int, lines: list[dict[str, Any]]) -> None:
    """Replace the recipe's lines."""
    db.execute("DELETE FROM recipe_items WHERE recipe_id = ?", (recipe_id,))
    db.executemany(
        "INSERT INTO recipe_items (recipe_id, ingredient_id, position, quantity, unit) "
        "VALUES (?, ?, ?, ?, ?)",
        [
            (recipe_id, ln["ingredient_id"], pos, fmt_quantity(ln["quantity"]), ln["unit"])
            for pos, ln in enumerate(lines)
        ],
    )


def create_recipe(db: sqlite3.Connection, user_id: int, clean: dict[str, Any]) -> int:
    """Add a recipe (and its lines) for the user and return its id."""
    lines = clean.get("items", [])
    check_items(db, user_id, lines)
    with transaction(db):
        cur = db.execute(
            "INSERT INTO recipes (user_id, name, servings, instructions) VALUES (?, ?, ?, ?)",
            (user_id, clean["name"], clean["servings"], clean.get("instructions", "")),
        )
        recipe_id = int(cur.lastrowid or 0)
        _write_items(db, recipe_id, lines)
    return recipe_id


def update_recipe(
    db: sqlite3.Connection, user_id: int, recipe_id: int, clean: dict[str, Any]
) -> None:
    """Change some fields of one of the user's recipes (items replace all lines)."""
    get_recipe(db, user_id, recipe_id)
    if "items" in clean:
        check_items(db, user_id, clean["items"])
    fields = {k: v for k, v in clean.items() if k != "items"}
    with transaction(db):
        if fields:
            assignments = ", ".join(f"{k} = ?" for k in fields)
            db.execute(
                f"UPDATE recipes SET {assignments} WHERE id = ? AND user_id = ?",
                [*fields.values(), recipe_id, user_id],
            )
        if "items" in clean:
            _write_items(db, recipe_id, clean["items"])


def delete_recipe(db: sqlite3.Connection, user_id: int, recipe_id: int) -> None:
    """Delete one of the user's recipes and its lines."""
    get_recipe(db, user_id, recipe_id)
    with transaction(db):
        db.execute("DELETE FROM recipes WHERE id = ? AND user_id = ?", (recipe_id, user_id))
