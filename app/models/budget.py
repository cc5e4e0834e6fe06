"""Monthly budgets, purchases, and the month summary the dashboard and API show."""

from __future__ import annotations

import calendar
import datetime as dt
import secrets
import sqlite3
from fractions import Fraction
from typing import Any

from app.db import transaction
from app.models import owned_row
from app.validation import date, money, text

PURCHASE_SPEC = {
    "date": (date, True),
    "amount": (money, True),
    "store": (text(100, required=False), False),
    "category": (text(50, required=False), False),
    "note": (text(500, required=False), False),
}
BUDGET_SPEC = {"amount": (money, True)}


def month_bounds(month: str) -> tuple[str, str]:
    """First day of the month and first day of the next, as ISO dates."""
    year, mon = int(month[:4]), int(month[5:7])
    nxt = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return f"{year:04d}-{mon:02d}-01", f"{nxt[0]:04d}-{nxt[1]:02d}-01"


def shift_month(month: str, delta: int) -> str:
    """The month delta months after (or before, if negative) month."""
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def touch(db: sqlite3.Connection, user_id: int) -> None:
    """Give the user a new data revision: what the dashboard shows has changed."""
    db.execute("UPDATE users SET data_revision = ? WHERE id = ?", (secrets.token_hex(8), user_id))


def set_budget(db: sqlite3.Connection, user_id: int, month: str, cents: int) -> None:
    """Set (or replace) the user's budget for a month."""
    with transaction(db):
        touch(db, user_id)
        db.execute(
            "INSERT INTO budgets (user_id, month, amount_cents) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id, month) DO UPDATE SET amount_cents = excluded.amount_cents",
            (user_id, month, cents),
        )


def _elapsed_days(month: str, today: dt.date) -> tuple[int, int]:
    """Days of the month elapsed by today (0 for a future month) and days in the month."""
    days = calendar.monthrange(int(month[:4]), int(month[5:7]))[1]
    current = today.strftime("%Y-%m")
    if month < current:
        return days, days
    return (today.day if month == current else 0), days


def month_summary(
    db: sqlite3.Connection, user_id: int, month: str, today: dt.date
) -> dict[str, Any]:
    """Budget, spent, remaining, daily average, projection and spending by category."""
    start, end = month_bounds(month)
    budget = db.execute(
        "SELECT amount_cents FROM budgets WHERE user_id = ? AND month = ?", (user_id, month)
    ).fetchone()
    rows = db.execute(
        "SELECT category, SUM(amount_cents) FROM purchases "
        "WHERE user_id = ? AND date >= ? AND date < ? GROUP BY category ORDER BY 2 DESC",
        (user_id, start, end),
    ).fetchall()
    by_category = {(r[0] or "other"): Fraction(r[1], 100) for r in rows}
    spent = sum(by_category.values(), Fraction(0))
    amount = Fraction(budget[0] if budget else 0, 100)
    elapsed, days = _elapsed_days(month, today)
    daily = spent / elapsed if elapsed else Fraction(0)
    projected = spent if elapsed in (0, days) else daily * days
    return {
        "month": month,
        "has_budget": budget is not None,
        "amount": amount,
        "spent": spent,
        "remaining": amount - spent,
        "daily_average": daily,
        "projected": max(projected, spent),
        "by_category": by_category,
        "elapsed_days": elapsed,
        "days_in_month": days,
    }


def monthly_totals(
    db: sqlite3.Connection, user_id: int, last_month: str, count: int = 6
) -> list[tuple[str, Fraction]]:
    """Total spent in each of the count months ending with last_month, oldest first."""
    months = [shift_month(last_month, -i) for i in range(count - 1, -1, -1)]
    start, end = month_bounds(months[0])[0], month_bounds(last_month)[1]
    rows = db.execute(
        "SELECT substr(date, 1, 7), SUM(amount_cents) FROM purchases "
        "WHERE user_id = ? AND date >= ? AND date < ? GROUP BY 1",
        (user_id, start, end),
    )
    totals = {m: Fraction(c, 100) for m, c in rows}
    return [(m, totals.get(m, Fraction(0))) for m in months]


def list_purchases(
    db: sqlite3.Connection, user_id: int, month: str | None = None, limit: int = 1000
) -> list[sqlite3.Row]:
    """The user's purchases, newest first, optionally only one month's."""
    sql = "SELECT * FROM purchases WHERE user_id = ?"
    args: list[object] = [user_id]
    if month:
        start, end = month_bounds(month)
        sql += " AND date >= ? AND date < ?"
        args += [start, end]
    rows: list[sqlite3.Row] = db.execute(
        sql + " ORDER BY date DESC, id DESC LIMIT ?", [*args, limit]
    ).fetchall()
    return rows


def create_purchase(db: sqlite3.Connection, user_id: int, clean: dict[str, Any]) -> int:
    """Record a purchase for the user and return its id."""
    with transaction(db):
        touch(db, user_id)
        cur = db.execute(
            "INSERT INTO purchases (user_id, date, amount_cents, store, category, note, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, datetime('now'))",
            (
                user_id,
                clean["date"],
                clean["amount"],
                clean.get("store", ""),
                clean.get("category", ""),
                clean.get("note", ""),
            ),
        )
    return int(cur.lastrowid or 0)


def get_purchase(db: sqlite3.Connection, user_id: int, purchase_id: int) -> sqlite3.Row:
    """One of the user's purchases, or NotFound."""
    return owned_row(db, "purchases", user_id, purchase_id)


def delete_purchase(db: sqlite3.Connection, user_id: int, purchase_id: int) -> None:
    """Delete one of the user's purchases."""
    get_purchase(db, user_id, purchase_id)
    with transaction(db):
        touch(db, user_id)
        db.execute("DELETE FROM purchases WHERE id = ? AND user_id = ?", (purchase_id, user_id))


def budgets_between(
    db: sqlite3.Connection, user_id: int, first: str, last: str
) -> dict[str, Fraction]:
    """The user's budgets for the months first..last."""
    rows = db.execute(
        "SELECT month, amount_cents FROM budgets WHERE user_id = ? AND month BETWEEN ? AND ?",
        (user_id, first, last),
    )
    return {m: Fraction(c, 100) for m, c in rows}
