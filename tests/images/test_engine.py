"""scripts/engine.sh: one engine per data root, reused when it answers, stopped only by its starter.

The throwaway engine of the last test has its own cache folder, so its own socket, data root
and exec root; with no DOCKER_HOST and no system socket, `up` must start it itself (as root) or
say in one line why it cannot (as any other user).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from images_support import Engine

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "engine.sh"


def engine_sh(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run scripts/engine.sh with this environment."""
    return subprocess.run(
        ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def holder() -> Iterator[subprocess.Popen[bytes]]:
    """A live process to hold a lease (its pid), ended afterwards."""
    process = subprocess.Popen(["sleep", "600"])
    yield process
    process.kill()
    process.wait()


def test_up_reuses_the_engine_that_answers_and_down_leaves_it(
    engine: Engine, holder: subprocess.Popen[bytes]
) -> None:
    """A second `up` starts nothing; its `down` leaves the engine it did not start running."""
    lease = str(holder.pid)
    up = engine_sh("up", "--lease", lease, env=engine.env)
    assert up.returncode == 0, up.stderr
    assert "starting dockerd" not in up.stderr
    assert "reusing it" in up.stderr or "using the engine at" in up.stderr
    down = engine_sh("down", "--lease", lease, env=engine.env)
    assert down.returncode == 0, down.stderr
    assert "stopping" not in down.stderr
    assert engine.problem() is None
    shown = engine_sh("env", env=engine.env)
    assert f"export DOCKER_HOST={engine.env['DOCKER_HOST']}" in shown.stdout.splitlines()


def test_a_private_engine_is_started_once_and_stopped_by_its_starter_only(
    tmp_path: Path, holder: subprocess.Popen[bytes]
) -> None:
    """up starts dockerd; another lease's up reuses it; only the starter's down stops it."""
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    env.update(MYFOODBUDGET_CACHE=str(tmp_path), MYFOODBUDGET_SYSTEM_SOCKET=str(tmp_path / "none"))
    me, other = str(os.getpid()), str(holder.pid)
    first = engine_sh("up", "--lease", me, env=env)
    if os.getuid() != 0:
        assert first.returncode == 1
        assert "needs root" in first.stderr, first.stderr
        return
    try:
        assert first.returncode == 0, first.stderr
        assert "starting dockerd" in first.stderr
        assert f"unix://{tmp_path}/engine/docker.sock" in engine_sh("env", env=env).stdout
        second = engine_sh("up", "--lease", other, env=env)
        assert "already runs" in second.stderr, second.stderr
        assert "stopping" not in engine_sh("down", "--lease", other, env=env).stderr
        assert engine_sh("status", env=env).returncode == 0
        stopped = engine_sh("down", "--lease", me, env=env)
        assert "stopping our dockerd" in stopped.stderr, stopped.stderr
        assert engine_sh("status", env=env).returncode == 1
    finally:
        engine_sh("down", env=env)
