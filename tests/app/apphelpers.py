"""Helpers to run the app the way a deployment does: flask CLI and gunicorn subprocesses."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

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

    def __init__(self, env: dict[str, str], log: Path) -> None:
        """Start gunicorn on a free port, its output going to log."""
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**env, "PORT": str(self.port), "BIND_HOST": "127.0.0.1", "WEB_CONCURRENCY": "2"}
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
