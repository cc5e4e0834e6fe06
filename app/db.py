"""SQLite connections (WAL, foreign keys, busy timeout) and schema upgrades via user_version."""

from __future__ import annotations

import os
import sqlite3
import stat
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask, current_app, g
from flask.cli import AppGroup

from app.migrations import MIGRATIONS

SCHEMA_VERSION = len(MIGRATIONS)
BUSY_TIMEOUT_MS = 5000


class SchemaTooNewError(click.ClickException):
    """The database was migrated by a newer build than this one."""

    def __init__(self, found: int) -> None:
        """Explain what happened and the two ways out."""
        self.found = found
        super().__init__(
            f"database schema version {found} is newer than this build knows "
            f"({SCHEMA_VERSION}): restore a snapshot taken before the upgrade, "
            "or deploy a newer image"
        )


class DatabaseAccessError(click.ClickException):
    """This process may not open or write the database file or its folder."""

    def __init__(self, path: Path, problem: str) -> None:
        """Name the path, the uid and gid the app runs as, and what the volume needs."""
        uid, gid = os.getuid(), os.getgid()
        super().__init__(
            f"cannot use the database {path} as uid {uid} (gid {gid}): {problem}; make the "
            f"folder and the file writable for uid {uid} (e.g. `chown -R {uid}:{gid}` on the "
            f"volume, or fsGroup: {gid} in the pod's securityContext)"
        )


def access_problem(path: Path) -> str | None:
    """What keeps this process from creating or writing path, or None when nothing does."""
    folder = path.parent
    try:
        info = folder.stat()
    except FileNotFoundError:
        return None  # `flask db upgrade` creates it
    except OSError as error:
        return f"its folder {folder} cannot be read ({error.strerror})"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"its folder {folder} is not writable: {ownership(info)}"
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return f"the file is not writable: {ownership(path.stat())}"
    return None


def ownership(info: os.stat_result) -> str:
    """Owner, group and permission bits, as a user would compare them with `ls -ln`."""
    return f"owned by uid {info.st_uid} (gid {info.st_gid}), mode {stat.S_IMODE(info.st_mode):o}"


def connect(target: str) -> sqlite3.Connection:
    """Open a connection with WAL, foreign keys and a busy timeout."""
    uri = target.startswith("file:")
    conn = sqlite3.connect(
        target,
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        uri=uri,
        check_same_thread=False,
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    if not uri:
        conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    """Return the schema version recorded in PRAGMA user_version."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_not_newer(version: int) -> None:
    """Refuse a schema version this build does not know."""
    if version > SCHEMA_VERSION:
        raise SchemaTooNewError(version)


def upgrade(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> tuple[int, int]:
    """Apply the missing migrations up to target, each in its own transaction."""
    start = schema_version(conn)
    check_not_newer(start)
    conn.execute("PRAGMA journal_mode = WAL")  # persistent: stored in the database file
    for number in range(start + 1, target + 1):
        conn.executescript(
            f"BEGIN IMMEDIATE;\n{MIGRATIONS[number - 1]}\nPRAGMA user_version = {number};\nCOMMIT;"
        )
    return start, max(start, target)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block in one write transaction, rolled back on error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def get_db() -> sqlite3.Connection:
    """Return this request's connection, opening it on first use."""
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE_TARGET"])
    conn: sqlite3.Connection = g.db
    return conn


def close_db(_exc: BaseException | None = None) -> None:
    """Close this request's connection, if any."""
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def resolve_target(app: Flask) -> str:
    """Work out the sqlite target for the configured DATABASE, keeping memory databases alive."""
    database = app.config.get("DATABASE") or str(Path(app.instance_path) / "myfoodbudget.db")
    if database == ":memory:":
        target = f"file:myfoodbudget-{uuid.uuid4().hex}?mode=memory&cache=shared"
        anchor = connect(target)  # the database lives as long as this connection
        upgrade(anchor)
        app.extensions["db_anchor"] = anchor
        weakref.finalize(app, anchor.close)
        return target
    return database


def check_existing(target: str) -> None:
    """Refuse to start on a database this process cannot use, or whose schema is too new."""
    if target.startswith("file:"):
        return
    path = Path(target)
    if problem := access_problem(path):
        raise DatabaseAccessError(path, problem)
    if not path.exists():
        return
    conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        check_not_newer(schema_version(conn))
    finally:
        conn.close()


db_cli = AppGroup("db", help="Manage the database schema.")


@db_cli.command("upgrade")
def upgrade_command() -> None:
    """Apply the pending migrations (creating the database file if needed)."""
    target = current_app.config["DATABASE_TARGET"]
    if not target.startswith("file:"):
        try:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        except PermissionError as error:
            raise DatabaseAccessError(Path(target), f"cannot create its folder ({error})") from None
    conn = connect(target)
    try:
        before, after = upgrade(conn)
    finally:
        conn.close()
    click.echo(f"database schema at version {after} (was {before})")


@db_cli.command("version")
def version_command() -> None:
    """Print the database's schema version and the newest this build knows."""
    conn = connect(current_app.config["DATABASE_TARGET"])
    try:
        click.echo(f"database {schema_version(conn)}, this build {SCHEMA_VERSION}")
    finally:
        conn.close()


def init_app(app: Flask) -> None:
    """Resolve the database, refuse a too-new schema, and register teardown and CLI."""
    target = resolve_target(app)
    app.config["DATABASE_TARGET"] = target
    check_existing(target)
    app.teardown_appcontext(close_db)
    app.cli.add_command(db_cli)
