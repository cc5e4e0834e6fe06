"""compose.yaml and compose.prod.yaml, validated and resolved by Compose itself.

`docker compose config` where the plugin exists (GitHub's runners), else Debian's docker-compose
(installed by scripts/system-deps.sh), which checks the file against the Compose schema. Both
print the resolved file, read here. Nothing is started: Compose would give containers a bridge
network of their own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose_command() -> list[str]:
    """The Compose CLI: the docker plugin, or docker-compose; a one-line failure if neither."""
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    if found := shutil.which("docker-compose"):
        return [found]
    pytest.fail("no Compose: install the docker compose plugin or run `make system-deps`", False)


def resolved(name: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`compose -f NAME config` with only the given variables set."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "DOCKER_HOST")}
    return subprocess.run(
        [*compose_command(), "--project-directory", str(ROOT), "-f", str(ROOT / name), "config"],
        capture_output=True, text=True, check=False, timeout=60, env={**keep, **env},
    )  # fmt: skip


def service(name: str, **env: str) -> dict[str, Any]:
    """The resolved `app` service of one compose file."""
    done = resolved(name, **env)
    assert done.returncode == 0, done.stderr
    app: dict[str, Any] = yaml.safe_load(done.stdout)["services"]["app"]
    return app


def test_prod_runs_the_image_read_only_with_health_check_limits_and_a_volume() -> None:
    """The production settings survive Compose's own reading of the file."""
    app = service("compose.prod.yaml", SECRET_KEY="k" * 32)
    assert app["image"] == "myfoodbudget/app:dev"
    assert app["read_only"] is True
    assert "/tmp" in app["tmpfs"]
    assert app["environment"]["SECRET_KEY"] == "k" * 32
    mount = next(v for v in app["volumes"] if "/data" in str(v))
    if isinstance(mount, dict):
        assert (mount["type"], mount["source"]) == ("volume", "data")
    else:
        assert mount.startswith("data:")  # docker-compose 1.x prints the short form
    assert "/healthz" in " ".join(app["healthcheck"]["test"])
    limits = app["deploy"]["resources"]["limits"]
    assert limits["memory"] in ("256M", "268435456", 268435456)
    assert "build" not in app


def test_prod_refuses_to_start_without_a_secret_key() -> None:
    """No SECRET_KEY: Compose stops with the variable named and how to make one."""
    done = resolved("compose.prod.yaml")
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr
    assert "openssl rand -hex 32" in done.stderr


def test_dev_builds_this_checkout_mounts_the_code_and_reloads() -> None:
    """compose.yaml: the app target of this Dockerfile, ./app mounted, flask's reloader."""
    app = service("compose.yaml")
    assert app["build"]["target"] == "app"
    assert Path(app["build"]["context"]).resolve() == ROOT
    sources = [str(v["source"] if isinstance(v, dict) else v.split(":")[0]) for v in app["volumes"]]
    assert str(ROOT / "app") in sources
    assert "--debug" in " ".join(app["command"])
    assert app["environment"]["PYTHONPATH"] == "/code"
