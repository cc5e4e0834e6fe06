"""Install as the guide does: `kubectl apply -k manifests/`, then the dev overlay, on the cluster.

On the sandbox, kubectl's client-side schema check is off (`--validate=false`): the sandbox
serves no /openapi documents. The API server still validates every object,
custom resources against their CRD schema.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from delivery_helpers import apply_args, built

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
DEV_IMAGE = "ghcr.io/owner/myfoodbudget:dev"  # the dev overlay's; e2e.yml imports it


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


def test_the_installed_operator_releases_the_dev_overlay(installed: Any) -> None:
    """On a real cluster the operator manifests/ runs (in its pod, under its RBAC) deploys dev."""
    if installed.is_sandbox and installed.runtime != "docker":
        pytest.skip(
            "the process runtime cannot run the operator's image; run with "
            "--sandbox-runtime docker (make test) or test_operator_rbac.py runs it"
        )
    applied = installed.kubectl(*apply_args(installed, "kustomize/overlays/dev"))
    assert applied.returncode == 0, applied.stderr
    waited = installed.kubectl(
        "-n", "myfoodbudget", "wait", "--for=condition=Ready", "release/myfoodbudget",
        "--timeout=180s", timeout=200,
    )  # fmt: skip
    described = installed.kubectl("-n", "myfoodbudget", "describe", "release", "myfoodbudget")
    assert waited.returncode == 0, waited.stderr + described.stdout
    image = installed.kubectl(
        "-n", "myfoodbudget", "get", "deployment", "myfoodbudget",
        "-o", "jsonpath={.spec.template.spec.containers[?(@.name=='app')].image}",
    )  # fmt: skip
    assert image.stdout == DEV_IMAGE, image.stderr
