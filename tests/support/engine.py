"""The project's container engine for tests: the environment that points docker at it, and
what the sandbox left in it (by label)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SANDBOX_LABEL = "dev.myfoodbudget.sandbox"  # on every container and volume a sandbox makes


def engine_environment() -> dict[str, str]:
    """The environment that points docker at the engine: as given, or `engine.sh env`'s."""
    env = dict(os.environ)
    if env.get("DOCKER_HOST"):
        return env
    shown = subprocess.run(
        ["bash", str(ROOT / "scripts" / "engine.sh"), "env"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    for line in shown.stdout.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        if value:
            env[key] = value
    return env


def docker(env: dict[str, str], *args: str) -> str:
    """Run the docker client against the engine; its output (AssertionError when it fails)."""
    done = subprocess.run(
        [env.get("MYFOODBUDGET_DOCKER", "docker"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, f"docker {' '.join(args)}: {done.stderr}"
    return done.stdout


def left_behind(env: dict[str, str], label: str) -> list[str]:
    """Containers and volumes that carry the label (`key` or `key=value`)."""
    containers = docker(env, "ps", "--all", "--quiet", "--filter", f"label={label}").split()
    volumes = docker(env, "volume", "ls", "--quiet", "--filter", f"label={label}").split()
    return [*containers, *volumes]
