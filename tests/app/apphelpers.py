"""Helpers to run the app the way a deployment does: flask CLI and gunicorn subprocesses."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def app_env(db_path: Path, **extra: str) -> dict[str, str]:
    """The environment a production deployment would give the app."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "FLASK_"))}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        APP_ENV="production",
        SECRET_KEY="test-secret-key-0123456789",
        DATABASE_URL=f"sqlite:///{db_path}",
        APP_IMAGE="ghcr.io/example/myfoodbudget:test",
        GIT_COMMIT="abc1234",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def flask_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run `flask --app app ...` from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class Server:
    """A gunicorn serving the app from the repository root, as the container does."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 2) -> None:
        """Start gunicorn with this many workers on a free port, its output going to log."""
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **env,
            "PORT": str(self.port),
            "BIND_HOST": "127.0.0.1",
            "WEB_CONCURRENCY": str(workers),
        }
        with log.open("w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "app/gunicorn.conf.py", "app.wsgi:app"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )

    def wait_ready(self, timeout: float = 20) -> None:
        """Poll /readyz until it answers 200, or fail with gunicorn's output."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"gunicorn exited early:\n{self.output()}")
            try:
                if requests.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass  # not listening yet
            time.sleep(0.05)
        pytest.fail(f"gunicorn not ready within {timeout} s")

    def output(self) -> str:
        """Everything gunicorn printed so far."""
        return self.log.read_text()

    def stop(self) -> int:
        """Send SIGTERM and wait for a graceful exit; return the exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.wait(timeout=30)


PASSWORD = "correct horse"
# where test_app_fuzz.py leaves its figures for the end-of-run summary (conftest.py)
FUZZ_FIGURES = pytest.StashKey[dict[str, Any]]()


class AuthActions:
    """Register, log in and log out through the HTML forms."""

    def __init__(self, client: FlaskClient) -> None:
        """Drive the given client."""
        self.client = client

    def register(self, username: str = "ana", password: str = PASSWORD) -> Any:
        """Create an account (which also logs in)."""
        data = {"username": username, "email": f"{username}@example.com", "password": password}
        return self.client.post("/auth/register", data=data)

    def login(self, username: str = "ana", password: str = PASSWORD) -> Any:
        """Log in."""
        return self.client.post("/auth/login", data={"username": username, "password": password})

    def logout(self) -> Any:
        """Log out."""
        return self.client.post("/auth/logout")


RICE = {"name": "Rice", "package_quantity": "1", "package_unit": "kg", "package_price": "2.49"}
MILK = {"name": "Milk", "package_quantity": "1", "package_unit": "l", "package_price": "1.19"}


class Api:
    """A JSON API client over the Flask test client, with a Bearer token."""

    def __init__(self, client: FlaskClient, username: str) -> None:
        """Register username and get a token."""
        self.client = client
        body = {"username": username, "email": f"{username}@example.com", "password": "pw-12345678"}
        assert client.post("/api/v1/users", json=body).status_code == 201
        resp = client.post("/api/v1/tokens", auth=(username, "pw-12345678"))
        self.token = resp.get_json()["token"]

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        """Send one request and return the response."""
        headers = {"Authorization": f"Bearer {self.token}"}
        return self.client.open(
            f"/api/v1{path}", method=method, json=body, headers=headers, **kwargs
        )


def create(api: Api, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST body and return the created resource."""
    resp = api.call("POST", path, body)
    assert resp.status_code == 201, resp.get_json()
    created: dict[str, Any] = resp.get_json()
    return created


# random request bodies for the "never a 5xx" tests
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "name",
    "brand",
    "category",
    "package_quantity",
    "package_unit",
    "package_price",
    "servings",
    "instructions",
    "items",
    "amount",
    "date",
    "store",
    "note",
    "quantity",
    "unit",
    "ingredient_id",
    "username",
    "email",
    "password",
]
BODIES = st.one_of(JSON, st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=7))
TARGETS = [
    ("POST", "/ingredients"),
    ("PATCH", "/ingredients/1"),
    ("POST", "/recipes"),
    ("PATCH", "/recipes/1"),
    ("PUT", "/budgets/2025-01"),
    ("POST", "/purchases"),
    ("POST", "/users"),
]
