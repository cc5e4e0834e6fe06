"""A sandbox on the docker runtime for the tests of tests/sandbox/test_docker_*.py: one per
module, its pods made from the real images of `make images` in the project's engine."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from kubernetes import config
from sandbox_workloads import Sandbox, wait_for
from support.engine import docker, engine_environment
from support.sandbox import running_sandbox

APP_IMAGE = "myfoodbudget/app:dev"  # runs as 10001, python3 inside
BASES = ("python:3.11-slim-bookworm", "myfoodbudget/python-standin:3.11-bookworm")  # root


def engine_or_fail() -> dict[str, str]:
    """The engine's environment; a one-line failure when it or the images are missing."""
    env = engine_environment()
    if not env.get("DOCKER_HOST"):
        pytest.fail("no container engine: run `make images` (scripts/engine.sh up, as root)")
    images = docker(env, "images", "--format", "{{.Repository}}:{{.Tag}}").split()
    if APP_IMAGE not in images or not any(b in images for b in BASES):
        pytest.fail(f"{APP_IMAGE} or the base image is not in the engine: run `make images`")
    return env


def base_image(env: dict[str, str]) -> str:
    """The Python base image the engine has (it runs as root)."""
    images = docker(env, "images", "--format", "{{.Repository}}:{{.Tag}}").split()
    return next(b for b in BASES if b in images)


@contextlib.contextmanager
def docker_sandbox(folder: Path, env: dict[str, str]) -> Iterator[Sandbox]:
    """A sandbox with `--runtime docker` and a short restart back-off (1 s, capped at 2 s)."""
    fast = {
        "SANDBOX_BACKOFF_INITIAL": "1",
        "SANDBOX_BACKOFF_CAP": "2",
        "DOCKER_HOST": env["DOCKER_HOST"],
    }
    with contextlib.ExitStack() as stack:
        with mock.patch.dict(os.environ, fast):  # read once, when the sandbox starts
            running = stack.enter_context(
                running_sandbox(folder, extra_args=["--runtime", "docker"])
            )
        api = stack.enter_context(config.new_client_from_config(str(running.kubeconfig)))
        yield Sandbox(running.kubeconfig, running.data_dir, folder / "kubectl-cache", api, running)


def state_of(sandbox: Sandbox, namespace: str, name: str, key: str = "state") -> dict[str, Any]:
    """The first container's state (or lastState) as the API returns it ({} before any)."""
    found = sandbox.core.read_namespaced_pod(name, namespace).to_dict()["status"]
    statuses = found.get("container_statuses") or [{}]
    return {k: v for k, v in (statuses[0].get(key) or {}).items() if v}


def wait_state(sandbox: Sandbox, namespace: str, name: str, kind: str, **fields: Any) -> Any:
    """Wait until the first container's state is `kind` (running, waiting, terminated) with
    the fields given; return that state."""

    def reached() -> Any:
        state = state_of(sandbox, namespace, name).get(kind)
        return state if state and all(state.get(k) == v for k, v in fields.items()) else None

    return wait_for(reached, f"pod {name} {kind} {fields}", timeout=60)


def exec_in(sandbox: Sandbox, namespace: str, name: str, *argv: str) -> str:
    """`kubectl exec` in the pod; its output."""
    return sandbox.kubectl("exec", "-n", namespace, name, "--", *argv).stdout
