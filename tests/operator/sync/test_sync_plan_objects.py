"""The pure decisions about a build's objects: where each goes, what a sync or a deletion prunes."""

from __future__ import annotations

import pytest
from gitops.sync.model import ObjectRef
from gitops.sync.plan import Deletion, decide_deletion, decide_placement, decide_prune
from hypothesis import given
from hypothesis import strategies as st

CM = ObjectRef("v1", "ConfigMap", "apps", "settings")
BARE = ObjectRef("v1", "ConfigMap", "", "settings")
SYSTEM = ObjectRef("v1", "ConfigMap", "kube-system", "settings")
PVC = ObjectRef("v1", "PersistentVolumeClaim", "apps", "data")
NS = ObjectRef("v1", "Namespace", "", "apps")
ROLE = ObjectRef("rbac.authorization.k8s.io/v1", "ClusterRole", "", "reader")
ITSELF = ObjectRef("gitops.myfoodbudget.dev/v1alpha1", "GitSync", "apps", "site")
GIZMO = ObjectRef("v1", "Gizmo", "apps", "g")
TARGET_ONLY = "a GitSync applies only into its target namespace apps, not kube-system"
NOT_LISTED = "cluster-scoped kind {kind} is not allowed; an admin lists it in the operator's "


@pytest.mark.parametrize(
    ("ref", "namespaced", "kinds", "namespace", "refusal"),
    [
        (BARE, True, (), "apps", ""),
        (CM, True, (), "apps", ""),
        (SYSTEM, True, (), "", f"ConfigMap kube-system/settings: {TARGET_ONLY}"),
        (
            SYSTEM,
            True,
            ("ConfigMap", "Namespace"),
            "",
            f"ConfigMap kube-system/settings: {TARGET_ONLY}",
        ),
        (NS, False, (), "", "Namespace apps: " + NOT_LISTED.format(kind="Namespace")),
        (NS, False, ("Namespace",), "", ""),
        (
            ROLE,
            False,
            ("Namespace",),
            "",
            "ClusterRole reader: " + NOT_LISTED.format(kind="ClusterRole"),
        ),
        (ROLE, False, ("ClusterRole",), "", ""),
        (GIZMO, None, ("Gizmo",), "", "Gizmo apps/g: the API server has no kind Gizmo in v1"),
    ],
    ids=[
        "no-namespace-gets-the-target",
        "the-target-is-kept",
        "another-namespace-is-refused",
        "listing-kinds-allows-no-other-namespace",
        "a-cluster-kind-not-listed",
        "a-listed-cluster-kind",
        "another-cluster-kind-not-listed",
        "a-listed-cluster-role",
        "an-unknown-kind",
    ],
)
def test_placement(
    ref: ObjectRef, namespaced: bool | None, kinds: tuple[str, ...], namespace: str, refusal: str
) -> None:
    placement = decide_placement(ref, namespaced, target="apps", cluster_kinds=kinds)
    assert placement.namespace == namespace
    assert placement.refusal.startswith(refusal) if refusal else placement.refusal == ""


def test_a_refusal_says_how_to_fix_it() -> None:
    refused = decide_placement(SYSTEM, True, target="apps", cluster_kinds=())
    assert refused.refusal.endswith("remove metadata.namespace or set it to apps")
    listed = decide_placement(NS, False, target="apps", cluster_kinds=())
    assert "SYNC_CLUSTER_KINDS" in listed.refusal


names = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)


@given(namespace=st.one_of(st.just(""), names), target=names, scoped=st.booleans())
def test_whatever_is_placed_lands_in_the_target_or_is_cluster_scoped(
    namespace: str, target: str, scoped: bool
) -> None:
    ref = ObjectRef("v1", "ConfigMap" if scoped else "Namespace", namespace, "x")
    placement = decide_placement(ref, scoped, target=target, cluster_kinds=("Namespace",))
    if placement.refusal:
        assert scoped
        assert namespace not in ("", target)
        assert placement.namespace == ""
    else:
        assert placement.namespace == (target if scoped else "")


@pytest.mark.parametrize(
    ("previous", "current", "protected", "enabled", "doomed"),
    [
        ([CM, PVC, NS], [], None, True, [CM]),
        ([CM], [CM], None, True, []),
        ([CM, ITSELF], [], ITSELF, True, [CM]),
        ([CM, ROLE], [ROLE], None, True, [CM]),
        ([CM], [], None, False, []),
    ],
    ids=["claims-and-namespaces-stay", "kept-by-the-build", "never-itself", "cluster-kind", "off"],
)
def test_prune(
    previous: list[ObjectRef],
    current: list[ObjectRef],
    protected: ObjectRef | None,
    enabled: bool,
    doomed: list[ObjectRef],
) -> None:
    assert decide_prune(previous, current, protected, enabled=enabled) == doomed


@pytest.mark.parametrize(
    ("prune", "suspend", "expected"),
    [
        (True, False, Deletion([CM, ROLE], [PVC, NS])),
        (False, False, Deletion([], [CM, PVC, NS, ROLE], "spec.prune is false")),
        (True, True, Deletion([], [CM, PVC, NS, ROLE], "spec.suspend is true")),
        (False, True, Deletion([], [CM, PVC, NS, ROLE], "spec.suspend is true")),
    ],
    ids=["prune", "prune-off", "suspended", "both"],
)
def test_deletion(prune: bool, suspend: bool, expected: Deletion) -> None:
    inventory = [CM, PVC, NS, ROLE, ITSELF]
    assert decide_deletion(inventory, ITSELF, prune=prune, suspend=suspend) == expected


def test_deleting_a_gitsync_that_applied_nothing_deletes_nothing() -> None:
    assert decide_deletion([], ITSELF, prune=True, suspend=False) == Deletion()
