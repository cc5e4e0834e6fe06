"""Install as the guide does: `kubectl apply -k manifests/`, then the dev overlay, on the cluster.

On the sandbox, kubectl's client-side schema check is off (`--validate=false`): the sandbox
serves no /openapi documents (docs/sandbox.md). The API server still validates every object,
custom resources against their CRD schema.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBECTL = Path(sys.executable).parent / "kubectl"
CRDS = ("releases.gitops.myfoodbudget.dev", "gitsyncs.gitops.myfoodbudget.dev")
CLUSTER_RBAC = ("clusterrole/myfoodbudget-gitops-operator",
                "clusterrolebinding/myfoodbudget-gitops-operator")  # fmt: skip

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def built(path: str) -> list[dict[str, Any]]:
    """The objects `kubectl kustomize path` renders."""
    out = subprocess.run(
        [str(KUBECTL), "kustomize", str(ROOT / path)], capture_output=True, text=True, check=True
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def apply_args(cluster: Any, path: str) -> list[str]:
    """The guide's `kubectl apply -k PATH` (client-side validation off on the sandbox)."""
    return ["apply", "-k", str(ROOT / path), *(["--validate=false"] if cluster.is_sandbox else [])]


@pytest.fixture(scope="module")
def installed(cluster: Any) -> Iterator[Any]:
    """manifests/ and the dev overlay applied; namespaces and cluster RBAC removed afterwards."""
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
    yield cluster
    cluster.kubectl("delete", "namespace", "myfoodbudget", "myfoodbudget-system", "--wait=false")
    cluster.kubectl("delete", *CLUSTER_RBAC, "--ignore-not-found")


def names(cluster: Any, objects: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    """(kind, namespace, name) of the objects as the cluster has them."""
    result = cluster.kubectl("get", "-o", "json", "-f", "-", input=yaml.safe_dump_all(objects))
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout).get("items") or []
    return {(i["kind"], i["metadata"].get("namespace", ""), i["metadata"]["name"]) for i in items}


def wanted(objects: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    """(kind, namespace, name) of rendered objects."""
    return {(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in objects}


def test_manifests_install_everything(installed: Any) -> None:
    """Every object of manifests/ exists after the install."""
    objects = built("manifests")
    assert names(installed, objects) == wanted(objects)


def test_the_dev_overlay_applies_cleanly_and_twice(installed: Any) -> None:
    """The dev overlay creates all its objects; applying it again changes nothing."""
    objects = built("kustomize/overlays/dev")
    first = installed.kubectl(*apply_args(installed, "kustomize/overlays/dev"))
    assert first.returncode == 0, first.stderr
    assert names(installed, objects) == wanted(objects)
    again = installed.kubectl(*apply_args(installed, "kustomize/overlays/dev"))
    assert again.returncode == 0, again.stderr
    assert all(line.endswith("unchanged") for line in again.stdout.splitlines()), again.stdout


def test_the_homelab_overlay_passes_a_server_dry_run(installed: Any) -> None:
    """The API server accepts the homelab overlay too (schema, CRD validation), storing nothing."""
    args = apply_args(installed, "kustomize/overlays/homelab")
    result = installed.kubectl(*args, "--dry-run=server")
    assert result.returncode == 0, result.stderr
    assert "(server dry run)" in result.stdout
