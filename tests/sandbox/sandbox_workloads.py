"""Fixtures for the controller and kubelet tests: a real sandbox process and real clients."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import pathlib
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from unittest import mock

import pytest
import yaml
from kubernetes import client, config
from support.sandbox import Sandbox as RunningSandbox
from support.sandbox import running_sandbox

IMAGES = pathlib.Path(__file__).resolve().parent / "images" / "catalog.yaml"
KUBECTL = pathlib.Path(sys.executable).parent / "kubectl"
T = TypeVar("T")


@dataclasses.dataclass
class Sandbox:
    """A running sandbox and clients bound to it."""

    kubeconfig: pathlib.Path
    data: pathlib.Path
    cache: pathlib.Path
    api: client.ApiClient
    control: RunningSandbox

    @property
    def audit_log(self) -> pathlib.Path:
        """The API server's audit log of writes (--audit-log)."""
        return self.data.parent / "audit.log"

    @property
    def core(self) -> client.CoreV1Api:
        """The core/v1 API."""
        return client.CoreV1Api(self.api)

    @property
    def apps(self) -> client.AppsV1Api:
        """The apps/v1 API."""
        return client.AppsV1Api(self.api)

    @property
    def batch(self) -> client.BatchV1Api:
        """The batch/v1 API."""
        return client.BatchV1Api(self.api)

    def kubectl(
        self, *args: str, check: bool = True, stdin: str | None = None, timeout: float = 90
    ) -> subprocess.CompletedProcess[str]:
        """Run the real kubectl against the sandbox."""
        argv = [
            str(KUBECTL),
            "--kubeconfig",
            str(self.kubeconfig),
            "--cache-dir",
            str(self.cache),
            *args,
        ]
        result = subprocess.run(
            argv, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stdout}{result.stderr}")
        return result

    def apply(self, namespace: str, *objects: dict[str, Any]) -> None:
        """kubectl apply the given objects into namespace."""
        text = yaml.safe_dump_all(objects)
        self.kubectl("apply", "-n", namespace, "--validate=false", "-f", "-", stdin=text)


def wait_for(check: Callable[[], T], what: str, timeout: float = 30.0) -> T:
    """Poll check() until it returns something truthy; fail with `what` after timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        with contextlib.suppress(client.ApiException):
            last = check()
            if last:
                return last
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox with the test image catalog and a short restart back-off (1 s, capped at 2 s)."""
    tmp = tmp_path_factory.mktemp("sandbox")
    fast = {"SANDBOX_BACKOFF_INITIAL": "1", "SANDBOX_BACKOFF_CAP": "2"}
    with contextlib.ExitStack() as stack:
        with mock.patch.dict(os.environ, fast):  # read once, when the sandbox starts
            audit = ["--audit-log", str(tmp / "audit.log")]
            running = stack.enter_context(running_sandbox(tmp, IMAGES, audit))
        api = stack.enter_context(config.new_client_from_config(str(running.kubeconfig)))
        cache = tmp / "kubectl-cache"
        yield Sandbox(running.kubeconfig, running.data_dir, cache, api, running)


@pytest.fixture
def namespace(sandbox: Sandbox) -> str:
    """A fresh namespace for one test."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    sandbox.core.create_namespace({"metadata": {"name": name}})
    return name


def conditions(obj: Any) -> dict[str, Any]:
    """An object's status conditions by type (Python client models)."""
    return {c.type: c for c in obj.status.conditions or []}


def container_pid(pod: Any) -> int:
    """The process id of a pod's first container (the sandbox reports sandbox://<pid>)."""
    container_id = pod.status.container_statuses[0].container_id
    assert container_id.startswith("sandbox://"), container_id
    return int(container_id.removeprefix("sandbox://"))


def pid_alive(pid: int) -> bool:
    """Whether a process with that id still exists (zombies count as gone)."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def http_get(port: int, path: str = "/") -> tuple[int, str]:
    """GET http://127.0.0.1:port/path; (status, body)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def pod_port(pod: Any, name: str) -> int:
    """The localhost port the kubelet allocated for a named containerPort."""
    return int(json.loads(pod.metadata.annotations["sandbox.myfoodbudget.dev/ports"])[name])


def web_container(**extra: Any) -> dict[str, Any]:
    """The test web image with a named port, its pod name in env and a fast readiness probe."""
    container = {
        "name": "web",
        "image": "sandbox.test/web:1",
        "ports": [{"name": "http", "containerPort": 8080}],
        "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 1},
    }
    container.update(extra)
    return container


def pod(name: str, containers: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    """A bare Pod manifest."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"containers": containers, **spec},
    }


def deployment(
    name: str, containers: list[dict[str, Any]], replicas: int = 1, **spec: Any
) -> dict[str, Any]:
    """A Deployment manifest selecting app=<name>."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": containers}},
            **spec,
        },
    }
