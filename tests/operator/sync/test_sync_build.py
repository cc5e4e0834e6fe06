"""Building overlays with the real `kubectl kustomize`, and checking what it prints."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitops.api import GITSYNC_LABEL
from gitops.sync.build import BuildError, build_overlay, find_kubectl
from gitops.sync.model import ObjectRef
from gitops.sync.objects import (
    ValidationError,
    check_objects,
    inventory_of,
    owner_label_value,
    parse_manifests,
)

KUSTOMIZATION = "resources:\n  - configmap.yaml\n  - pvc.yaml\n"
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: '1'\n"
PVC = (
    "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n"
    "spec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n"
)
SCOPES = {
    ("v1", "ConfigMap"): True,
    ("v1", "PersistentVolumeClaim"): True,
    ("v1", "Namespace"): False,
}


def _write(root: Path, files: dict[str, str]) -> Path:
    """Write files under root and return root."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _namespaced(version: str, kind: str) -> bool | None:
    """Scopes as a server would report them."""
    return SCOPES.get((version, kind))


def test_build_and_check_an_overlay(tmp_path: Path) -> None:
    files = {
        "app/kustomization.yaml": KUSTOMIZATION,
        "app/configmap.yaml": CONFIGMAP,
        "app/pvc.yaml": PVC,
    }
    text = build_overlay(find_kubectl(), _write(tmp_path, files), "app", timeout=60)
    objects = check_objects(
        parse_manifests(text), namespace="apps", label="apps_site", namespaced=_namespaced
    )
    assert [ObjectRef.of(o) for o in objects] == [
        ObjectRef("v1", "ConfigMap", "apps", "settings"),
        ObjectRef("v1", "PersistentVolumeClaim", "apps", "data"),
    ]
    assert all(o["metadata"]["labels"][GITSYNC_LABEL] == "apps_site" for o in objects)
    assert inventory_of(objects)[0].to_status() == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "namespace": "apps",
        "name": "settings",
    }


def test_broken_yaml_names_the_file(tmp_path: Path) -> None:
    files = {
        "app/kustomization.yaml": KUSTOMIZATION,
        "app/configmap.yaml": "data: [unclosed\n",
        "app/pvc.yaml": PVC,
    }
    with pytest.raises(BuildError) as caught:
        build_overlay(find_kubectl(), _write(tmp_path, files), "app", timeout=60)
    assert "configmap.yaml" in str(caught.value)
    assert str(tmp_path) not in str(caught.value)
    assert str(caught.value).startswith("accumulating resources")


def test_missing_resource_names_it(tmp_path: Path) -> None:
    files = {"app/kustomization.yaml": KUSTOMIZATION, "app/configmap.yaml": CONFIGMAP}
    with pytest.raises(BuildError, match=r"pvc\.yaml"):
        build_overlay(find_kubectl(), _write(tmp_path, files), "app", timeout=60)


def test_missing_folder_is_explained(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="folder nowhere does not exist"):
        build_overlay(find_kubectl(), tmp_path, "nowhere", timeout=60)


def test_cluster_scoped_kinds_need_permission() -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}}
    with pytest.raises(ValidationError, match="cluster-scoped kind Namespace is not allowed"):
        check_objects([ns], namespace="x", label="l", namespaced=_namespaced)
    [checked] = check_objects(
        [ns], namespace="x", label="l", namespaced=_namespaced, cluster_kinds={"Namespace"}
    )
    assert "namespace" not in checked["metadata"]


def test_unknown_kinds_and_duplicates_are_all_reported() -> None:
    objects = parse_manifests(
        "apiVersion: v1\nkind: Gizmo\nmetadata: {name: g}\n---\n" + CONFIGMAP + "---\n" + CONFIGMAP
    )
    with pytest.raises(ValidationError) as caught:
        check_objects(objects, namespace="x", label="l", namespaced=_namespaced)
    assert "no kind Gizmo in v1" in str(caught.value)
    assert "ConfigMap x/settings: appears twice" in str(caught.value)


def test_the_target_namespace_is_kept_another_refused_and_input_not_changed() -> None:
    [obj] = parse_manifests(CONFIGMAP.replace("name: settings", "name: s\n  namespace: x"))
    [checked] = check_objects([obj], namespace="x", label="l", namespaced=_namespaced)
    assert checked["metadata"]["namespace"] == "x"
    assert "labels" not in obj["metadata"]
    elsewhere = parse_manifests(CONFIGMAP.replace("name: settings", "name: s\n  namespace: y"))
    with pytest.raises(ValidationError, match="ConfigMap y/s: a GitSync applies only into"):
        check_objects(elsewhere, namespace="x", label="l", namespaced=_namespaced)


def test_every_refusal_is_named_at_once() -> None:
    objects = parse_manifests(
        CONFIGMAP.replace("name: settings", "name: a\n  namespace: kube-system")
        + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: extra}\n---\n"
        + CONFIGMAP
    )
    with pytest.raises(ValidationError) as caught:
        check_objects(objects, namespace="x", label="l", namespaced=_namespaced)
    assert str(caught.value).split("; ")[0].startswith("ConfigMap kube-system/a: ")
    assert "Namespace extra: cluster-scoped kind Namespace is not allowed" in str(caught.value)


@pytest.mark.parametrize(
    "text", ["- just\n- a list\n", "kind: ConfigMap\nmetadata: {name: a}\n", "a: [unclosed"]
)
def test_documents_that_are_not_objects_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_manifests(text)


def test_owner_label_fits_a_label_value() -> None:
    assert owner_label_value("apps", "site") == "apps_site"
    long = owner_label_value("n" * 60, "m" * 60)
    assert len(long) == 63
    assert long != owner_label_value("n" * 60, "m" * 59 + "x")
