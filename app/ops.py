"""Operations endpoints: liveness, readiness, version and metrics."""

from __future__ import annotations

import os
import sqlite3
from importlib import metadata
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify

from app.db import SCHEMA_VERSION, SchemaTooNewError, connect, schema_version
from app.observability import metrics_response

bp = Blueprint("ops", __name__)


def app_version() -> str:
    """The installed package version."""
    try:
        return metadata.version("myfoodbudget")
    except metadata.PackageNotFoundError:
        return "0+unknown"


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers; the database is not touched."""
    return jsonify(status="ok")


def check_database(target: str) -> tuple[str | None, int | None]:
    """Return (problem, schema version) after opening the database and reading its version."""
    if not target.startswith("file:") and not Path(target).exists():
        return f"database file {target} does not exist: run flask --app app db upgrade", None
    try:
        conn = connect(target)
        try:
            conn.execute("SELECT 1").fetchone()
            return None, schema_version(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return f"database unreachable: {exc}", None


def check_schema(version: int) -> str | None:
    """Return the problem with the schema version, if any."""
    if version > SCHEMA_VERSION:
        return SchemaTooNewError(version).message
    if version < SCHEMA_VERSION:
        return (
            f"schema version {version} is older than this build's {SCHEMA_VERSION}: "
            "run flask --app app db upgrade"
        )
    return None


def check_data_dir(target: str) -> str | None:
    """Return the problem with writing the data directory, if any."""
    if target.startswith("file:"):
        return None
    directory = Path(target).parent
    if not os.access(directory, os.W_OK):
        return f"data directory {directory} is not writable"
    if Path(target).exists() and not os.access(target, os.W_OK):
        return f"database file {target} is not writable"
    return None


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Readiness: database reachable, schema at head, data directory writable."""
    target = current_app.config["DATABASE_TARGET"]
    problem, version = check_database(target)
    problems = {"database": problem}
    problems["schema"] = check_schema(version) if version is not None else "not checked"
    problems["data_dir"] = check_data_dir(target)
    failing = [name for name, p in problems.items() if p is not None]
    checks = {name: p or "ok" for name, p in problems.items()}
    if failing:
        return jsonify(status="not ready", failing=failing, checks=checks), 503
    return jsonify(status="ready", checks=checks, schema_version=version), 200


@bp.get("/version")
def version() -> Response:
    """The app version, image and git commit this process runs."""
    return jsonify(
        version=app_version(),
        image=current_app.config["APP_IMAGE"],
        commit=current_app.config["GIT_COMMIT"],
        schema_version=SCHEMA_VERSION,
    )


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus metrics: responses by status class, requests and latency by endpoint."""
    return metrics_response()
