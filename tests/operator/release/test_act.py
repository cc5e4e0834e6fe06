"""The patches the runtime sends: Deployment drift and whole-status writes (pure parts)."""

from __future__ import annotations

import copy
from typing import Any

from gitops.release.act import build_deployment_patch, build_status_patch
from gitops.release.actions import EnsureDeployment
from gitops.release.builders import build_deployment
from gitops.release.spec import ReleaseSpec

RELEASE: dict[str, Any] = {
    "metadata": {"name": "shop", "namespace": "web", "uid": "u-1"},
    "spec": {
        "image": "ghcr.io/o/app:1",
        "template": {
            "spec": {"containers": [{"name": "app", "env": [{"name": "A", "value": "1"}]}]}
        },
        "snapshot": {"claimName": "data"},
        "preflight": {"enabled": False},  # this template mounts no claim
    },
}


def desired(image: str = "ghcr.io/o/app:1", replicas: int = 1) -> dict[str, Any]:
    """The Deployment the builder wants."""
    spec = ReleaseSpec.from_dict(RELEASE["spec"], name="shop")
    return build_deployment(RELEASE, spec, EnsureDeployment(image, replicas, spec.template_hash))


def live_copy(deployment: dict[str, Any]) -> dict[str, Any]:
    """The same Deployment as the API server returns it: defaults and status filled in."""
    live = copy.deepcopy(deployment)
    live["metadata"]["uid"] = "d-1"
    live["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "3"
    container = live["spec"]["template"]["spec"]["containers"][0]
    container.update(terminationMessagePath="/dev/termination-log", imagePullPolicy="IfNotPresent")
    live["spec"]["template"]["spec"]["dnsPolicy"] = "ClusterFirst"
    live["status"] = {"replicas": 1}
    return live


def test_server_defaults_are_not_drift() -> None:
    assert build_deployment_patch(live_copy(desired()), desired()) is None


def test_a_new_image_patches_the_whole_spec() -> None:
    want = desired(image="ghcr.io/o/app:2")
    patch = build_deployment_patch(live_copy(desired()), want)
    assert patch == {"spec": want["spec"]}


def test_scaling_is_drift() -> None:
    patch = build_deployment_patch(live_copy(desired()), desired(replicas=0))
    assert patch is not None
    assert patch["spec"]["replicas"] == 0


def test_a_removed_env_variable_is_drift() -> None:
    live = live_copy(desired())
    live["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "B", "value": "2"})
    assert build_deployment_patch(live, desired()) is not None


def test_a_foreign_deployment_is_adopted() -> None:
    live = live_copy(desired())
    live["metadata"]["ownerReferences"] = []
    del live["metadata"]["labels"]["app.kubernetes.io/managed-by"]
    patch = build_deployment_patch(live, desired())
    assert patch is not None
    assert patch["metadata"]["ownerReferences"][0]["uid"] == "u-1"
    assert patch["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "myfoodbudget-operator"}


def test_status_patch_holds_only_changes_and_nulls_removed_keys() -> None:
    old = {"phase": "RollingOut", "image": "a", "rollout": {"step": "RollingOut"}, "gone": 1}
    new = {"phase": "Ready", "image": "a", "rollout": None}
    assert build_status_patch(old, new) == {"phase": "Ready", "rollout": None, "gone": None}
    assert build_status_patch(new, dict(new)) is None


def test_switching_to_recreate_drops_the_rolling_update_parameters() -> None:
    live = live_copy(desired())
    live["spec"]["strategy"] = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
    }
    patch = build_deployment_patch(live, desired())
    assert patch is not None
    assert patch["spec"]["strategy"] == {"type": "Recreate", "rollingUpdate": None}
