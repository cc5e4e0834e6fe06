"""Fidelity: a pod's command and args combine with the image's ENTRYPOINT and CMD as on a
real runtime.

From the Kubernetes docs (define a command and arguments for a container): `command`
replaces the image's ENTRYPOINT and its CMD, `args` alone replace the CMD and keep the
ENTRYPOINT. The image `ghcr.io/e2e/entrypoint-cmd:1` (tests/images/Dockerfile, and its entry
in tests/images.yaml for the sandbox) has ENTRYPOINT `echo entrypoint` and CMD `cmd words`.
Runs on the sandbox and on k3s (where e2e.yml builds and imports the image).
"""

from __future__ import annotations

from typing import Any

import pytest
from fidelity_support import service_account_ready
from kubernetes import client
from polling import wait_for

pytestmark = [pytest.mark.fidelity, pytest.mark.slow]
IMAGE = "ghcr.io/e2e/entrypoint-cmd:1"
CASES: dict[str, tuple[dict[str, Any], str]] = {
    "image": ({}, "entrypoint cmd words"),
    "command": ({"command": ["echo", "own"]}, "own"),
    "args": ({"args": ["zoo", "boo"]}, "entrypoint zoo boo"),
    "both": ({"command": ["echo", "own"], "args": ["zoo", "boo"]}, "own zoo boo"),
}


def test_command_and_args_meet_entrypoint_and_cmd(kube, kube_namespace):
    core = client.CoreV1Api(kube)
    service_account_ready(kube, kube_namespace)
    for name, (fields, _) in CASES.items():
        container = {"name": "c", "image": IMAGE, **fields}
        body = {
            "metadata": {"name": name},
            "spec": {"restartPolicy": "Never", "containers": [container]},
        }
        core.create_namespaced_pod(kube_namespace, body)

    def finished() -> bool:
        phases = [core.read_namespaced_pod(n, kube_namespace).status.phase for n in CASES]
        return all(p in ("Succeeded", "Failed") for p in phases)

    wait_for(finished, 120, "the four pods to finish")
    for name, (_, printed) in CASES.items():
        assert core.read_namespaced_pod(name, kube_namespace).status.phase == "Succeeded"
        assert core.read_namespaced_pod_log(name, kube_namespace) == printed + "\n", name
