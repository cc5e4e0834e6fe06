"""The install of manifests/ (CRDs, namespaces, RBAC, operator Deployment) for these tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from delivery_helpers import CLUSTER_RBAC, CRDS, apply_args


@pytest.fixture(scope="session")
def installed(cluster: Any, in_cluster: Any) -> Iterator[Any]:
    """manifests/ applied and the app Secret created; on the sandbox all of it removed after.

    On a given cluster (e2e.yml) this re-applies what the workflow installed: the operator keeps
    running there, watching the app namespace, and the install stays for the workflow's logs.
    On the docker runtime the session's in-cluster operator is that install (manifests/ with
    the tests' settings on its Deployment), and it keeps running.
    """
    if in_cluster is None:
        result = cluster.kubectl(*apply_args(cluster, "manifests"))
        assert result.returncode == 0, result.stderr
    established = cluster.kubectl(
        "wait", "--for=condition=Established", "--timeout=60s", *(f"crd/{c}" for c in CRDS)
    )
    assert established.returncode == 0, established.stderr
    secret = cluster.kubectl(
        "-n", "myfoodbudget", "create", "secret", "generic", "myfoodbudget-secrets",
        "--from-literal=secret-key=" + "k" * 64, "--dry-run=client", "-o", "yaml",
    )  # fmt: skip
    created = cluster.kubectl("apply", "-f", "-", input=secret.stdout)
    assert created.returncode == 0, created.stderr
    if cluster.is_sandbox and in_cluster is None:  # the process runtime's pods cannot run it
        scaled = cluster.kubectl(
            "-n", "myfoodbudget-system", "scale", "deployment/gitops-operator", "--replicas=0"
        )
        assert scaled.returncode == 0, scaled.stderr
    yield cluster
    if cluster.is_sandbox and in_cluster is None:
        namespaces = ("myfoodbudget", "myfoodbudget-system")
        cluster.kubectl("delete", "namespace", *namespaces, "--wait=false")
        cluster.kubectl("delete", *CLUSTER_RBAC, "--ignore-not-found")
