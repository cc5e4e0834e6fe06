"""GitSync and Release together: a commit that bumps spec.image starts a release from git."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from gitops.api import GITSYNC_LABEL, GROUP, SYNC_FIELD_MANAGER, VERSION
from release_objects import SYNC_GOOD as GOOD
from release_objects import SYNC_GOOD_NEXT as GOOD_NEXT
from release_support import Api, Operator, claim, release_object, wait_for
from support.in_cluster import APP_NS, git_remote
from support.operator_process import install_crds

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def overlay(image: str) -> dict[str, str]:
    """The app's claim and Release as an overlay, with the given image."""
    return {
        "app/kustomization.yaml": "resources:\n  - persistentvolumeclaim.yaml\n  - release.yaml\n",
        "app/persistentvolumeclaim.yaml": yaml.safe_dump(claim("shop-data")),
        "app/release.yaml": yaml.safe_dump(release_object("shop", image)),
    }


@pytest.fixture
def api(cluster: Any, in_cluster: Any, tmp_path: Path) -> Iterator[Api]:
    """Both CRDs, a fresh namespace, and the operator watching it (the in-cluster one and its
    namespace on the docker runtime)."""
    if in_cluster is not None:
        api = Api(cluster, APP_NS)
        yield api
        api.kubectl("delete", "gitsyncs/shop", "releases/shop", "--wait=false")
        return
    api = Api(cluster, f"gsr-{uuid.uuid4().hex[:6]}")
    install_crds(Path(cluster.kubeconfig))
    api.core.create_namespace({"metadata": {"name": api.ns}})
    log = tmp_path / "operator.log"
    operator = Operator(Path(cluster.kubeconfig), api.ns, log, cluster.operator_env())
    operator.start()
    yield api
    operator.stop()
    api.kubectl("delete", "releases,gitsyncs", "--all", "--wait=false")


def sync_status(api: Api) -> dict[str, Any]:
    """The status of the GitSync `shop`."""
    found = api.custom.get_namespaced_custom_object(GROUP, VERSION, api.ns, "gitsyncs", "shop")
    return dict(found.get("status") or {})


def touched_by_sync(api: Api) -> list[str]:
    """Why the operator-owned Deployment would count as touched by the sync (empty: it is not)."""
    deployment = api.apps.read_namespaced_deployment("shop", api.ns)
    found = []
    if GITSYNC_LABEL in (deployment.metadata.labels or {}):
        found.append("it carries the sync's label")
    managers = {entry.manager for entry in deployment.metadata.managed_fields or []}
    if SYNC_FIELD_MANAGER in managers:
        found.append("gitops-sync manages some of its fields")
    return found


def test_a_commit_that_bumps_the_image_starts_a_release(
    api: Api, in_cluster: Any, tmp_path: Path
) -> None:
    remote = git_remote(in_cluster, tmp_path)
    first = remote.commit(overlay(GOOD))
    gitsync = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "GitSync", "metadata": {"name": "shop"},
               "spec": {"url": remote.url, "path": "app", "interval": "2s"}}  # fmt: skip
    assert api.apply(gitsync).returncode == 0
    wait_for(lambda: sync_status(api).get("lastAppliedCommit") == first, 30, "the first sync")
    api.wait_phase("shop", "Ready", timeout=90)
    assert api.deployment_image("shop") == GOOD
    assert touched_by_sync(api) == []

    remote.commit(overlay(GOOD_NEXT), "bump the image")
    released = wait_for(
        lambda: (s := api.status("shop")).get("image") == GOOD_NEXT and s["phase"] == "Ready" and s,
        90,
        "the release of the bumped image",
    )
    assert released["previousImage"] == GOOD
    assert api.deployment_image("shop") == GOOD_NEXT
    assert touched_by_sync(api) == []
    inventory = api.custom.get_namespaced_custom_object(GROUP, VERSION, api.ns, "gitsyncs", "shop")[
        "status"
    ]["inventory"]
    assert {entry["kind"] for entry in inventory} == {"PersistentVolumeClaim", "Release"}
