"""Ingredients: a package (quantity, unit, price) from which the unit price is derived."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from fractions import Fraction
from typing import Any

from app.db import transaction
from app.models import Conflict, owned_row
from app.money import fmt_money, fmt_quantity
from app.units import convert, dimension, price_unit
from app.validation import ValidationError, money, quantity, text, unit

SPEC = {
    "name": (text(100), True),
    "brand": (text(100, required=False), False),
    "category": (text(50, required=False), False),
    "package_quantity": (quantity, True),
    "package_unit": (unit, True),
    "package_price": (money, True),
}
COLUMNS = {"package_price": "package_price_cents"}


def unit_price(row: sqlite3.Row) -> Fraction:
    """Exact price per kg, l or piece."""
    per = convert(
        Decimal(row["package_quantity"]), row["package_unit"], price_unit(row["package_unit"])
    )
    return Fraction(row["package_price_cents"], 100) / Fraction(per)


def to_api(row: sqlite3.Row) -> dict[str, Any]:
    """Shape an ingredient row for the API."""
    return {
        "id": row["id"],
        "name": row["name"],
        "brand": row["brand"],
        "category": row["category"],
        "package_quantity": fmt_quantity(Decimal(row["package_quantity"])),
        "package_unit": row["package_unit"],
        "package_price": fmt_money(row["package_price_cents"]),
        "unit_price": fmt_money(unit_price(row)),
        "unit": price_unit(row["package_unit"]),
    }


def _like(term: str) -> str:
    """Escape a search term for LIKE with '\\' as the escape character."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_ingredients(
    db: sqlite3.Connection, user_id: int, q: str = "", category: str = ""
) -> list[sqlite3.Row]:
    """The user's ingredients, optionally filtered by name substring and category."""
    sql = "SELECT * FROM ingredients WHERE user_id = ?"
    args: list[Any] = [user_id]
    if q:
        sql += " AND name LIKE ? ESCAPE '\\'"
        args.append(_like(q))
    if category:
        sql += " AND category = ?"
        args.append(category)
    return db.execute(sql + " ORDER BY name COLLATE NOCASE, id", args).fetchall()


def categories(db: sqlite3.Connection, user_id: int) -> list[str]:
    """The distinct non-empty categories the user has used."""
    rows = db.execute(
        "SELECT DISTINCT category FROM ingredients WHERE user_id = ? AND category != '' "
        "ORDER BY category",
        (user_id,),
    )
    return [r[0] for r in rows]


def get_ingredient(db: sqlite3.Connection, user_id: int, ingredient_id: int) -> sqlite3.Row:
    """One of the user's ingredients, or NotFound."""
    return owned_row(db, "ingredients", user_id, ingredient_id)


def _store(clean: dict[str, Any]) -> dict[str, Any]:
    """Map validated fields to column values."""
    out = {COLUMNS.get(k, k): v for k, v in clean.items()}
    if "package_quantity" in out:
        out["package_quantity"] = fmt_quantity(out["package_quantity"])
    return out


def create_ingredient(db: sqlite3.Connection, user_id: int, clean: dict[str, Any]) -> int:
    """Add an ingredient for the user and return its id."""
    values = {"brand": "", "category": "", **_store(clean), "user_id": user_id}
    names = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    with transaction(db):
        cur = db.execute(
            f"INSERT INTO ingredients ({names}, created_at) VALUES ({marks}, datetime('now'))",
            list(values.values()),
        )
    return int(cur.lastrowid or 0)


def _check_unit_change(db: sqlite3.Connection, ingredient_id: int, new_unit: str) -> None:
    """Refuse a package unit that recipes using the ingredient cannot convert to."""
    rows = db.execute(
        "SELECT r.name, i.unit FROM recipe_items i JOIN recipes r ON r.id = i.recipe_id "
        "WHERE i.ingredient_id = ?",
        (ingredient_id,),
    )
    for name, used_unit in rows:
        if dimension(used_unit) != dimension(new_unit):
            raise ValidationError(
                {
                    "package_unit": f"recipe {name!r} uses this ingredient in {used_unit}, "
                    f"which cannot be converted to {new_unit}; change that recipe first"
                }
            )


def update_ingredient(
    db: sqlite3.Connection, user_id: int, ingredient_id: int, clean: dict[str, Any]
) -> None:
    """Change some fields of one of the user's ingredients."""
    get_ingredient(db, user_id, ingredient_id)
    if "package_unit" in clean:
        _check_unit_change(db, ingredient_id, clean["package_unit"])
    values = _store(clean)
    if not values:
        return
    assignments = ", ".join(f"{k} = ?" for k in values)
    with transaction(db):
        db.execute(
            f"UPDATE ingredients SET {assignments} WHERE id = ? AND user_id = ?",
            [*values.values(), ingredient_id, user_id],
        )


def delete_ingredient(db: sqlite3.Connection, user_id: int, ingredient_id: int) -> None:
    """Delete one of the user's ingredients unless a recipe still uses it."""
    get_ingredient(db, user_id, ingredient_id)
    used = db.execute(
        "SELECT DISTINCT r.name FROM recipe_items i JOIN recipes r ON r.id = i.recipe_id "
        "WHERE i.ingredient_id = ? ORDER BY r.name",
        (ingredient_id,),
    ).fetchall()
    if used:
        names = ", ".join(r[0] for r in used)
        raise Conflict(f"the ingredient is used by recipes: {names}; remove it from them first")
    with transaction(db):
        db.execute("DELETE FROM ingredients WHERE id = ? AND user_id = ?", (ingredient_id, user_id))
