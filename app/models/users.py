"""Accounts, password checks, and hashed, revocable, expiring tokens (API and session)."""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from app.db import transaction
from app.models import Conflict
from app.validation import Parser, text, utf8

USERNAME_RE = re.compile(r"[A-Za-z0-9_.-]{3,40}")
EMAIL_RE = re.compile(r"[^@\t\n\x0b\x0c\r ]{1,64}@[^@\t\n\x0b\x0c\r ]+\.[^@\t\n\x0b\x0c\r ]+")
API, SESSION = "api", "session"  # the kinds of token: Bearer tokens, and browser sessions
# a valid hash of a random password, checked when the user is unknown so timing tells nothing
_DUMMY_HASH = generate_password_hash(secrets.token_hex(8), method="pbkdf2:sha256:1000")


def _matching(pattern: re.Pattern[str], hint: str, max_len: int) -> Parser:
    """A string matching pattern."""
    base = text(max_len)

    def parse(value: Any) -> str:
        """Check one string against the pattern."""
        value = base(value)
        if not pattern.fullmatch(value):
            raise ValueError(hint)
        return str(value)

    return parse


def password(value: Any) -> str:
    """A password of 8 to 200 characters."""
    if not isinstance(value, str) or not 8 <= len(value) <= 200:
        raise ValueError("must be 8 to 200 characters")
    return utf8(value)


USER_SPEC = {
    "username": (_matching(USERNAME_RE, "use 3-40 letters, digits, '.', '_' or '-'", 40), True),
    "email": (_matching(EMAIL_RE, "must be an email address like ana@example.com", 254), True),
    "password": (password, True),
}


def create_user(db: sqlite3.Connection, clean: dict[str, Any], method: str) -> int:
    """Create an account with a hashed password; Conflict if the username or email is taken."""
    taken = db.execute(
        "SELECT username = ? COLLATE NOCASE AS same_name FROM users "
        "WHERE username = ? COLLATE NOCASE OR email = ? COLLATE NOCASE LIMIT 1",
        (clean["username"], clean["username"], clean["email"]),
    ).fetchone()
    if taken is not None:
        field = "username" if taken["same_name"] else "email"
        raise Conflict(f"this {field} is already registered: pick another or log in")
    pw_hash = generate_password_hash(clean["password"], method=method)
    with transaction(db):
        cur = db.execute(
            "INSERT INTO users (username, email, password_hash) VALUES (?, ?, ?)",
            (clean["username"], clean["email"], pw_hash),
        )
    return int(cur.lastrowid or 0)


def authenticate(db: sqlite3.Connection, username: str, pw: str) -> sqlite3.Row | None:
    """Return the user if the username and password match, else None."""
    row = db.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    if row is None:
        check_password_hash(_DUMMY_HASH, pw)
        return None
    return row if check_password_hash(row["password_hash"], pw) else None


def get_user(db: sqlite3.Connection, user_id: int) -> sqlite3.Row | None:
    """Return the user with this id, or None."""
    row: sqlite3.Row | None = db.execute(
        "SELECT id, username, email, data_revision FROM users WHERE id = ?", (user_id,)
    ).fetchone()
    return row


def _digest(token: str) -> str:
    """Hash a token for storage and lookup."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db: sqlite3.Connection, user_id: int, kind: str = API) -> str:
    """Issue a new token of this kind (API or session); only its hash is stored."""
    token = secrets.token_urlsafe(32)
    with transaction(db):
        db.execute(
            "INSERT INTO api_tokens (user_id, token_hash, kind) VALUES (?, ?, ?)",
            (user_id, _digest(token), kind),
        )
    return token


def token_owner(
    db: sqlite3.Connection, token: str, kind: str, lifetime_minutes: int
) -> tuple[int | None, str]:
    """The user owning this token of this kind, or None and why: unknown, revoked or expired."""
    row = db.execute(
        "SELECT user_id, revoked_at, created_at > datetime('now', ?) AS fresh "
        "FROM api_tokens WHERE token_hash = ? AND kind = ?",
        (f"-{lifetime_minutes} minutes", _digest(token), kind),
    ).fetchone()
    if row is None:
        return None, "unknown"
    if row["revoked_at"] is not None:
        return None, "revoked"
    if not row["fresh"]:
        return None, "expired"
    return int(row["user_id"]), ""


def forget_old_sessions(db: sqlite3.Connection, user_id: int, lifetime_minutes: int) -> None:
    """Delete the user's sessions that were revoked or have expired."""
    with transaction(db):
        db.execute(
            "DELETE FROM api_tokens WHERE user_id = ? AND kind = ? "
            "AND (revoked_at IS NOT NULL OR created_at <= datetime('now', ?))",
            (user_id, SESSION, f"-{lifetime_minutes} minutes"),
        )


def revoke_token(db: sqlite3.Connection, token: str) -> None:
    """Revoke a token so it no longer authenticates."""
    with transaction(db):
        db.execute(
            "UPDATE api_tokens SET revoked_at = datetime('now') WHERE token_hash = ?",
            (_digest(token),),
        )
