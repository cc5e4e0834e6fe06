"""The limit on failed logins per username and client address, kept in the database.

Every gunicorn worker reads and writes the same rows, so the limit holds for the server as a
whole. An attempt is counted before the password is checked (a success then clears the
count), and counting happens in one write transaction, so even simultaneous attempts on
several workers get at most `limit` password checks per window.
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Callable

from app.db import transaction


class LoginRateLimiter:
    """Allow at most `limit` failed attempts per key within `window` seconds."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.time) -> None:
        """Keep the limit; the clock is the wall clock, the one every worker shares."""
        self.limit, self.window, self.clock = limit, window, clock

    def attempt(self, db: sqlite3.Connection, key: str) -> int:
        """Count one attempt for key: 0 when it may go ahead, else the seconds to wait."""
        now = self.clock()
        with transaction(db):
            db.execute("DELETE FROM login_failures WHERE at <= ?", (now - self.window,))
            count, oldest = db.execute(
                "SELECT COUNT(*), MIN(at) FROM login_failures WHERE key = ?", (key,)
            ).fetchone()
            if count >= self.limit:
                return max(1, math.ceil(float(oldest) + self.window - now))
            db.execute("INSERT INTO login_failures (key, at) VALUES (?, ?)", (key, now))
        return 0

    def succeeded(self, db: sqlite3.Connection, key: str) -> None:
        """The attempt was right: forget the failures of key."""
        with transaction(db):
            db.execute("DELETE FROM login_failures WHERE key = ?", (key,))
