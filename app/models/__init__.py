"""Data access for each area: plain functions over a sqlite3 connection, scoped to one user."""


class NotFound(LookupError):
    """No such record for this user (others' records look exactly like missing ones)."""


class Conflict(ValueError):
    """The change clashes with existing data."""
