"""The order of the plan's action and its status write (gitops.release.act.carry_out), against
the sandbox API server, with the operator killed between the two (the action's write fails)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from gitops.api import API_VERSION, RELEASE_KIND
from gitops.kube import Kube, KubeError, namespaced
from gitops.release.act import carry_out, release_path
from gitops.release.actions import EnsureDeployment
from gitops.release.spec import ReleaseSpec
from gitops.runtime import Runtime
from gitops.settings import Settings
from support.operator_process import install_crds

pytestmark = pytest.mark.e2e
SETTINGS = Settings.from_env({"OPERATOR_IMAGE": "op:1"})
SPEC = {
    "image": "ghcr.io/o/app:2",
    "template": {"spec": {"containers": [{"name": "app"}]}},
    "snapshot": {"claimName": "data"},
    "preflight": {"enabled": False},
}


class KilledBeforeTheAction:
    """The API adapter, but the Deployment write never happens: the operator died first."""

    def __init__(self, kube: Kube) -> None:
        self.kube = kube

    def __getattr__(self, name: str) -> Any:
        return getattr(self.kube, name)

    async def create(self, path: str, body: Any) -> Any:
        if "/deployments" in path:
            raise KubeError(503, "ServiceUnavailable", "injected: killed before the action")
        return await self.kube.create(path, body)


async def _killed_before(kubeconfig: str, status: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """A Release in RollingOut whose plan decides `status` with a Deployment write, killed
    before that write: (the stored status, whether a Deployment exists)."""
    kube = Kube.from_environment(kubeconfig)
    namespace = f"order-{uuid.uuid4().hex[:8]}"
    await kube.create("/api/v1/namespaces", {"metadata": {"name": namespace}})
    body = {"apiVersion": API_VERSION, "kind": RELEASE_KIND,
            "metadata": {"name": "shop"}, "spec": SPEC}  # fmt: skip
    path = namespaced(API_VERSION, "releases", namespace)
    await kube.create(path, body)
    await kube.merge_patch(
        release_path(namespace, "shop") + "/status", {"status": {"phase": "RollingOut"}}
    )
    release = await kube.get(release_path(namespace, "shop"))
    assert release is not None
    spec = ReleaseSpec.from_dict(SPEC, name="shop")
    action = EnsureDeployment("ghcr.io/o/app:1", 0, spec.template_hash)
    runtime = Runtime(KilledBeforeTheAction(kube), SETTINGS)  # type: ignore[arg-type]
    with pytest.raises(KubeError):
        await carry_out(runtime, release, spec, action, status)
    stored = await kube.get(release_path(namespace, "shop"))
    deployment = await kube.get(namespaced("apps/v1", "deployments", namespace, "shop"))
    await kube.delete(f"/api/v1/namespaces/{namespace}")
    assert stored is not None
    return stored["status"], deployment is not None


def test_a_new_phase_is_recorded_before_its_action_a_step_within_one_after(cluster: Any) -> None:
    install_crds(cluster.kubeconfig)
    kubeconfig = str(cluster.kubeconfig)
    # killed between them, the new phase is what the next operator decides from
    moved = {"phase": "RollingBack", "message": "rolling back"}
    assert asyncio.run(_killed_before(kubeconfig, moved)) == (moved, False)
    # within a phase the action comes first: no status tells of a change not made
    stayed = {"phase": "RollingOut", "message": "rolled out"}
    assert asyncio.run(_killed_before(kubeconfig, stayed)) == ({"phase": "RollingOut"}, False)
