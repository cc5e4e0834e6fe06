"""SQLite connections and migrations: every upgrade keeps rows; a newer schema is refused."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from apphelpers import Server, app_env, flask_cli
from flask import Flask
from flask.testing import FlaskCliRunner

from app import create_app
from app.db import SCHEMA_VERSION, SchemaTooNewError, connect, schema_version, transaction, upgrade
from app.migrations import MIGRATIONS

# one row per table, using only the columns each table had when it was created
SAMPLE_ROWS = {
    "users": {"id": 1, "username": "old", "email": "old@example.com", "password_hash": "x"},
    "ingredients": {
        "id": 1,
        "user_id": 1,
        "name": "Flour",
        "package_quantity": "1",
        "package_unit": "kg",
        "package_price_cents": 129,
    },
    "recipes": {"id": 1, "user_id": 1, "name": "Bread", "servings": 4},
    "recipe_items": {
        "recipe_id": 1,
        "ingredient_id": 1,
        "position": 0,
        "quantity": "500",
        "unit": "g",
    },
    "budgets": {"user_id": 1, "month": "2025-01", "amount_cents": 30000},
    "purchases": {"user_id": 1, "date": "2025-01-05", "amount_cents": 1999, "category": "food"},
    "api_tokens": {"user_id": 1, "token_hash": "abc"},
    "login_failures": {"key": "old|127.0.0.1", "at": 1735689600.0},
}
NEWER = "newer than this build knows"


def tables(conn: sqlite3.Connection) -> list[str]:
    """The user tables of a database, in creation order."""
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")
    return [r[0] for r in rows]


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Row count of every table."""
    return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables(conn)}


def test_there_are_several_migrations_and_every_table_has_a_sample() -> None:
    assert SCHEMA_VERSION == len(MIGRATIONS) >= 3
    with closing(connect(":memory:")) as conn:
        upgrade(conn)
        assert set(tables(conn)) == set(SAMPLE_ROWS)


@pytest.mark.parametrize("start", range(1, SCHEMA_VERSION))
def test_upgrading_from_every_earlier_version_keeps_all_rows(tmp_path: Path, start: int) -> None:
    conn = connect(str(tmp_path / "old.db"))
    assert upgrade(conn, target=start) == (0, start)
    for table in tables(conn):
        row = SAMPLE_ROWS[table]
        conn.execute(
            f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
    before = counts(conn)
    assert upgrade(conn) == (start, SCHEMA_VERSION)
    after = counts(conn)
    assert schema_version(conn) == SCHEMA_VERSION
    assert {t: after[t] for t in before} == before
    assert all(n == 1 for n in before.values())
    conn.close()
    app = create_app({"APP_ENV": "testing", "DATABASE": str(tmp_path / "old.db")})
    with app.app_context():
        from app.db import get_db
        from app.models.ingredients import get_ingredient, to_api

        assert to_api(get_ingredient(get_db(), 1, 1))["unit_price"] == "1.29"


def test_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    with closing(connect(str(tmp_path / "x.db"))) as conn:
        upgrade(conn)
    with closing(connect(str(tmp_path / "x.db"))) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO recipes (user_id, name, servings) VALUES (99, 'x', 1)")


def test_a_failed_transaction_changes_nothing(tmp_path: Path) -> None:
    conn = connect(str(tmp_path / "x.db"))
    upgrade(conn)
    insert = "INSERT INTO users (username, email, password_hash) VALUES (?, ?, 'h')"

    def two_clashing_users() -> None:
        """Insert two users whose names differ only in case."""
        with transaction(conn):
            conn.execute(insert, ("a", "a@x"))
            conn.execute(insert, ("A", "b@x"))

    with pytest.raises(sqlite3.IntegrityError):
        two_clashing_users()
    assert counts(conn)["users"] == 0
    conn.close()


def make_newer(path: Path) -> None:
    """Migrate a database file to one version past what this build knows."""
    conn = connect(str(path))
    upgrade(conn)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()


def test_the_app_factory_refuses_a_newer_schema(tmp_path: Path) -> None:
    make_newer(tmp_path / "new.db")
    with pytest.raises(SchemaTooNewError) as info:
        create_app({"APP_ENV": "testing", "DATABASE": str(tmp_path / "new.db")})
    message = info.value.message
    assert NEWER in message
    assert "restore a snapshot" in message
    assert "deploy a newer image" in message


def test_db_upgrade_refuses_a_newer_schema_with_the_message(tmp_path: Path) -> None:
    make_newer(tmp_path / "new.db")
    result = flask_cli(app_env(tmp_path / "new.db"), "db", "upgrade")
    assert result.returncode == 1
    assert "restore a snapshot" in result.stderr
    assert "Traceback" not in result.stderr


def test_gunicorn_refuses_to_start_on_a_newer_schema(tmp_path: Path) -> None:
    make_newer(tmp_path / "new.db")
    srv = Server(app_env(tmp_path / "new.db"), tmp_path / "gunicorn.log")
    assert srv.proc.wait(timeout=30) == 1
    assert f"database schema version {SCHEMA_VERSION + 1} is {NEWER}" in srv.output()
    assert "deploy a newer image" in srv.output()


def test_gunicorn_refuses_a_bad_configuration_with_one_line_per_problem(tmp_path: Path) -> None:
    env = app_env(tmp_path / "x.db", LOG_LEVEL="LOUD")
    env.pop("SECRET_KEY")
    srv = Server(env, tmp_path / "gunicorn.log")
    assert srv.proc.wait(timeout=30) == 1
    lines = srv.output().splitlines()
    assert any(line.strip().startswith("SECRET_KEY is required") for line in lines)
    assert any(line.strip().startswith("LOG_LEVEL must be one of") for line in lines)


def test_readyz_turns_503_when_the_schema_becomes_newer(app: Flask, tmp_path: Path) -> None:
    client = app.test_client()
    assert client.get("/readyz").get_json()["status"] == "ready"
    conn = connect(str(tmp_path / "app.db"))
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    resp = client.get("/readyz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["failing"] == ["schema"]
    assert "restore a snapshot" in body["checks"]["schema"]


def test_readyz_names_a_missing_database_and_an_old_schema(tmp_path: Path) -> None:
    app = create_app({"APP_ENV": "testing", "DATABASE": str(tmp_path / "missing.db")})
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["failing"] == ["database", "schema"]
    assert not (tmp_path / "missing.db").exists()
    with closing(connect(str(tmp_path / "missing.db"))) as conn:
        upgrade(conn, target=1)
    body = app.test_client().get("/readyz").get_json()
    assert body["failing"] == ["schema"]
    assert "run flask --app app db upgrade" in body["checks"]["schema"]


def test_cli_upgrade_and_version(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["db", "upgrade"])
    assert f"version {SCHEMA_VERSION} (was {SCHEMA_VERSION})" in result.output
    result = runner.invoke(args=["db", "version"])
    assert result.output.strip() == f"database {SCHEMA_VERSION}, this build {SCHEMA_VERSION}"
