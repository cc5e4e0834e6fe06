"""What a GitSync may apply (target namespace, listed cluster kinds); what deleting it does."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from gitsync_support import Cluster, certs, configmap, kube, operator, overlay, remote
from release_support import wait_for
from support.git import GitRemote
from support.reliability import bad_input

__all__ = ["certs", "kube", "operator", "remote"]
pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROLE = Path(__file__).resolve().parents[2] / "manifests" / "role.yaml"
CLAIM = (
    "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n"
    "spec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n"
)


def with_claim(value: str) -> dict[str, str]:
    """The one-ConfigMap overlay plus a claim."""
    files = overlay(value)
    files["app/kustomization.yaml"] += "  - claim.yaml\n"
    return {**files, "app/claim.yaml": CLAIM}


def claim_exists(kube: Cluster) -> bool:
    """Whether the claim `data` is still in the test's namespace."""
    names = kube.core.list_namespaced_persistent_volume_claim(kube.namespace).items
    return "data" in {c.metadata.name for c in names}


def delete_gitsync(cluster: Any, kube: Cluster) -> None:
    """kubectl delete the GitSync and wait until it is gone (its finalizer has run)."""
    done = cluster.kubectl("delete", "gitsync", "site", "-n", kube.namespace, "--timeout=60s")
    assert done.returncode == 0, done.stderr


def grant_operator(cluster: Any, namespace: str) -> None:
    """The operator's Role and RoleBinding of manifests/role.yaml in another namespace, as
    docs/security.md tells a user whose GitSync targets one."""
    documents = yaml.safe_load_all(ROLE.read_text(encoding="utf-8"))
    granted = [d for d in documents if d["metadata"]["name"] == "gitops-operator"]
    assert [d["kind"] for d in granted] == ["Role", "RoleBinding"]
    for document in granted:
        document["metadata"]["namespace"] = namespace
    applied = cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(granted))
    assert applied.returncode == 0, applied.stderr


@pytest.fixture
def other(kube: Cluster, cluster: Any, in_cluster: Any) -> Iterator[str]:
    """A second namespace, for a target or for an object that must not reach it (the
    in-cluster operator holds its Role there too: only its overlay's scope keeps it out)."""
    name = f"{kube.namespace}-other"
    kube.core.create_namespace({"metadata": {"name": name}})
    if in_cluster is not None:
        grant_operator(cluster, name)
    yield name
    kube.core.delete_namespace(name)


def test_an_object_for_another_namespace_is_refused_and_nothing_is_left_behind(
    kube: Cluster, remote: GitRemote, cluster: Any, other: str
) -> None:
    leak = configmap("leak", "x").replace("name: leak", f"name: leak\n  namespace: {other}")
    files = overlay("1")
    files["app/settings.yaml"] += "---\n" + leak
    commit = remote.commit(files)
    kube.create_gitsync(remote.url, interval="1h")
    stalled = wait_for(lambda: (c := kube.condition("Stalled")).get("status") == "True" and c, 20,
                       "the refusal")  # fmt: skip
    assert stalled["reason"] == "ValidationFailed"
    expected = (
        f"Nothing applied; commit {commit[:12]} cannot be applied: ConfigMap {other}/leak: a "
        f"GitSync applies only into its target namespace {kube.namespace}, not {other}; "
        f"remove metadata.namespace or set it to {kube.namespace}"
    )
    unchanged = kube.value() is None and kube.value("leak", other) is None
    bad_input(
        "GitSync overlay",
        "a ConfigMap with metadata.namespace of another namespace",
        stalled["message"].replace(other, "<other>"),
        unchanged=unchanged,
        namespace=kube.namespace,
    )
    assert stalled["message"] == expected
    shown = cluster.kubectl("get", "events", "-n", kube.namespace, "--field-selector=type=Warning")
    assert f"ConfigMap {other}/leak: a GitSync applies only into" in shown.stdout
    assert kube.value() is None
    assert kube.value("leak", other) is None
    assert "inventory" not in kube.gitsync()["status"]
    delete_gitsync(cluster, kube)
    assert kube.value("leak", other) is None


def test_objects_land_in_the_target_namespace_and_go_with_the_gitsync(
    kube: Cluster, remote: GitRemote, cluster: Any, other: str
) -> None:
    kube.start(remote, remote.url, interval="1h", targetNamespace=other)
    assert kube.value() is None
    assert kube.value("settings", other) is not None
    inventory = kube.gitsync()["status"]["inventory"]
    assert inventory == [{"apiVersion": "v1", "kind": "ConfigMap", "namespace": other,
                          "name": "settings"}]  # fmt: skip
    delete_gitsync(cluster, kube)
    assert kube.value("settings", other) is None
    [event] = kube.events("GarbageCollected")
    assert (
        event.message == f"GitSync deleted with spec.prune true: deleted ConfigMap {other}/settings"
    )


PRUNED = (
    "GitSync deleted with spec.prune true: deleted ConfigMap {ns}/settings; "
    "kept PersistentVolumeClaim {ns}/data (never deleted)"
)
LEFT = "GitSync deleted with {why}; what it applied stays: ConfigMap {ns}/settings, "
LEFT += "PersistentVolumeClaim {ns}/data"


@pytest.mark.parametrize(
    ("spec", "reason", "message"),
    [
        ({}, "GarbageCollected", PRUNED),
        ({"prune": False}, "Orphaned", LEFT.replace("{why}", "spec.prune is false")),
        ({"suspend": True}, "Orphaned", LEFT.replace("{why}", "spec.suspend is true")),
    ],
    ids=["prune-deletes-all-but-the-claim", "prune-off-leaves-everything", "suspended-too"],
)
def test_deleting_a_gitsync(
    kube: Cluster, remote: GitRemote, cluster: Any, spec: dict[str, bool], reason: str, message: str
) -> None:
    first = remote.commit(with_claim("1"))
    kube.create_gitsync(remote.url, interval="1h")
    wait_for(lambda: kube.applied(first), 30, "the first sync")
    if spec:
        kube.patch_gitsync({"spec": spec})
        wait_for(lambda: kube.gitsync()["metadata"]["generation"] == 2, 5, "the spec change")
    before = kube.value()
    delete_gitsync(cluster, kube)
    assert kube.value() == (None if reason == "GarbageCollected" else before)
    assert claim_exists(kube)
    [event] = kube.events(reason)
    assert event.message == message.format(ns=kube.namespace)


def test_a_cluster_scoped_kind_not_listed_is_refused(kube: Cluster, remote: GitRemote) -> None:
    name = f"gitsync-{uuid.uuid4().hex[:8]}"
    files = overlay("1")
    files["app/settings.yaml"] += (
        f"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n"
    )
    remote.commit(files)
    kube.create_gitsync(remote.url, interval="1h")
    stalled = wait_for(lambda: (c := kube.condition("Stalled")).get("status") == "True" and c, 20,
                       "the refusal")  # fmt: skip
    created = name in {n.metadata.name for n in kube.core.list_namespace().items}
    bad_input(
        "GitSync overlay",
        "a cluster-scoped object (a Namespace) not listed",
        stalled["message"].replace(name, "<name>"),
        namespace=kube.namespace,
        unchanged=kube.value() is None and not created,
    )
    assert f"Namespace {name}: cluster-scoped kind Namespace is not allowed" in stalled["message"]
    assert "SYNC_CLUSTER_KINDS" in stalled["message"]
    assert kube.value() is None
    assert name not in {n.metadata.name for n in kube.core.list_namespace().items}
