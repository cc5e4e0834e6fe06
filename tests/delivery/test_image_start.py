"""The app image's start command, environment, HEALTHCHECK and STOPSIGNAL, run without Docker.

No container runtime exists here, so the `app` stage's own CMD runs as a local process with the
stage's ENV (paths under /srv and /data mapped into a temporary folder): migrations, then
gunicorn, ready on /readyz, healthy by the HEALTHCHECK command, stopped cleanly by STOPSIGNAL.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def stage_instructions(stage: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of one Dockerfile stage and the stages it builds FROM."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        word, _, rest = line.strip().partition(" ")
        if word.upper() == "FROM":
            parts = rest.split()
            current = list(stages.get(parts[0], []))
            if len(parts) == 3 and parts[1].upper() == "AS":
                stages[parts[2]] = current
            continue
        current.append((word.upper(), rest.strip()))
    return stages[stage]


def last(instructions: list[tuple[str, str]], name: str) -> str:
    """The arguments of the last instruction called name."""
    return [args for word, args in instructions if word == name][-1]


def stage_env(instructions: list[tuple[str, str]]) -> dict[str, str]:
    """Every ENV key=value of the stage (later ones win)."""
    env: dict[str, str] = {}
    for word, args in instructions:
        if word == "ENV":
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def app_stage() -> list[tuple[str, str]]:
    """The instructions of the `app` target."""
    return stage_instructions("app")


@pytest.fixture
def container(app_stage: list[tuple[str, str]], tmp_path: Path) -> Iterator[subprocess.Popen]:
    """The app stage's CMD running as a process, with its ENV and mapped paths."""
    env = stage_env(app_stage)
    assert env["APP_ENV"] == "production"
    assert env["DATABASE_URL"] == "sqlite:////data/myfoodbudget.db"
    data = tmp_path / "data"
    data.mkdir()
    env.update(
        PATH=f"{BIN}:{os.environ['PATH']}",
        DATABASE_URL=f"sqlite:///{data}/myfoodbudget.db",
        PORT=str(free_port()),
        BIND_HOST="127.0.0.1",
        SECRET_KEY="x" * 64,
        TMPDIR=str(tmp_path),
    )
    command = json.loads(last(app_stage, "CMD"))
    command = [
        c.replace("/srv/gunicorn.conf.py", str(ROOT / "app" / "gunicorn.conf.py")) for c in command
    ]
    process = subprocess.Popen(command, env=env, cwd=tmp_path, start_new_session=True)
    process.env = env  # type: ignore[attr-defined]
    yield process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_ready(port: str, process: subprocess.Popen, seconds: float = 30) -> None:
    """Poll /readyz until it answers 200, the process dies, or the deadline passes."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the start command exited"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail("/readyz did not answer 200 in time")


@pytest.mark.slow
def test_app_stage_starts_is_healthy_and_stops_on_its_stopsignal(
    container: subprocess.Popen, app_stage: list[tuple[str, str]], tmp_path: Path
) -> None:
    """Migrations run, gunicorn serves /readyz, HEALTHCHECK passes, STOPSIGNAL ends it cleanly."""
    env = container.env  # type: ignore[attr-defined]
    wait_ready(env["PORT"], container)
    assert (tmp_path / "data" / "myfoodbudget.db").exists()
    health = json.loads(last(app_stage, "HEALTHCHECK").split(" CMD ", 1)[1])
    assert health[0] == "python"
    probe = subprocess.run(health, env=env, capture_output=True, timeout=10, check=False)
    assert probe.returncode == 0, probe.stderr
    stop = getattr(signal, last(app_stage, "STOPSIGNAL"))
    os.kill(container.pid, stop)
    assert container.wait(timeout=30) == 0
    failing = subprocess.run(health, env=env, capture_output=True, timeout=10, check=False)
    assert failing.returncode != 0  # nothing listens any more: the HEALTHCHECK notices


def test_both_targets_run_as_the_fixed_non_root_user() -> None:
    """USER 10001:10001 in app and operator; the operator runs python -m gitops with git."""
    for stage in ("app", "operator"):
        assert last(stage_instructions(stage), "USER") == "10001:10001"
    operator = stage_instructions("operator")
    assert json.loads(last(operator, "CMD")) == ["python", "-m", "gitops"]
    assert "git" in last(operator, "RUN").split()
