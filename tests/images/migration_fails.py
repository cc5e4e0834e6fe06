"""A purpose-built bad image: its migration fails half-way, as a real one can.

Like the app's start (`flask db upgrade`, then gunicorn), it migrates the SQLite database named
by DATABASE_URL first: the first step commits (a new table, PRAGMA user_version one higher),
the second fails on a table that does not exist, and the process exits 1 before serving. The
database is left half-migrated, at a schema version the previous version refuses. On the
way out it prints its configuration, as careless images do, secrets included.
"""

from __future__ import annotations

import os
import sqlite3
import sys

PREFIX = "sqlite:///"


def database_path() -> str:
    """The file the real app would use (DATABASE_URL=sqlite:////data/myfoodbudget.db)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(PREFIX):
        sys.exit(f"migration_fails: DATABASE_URL must start with {PREFIX}, got {url!r}")
    return url[len(PREFIX) :]


def migrate(path: str) -> int:
    """Commit the first step of the next migration, then fail its second step."""
    conn = sqlite3.connect(path, timeout=10)
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0]) + 1
        print(f"migration_fails: applying migration {version}", flush=True)
        conn.executescript(
            "CREATE TABLE IF NOT EXISTS pantry_shelf (id INTEGER PRIMARY KEY, name TEXT);"
            f"PRAGMA user_version = {version};"
        )
        conn.execute("INSERT INTO pantry_item (shelf_id) SELECT id FROM pantry_shelf")
        return version
    finally:
        conn.close()


if __name__ == "__main__":
    try:
        migrate(database_path())
    except sqlite3.Error as error:
        print(f"migration_fails: migration failed half-way: {error}", file=sys.stderr)
        settings = ", ".join(f"{k}={os.environ.get(k, '')}" for k in ("DATABASE_URL", "SECRET_KEY"))
        print(f"migration_fails: configuration: {settings}", file=sys.stderr)
        sys.exit(1)
    sys.exit("migration_fails: the migration did not fail: this image is broken")
