"""Fixtures for the app tests: a fresh SQLite file per test, clients, and a real gunicorn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apphelpers import FUZZ_FIGURES, Api, AuthActions, Server, app_env, flask_cli
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from app import create_app


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    """A testing app on its own SQLite file, migrated to the newest schema."""
    app = create_app({"APP_ENV": "testing", "DATABASE": str(tmp_path / "app.db")})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner for the app."""
    return app.test_cli_runner()


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    """Form-based account actions for the test client."""
    return AuthActions(client)


@pytest.fixture
def api(client: FlaskClient) -> Api:
    """An API client logged in as a fresh user."""
    return Api(client, "apiuser")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A production-configured gunicorn on a migrated SQLite file, shared by a module."""
    folder = tmp_path_factory.mktemp("srv")
    env = app_env(folder / "myfoodbudget.db")
    result = flask_cli(env, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    srv = Server(env, folder / "gunicorn.log")
    srv.wait_ready()
    yield srv
    assert srv.stop() == 0


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Say how much the API fuzzing sent and found (see test_app_fuzz.py)."""
    figures = config.stash.get(FUZZ_FIGURES, None)
    if figures:
        terminalreporter.write_line(
            f"app API fuzzing: {figures['requests']} requests to {figures['operations']} "
            f"operations, {figures['server_errors']} server errors"
        )
