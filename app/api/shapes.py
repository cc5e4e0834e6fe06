"""The JSON the API reads and writes, as JSON Schema: the OpenAPI description's components.

Inputs are as strict as the validation in app.validation (unknown fields are refused);
outputs list every property the API always sends.
"""

from __future__ import annotations

from typing import Any

from app.units import UNITS

Schema = dict[str, Any]
PAD = r"[\t\n\x0b\x0c\r ]*"  # inputs may be padded with ASCII whitespace (app.money.SPACES)
NOT_PAD = r"[^\t\n\x0b\x0c\r ]"
NOT_AT = r"[^@\t\n\x0b\x0c\r ]"


def padded(pattern: str, max_length: int | None = None) -> Schema:
    """A string matching pattern, with optional padding around it."""
    schema: Schema = {"type": "string", "pattern": f"^{PAD}({pattern}){PAD}$"}
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


# amounts as the API reads them: decimal strings (at most 32 characters) or JSON numbers
MONEY_IN = {
    "anyOf": [
        padded(r"0*[0-9]{1,9}(\.[0-9]{1,2}0*)?|0*1000000000(\.0+)?", 32),
        {"type": "number", "minimum": 0, "maximum": 1_000_000_000},
    ],
    "examples": ["12.50"],
}
QUANTITY_IN = {
    "anyOf": [
        padded(
            r"0*[1-9][0-9]{0,8}(\.[0-9]{1,3}0*)?|0+\.(00[1-9]|0[1-9][0-9]?|[1-9][0-9]{0,2})0*"
            r"|0*1000000000(\.0+)?",
            32,
        ),
        {"type": "number", "exclusiveMinimum": 0, "maximum": 1_000_000_000},
    ],
    "examples": ["0.5", "250"],
}
MONEY = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "examples": ["12.50"]}
MONTH = {"type": "string", "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$", "examples": ["2025-01"]}
DATE = {"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
ID = {"type": "integer", "minimum": 1}
UNIT = {"type": "string", "enum": list(UNITS)}


def whole(low: int, high: int) -> Schema:
    """A whole number between low and high (a string of digits is read as one, as from forms)."""
    return {"anyOf": [{"type": "integer", "minimum": low, "maximum": high}, padded("[0-9]+")]}


def text(max_length: int, required: bool = True) -> Schema:
    """A string of at most max_length characters; padding is trimmed, and what is left must
    not be empty when required."""
    schema: Schema = {"type": "string", "maxLength": max_length}
    if required:
        schema["pattern"] = NOT_PAD
    return schema


def obj(properties: dict[str, Schema], required: tuple[str, ...] = ()) -> Schema:
    """A JSON object with exactly these properties (unknown ones are refused with 422)."""
    schema: Schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema


def ref(name: str) -> Schema:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def out(properties: dict[str, Schema]) -> Schema:
    """A JSON object the API answers with: every property always present."""
    return obj(properties, tuple(properties))


INGREDIENT_FIELDS = {
    "name": text(100),
    "brand": text(100, required=False),
    "category": text(50, required=False),
    "package_quantity": QUANTITY_IN,
    "package_unit": UNIT,
    "package_price": MONEY_IN,
}
RECIPE_FIELDS = {
    "name": text(100),
    "servings": whole(1, 1000),
    "instructions": text(10000, required=False),
    "items": {"type": "array", "maxItems": 100, "items": ref("RecipeLineInput")},
}
SCHEMAS: dict[str, Schema] = {
    "Error": out(
        {
            "error": {"type": "string", "examples": ["validation_error"]},
            "message": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        }
    ),
    "NewUser": obj(
        {
            "username": padded(r"[A-Za-z0-9_.\-]{3,40}", 40),
            "email": padded(rf"{NOT_AT}{{1,64}}@{NOT_AT}+\.{NOT_AT}+", 254),
            "password": {"type": "string", "minLength": 8, "maxLength": 200},
        },
        ("username", "email", "password"),
    ),
    "User": out({"id": ID, "username": {"type": "string"}, "email": {"type": "string"}}),
    "Token": out(
        {"token": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"}}
    ),
    "NewIngredient": obj(
        INGREDIENT_FIELDS, ("name", "package_quantity", "package_unit", "package_price")
    ),
    "IngredientChange": obj(INGREDIENT_FIELDS),
    "Ingredient": out(
        {
            "id": ID,
            **{k: {"type": "string"} for k in ("name", "brand", "category", "package_quantity")},
            "package_unit": UNIT,
            "package_price": MONEY,
            "unit_price": MONEY,
            "unit": {"type": "string", "enum": ["kg", "l", "pcs"]},
        }
    ),
    "RecipeLineInput": obj(
        {"ingredient_id": whole(1, 2**62), "quantity": QUANTITY_IN, "unit": UNIT},
        ("ingredient_id", "quantity", "unit"),
    ),
    "NewRecipe": obj(RECIPE_FIELDS, ("name", "servings")),
    "RecipeChange": obj(RECIPE_FIELDS),
    "Recipe": out(
        {
            "id": ID,
            "name": {"type": "string"},
            "servings": {"type": "integer"},
            "instructions": {"type": "string"},
            "items": {
                "type": "array",
                "items": out(
                    {
                        "ingredient_id": ID,
                        "quantity": {"type": "string"},
                        "unit": UNIT,
                        "cost": MONEY,
                    }
                ),
            },
            "total_cost": MONEY,
            "cost_per_serving": MONEY,
        }
    ),
    "Budget": obj({"amount": MONEY_IN}, ("amount",)),
    "MonthSummary": out(
        {
            "month": MONTH,
            **dict.fromkeys(("amount", "spent", "remaining", "daily_average", "projected"), MONEY),
            "by_category": {"type": "object", "additionalProperties": MONEY},
        }
    ),
    "NewPurchase": obj(
        {
            "date": DATE,
            "amount": MONEY_IN,
            "store": text(100, required=False),
            "category": text(50, required=False),
            "note": text(500, required=False),
        },
        ("date", "amount"),
    ),
    "Purchase": out(
        {
            "id": ID,
            "date": DATE,
            "amount": MONEY,
            **{k: {"type": "string"} for k in ("store", "category", "note")},
        }
    ),
}
