"""API budgets and purchases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, g, jsonify, request, url_for

from app.api.blueprint import bp, json_body
from app.db import get_db
from app.models import budget as bud
from app.money import fmt_money
from app.validation import ValidationError, validate
from app.validation import month as month_field

MONTH_ARGS = {"month": (month_field, False)}


def _month(value: str) -> str:
    """Validate a month from the URL."""
    try:
        return month_field(value)
    except ValueError as exc:
        raise ValidationError({"month": str(exc)}) from None


def summary_out(summary: dict[str, Any]) -> dict[str, Any]:
    """A month summary in the API's shape."""
    out = {k: summary[k] for k in ("month",)}
    for key in ("amount", "spent", "remaining", "daily_average", "projected"):
        out[key] = fmt_money(summary[key])
    out["by_category"] = {k: fmt_money(v) for k, v in summary["by_category"].items()}
    return out


def purchase_out(row: Any) -> dict[str, Any]:
    """A purchase in the API's shape."""
    return {
        "id": row["id"],
        "date": row["date"],
        "amount": fmt_money(row["amount_cents"]),
        "store": row["store"],
        "category": row["category"],
        "note": row["note"],
    }


@bp.put("/budgets/<string:month>")
def put_budget(month: str) -> Response:
    """Set the budget of a month: {amount}."""
    name = _month(month)
    clean = validate(json_body(), bud.BUDGET_SPEC)
    bud.set_budget(get_db(), g.api_user_id, name, clean["amount"])
    return get_budget(name)


@bp.get("/budgets/<string:month>")
def get_budget(month: str) -> Response:
    """The month's budget, spending and projection."""
    name = _month(month)
    return jsonify(summary_out(bud.month_summary(get_db(), g.api_user_id, name, dt.date.today())))


@bp.get("/purchases")
def list_purchases() -> Response:
    """The user's purchases, newest first, optionally ?month=YYYY-MM."""
    args = validate(request.args.to_dict(), MONTH_ARGS)
    rows = bud.list_purchases(get_db(), g.api_user_id, args.get("month"))
    return jsonify([purchase_out(r) for r in rows])


@bp.post("/purchases")
def create_purchase() -> tuple[Response, int]:
    """Record a purchase -> 201."""
    new_id = bud.create_purchase(get_db(), g.api_user_id, validate(json_body(), bud.PURCHASE_SPEC))
    resp = jsonify(purchase_out(bud.get_purchase(get_db(), g.api_user_id, new_id)))
    resp.headers["Location"] = url_for("api.list_purchases")
    return resp, 201


@bp.delete("/purchases/<id:item_id>")
def delete_purchase(item_id: int) -> tuple[str, int]:
    """Delete a purchase."""
    bud.delete_purchase(get_db(), g.api_user_id, item_id)
    return "", 204
