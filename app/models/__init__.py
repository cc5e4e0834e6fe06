"""Data access for each area: plain functions over a sqlite3 connection, scoped to one user."""

from __future__ import annotations

import sqlite3

OWNED_TABLES = frozenset({"ingredients", "recipes", "purchases"})


class NotFound(LookupError):
    """No such record for this user (others' records look exactly like missing ones)."""


class Conflict(ValueError):
    """The change clashes with existing data."""


def owned_row(db: sqlite3.Connection, table: str, user_id: int, record_id: int) -> sqlite3.Row:
    """The user's record `record_id` of `table`, or NotFound (also for another user's record)."""
    if table not in OWNED_TABLES:
        raise ValueError(f"{table!r} is not a per-user table")
    row: sqlite3.Row | None = db.execute(
        f"SELECT * FROM {table} WHERE id = ? AND user_id = ?", (record_id, user_id)
    ).fetchone()
    if row is None:
        raise NotFound(f"no {table[:-1]} with id {record_id}")
    return row
