"""A sync whose status write is lost (the API server failed it) is synced again at the retry,
not left reporting the failed attempt before it for a whole interval."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from gitops.api import GROUP, SYNC_REQUEST_ANNOTATION, VERSION
from gitops.kube import Kube, KubeError, namespaced
from gitops.sync.attempt import SyncConfig
from gitops.sync.build import find_kubectl
from gitops.sync.plan import RetryPolicy
from gitops.sync.reconcile import Syncer
from support.git import GitRemote
from support.operator_process import install_crds

pytestmark = pytest.mark.e2e
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"


class LosesAStatusWrite:
    """The API adapter, but a status write answers 503 while `lose` is set, as a busy API
    server does."""

    def __init__(self, kube: Kube) -> None:
        self.kube, self.lose = kube, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.kube, name)

    async def merge_patch(self, path: str, body: Any) -> Any:
        if path.endswith("/status") and self.lose:
            raise KubeError(503, "ServiceUnavailable", "injected: the write is lost")
        return await self.kube.merge_patch(path, body)


async def current(kube: Kube, path: str) -> dict[str, Any]:
    """The GitSync `site` as stored."""
    found = await kube.get(f"{path}/site")
    assert found is not None
    return found


async def _lose_a_status_write(kube: Kube, remote: GitRemote, tmp_path: Path) -> dict[str, Any]:
    """Sync, then ask for a sync of a new commit that fails, is retried, and whose status
    write is lost; one more pass; the status it leaves, and the new commit."""
    namespace = f"gs-{uuid.uuid4().hex[:8]}"
    await kube.create("/api/v1/namespaces", {"metadata": {"name": namespace}})
    path = namespaced(f"{GROUP}/{VERSION}", "gitsyncs", namespace)
    body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "GitSync", "metadata": {"name": "site"},
            "spec": {"url": remote.url, "path": "app", "interval": "1h"}}  # fmt: skip
    await kube.create(path, body)
    retry = RetryPolicy(base=0.0, cap=0.0)
    config = SyncConfig(kubectl=find_kubectl(), work_dir=tmp_path / "work", retry=retry)
    lossy = LosesAStatusWrite(kube)
    syncer = Syncer(lossy, config, {})  # type: ignore[arg-type]
    await syncer.reconcile(await current(kube, path))  # the first sync
    second = remote.commit({"app/a.yaml": CONFIGMAP + "data:\n  value: '2'\n"})
    request = {"metadata": {"annotations": {SYNC_REQUEST_ANNOTATION: "now"}}}
    await kube.merge_patch(f"{path}/site", request)
    hidden = remote.bare.with_name("away.git")
    remote.bare.rename(hidden)  # the remote is gone: this attempt fails, recorded
    await syncer.reconcile(await current(kube, path))
    assert syncer.failures == 1
    hidden.rename(remote.bare)
    lossy.lose = True  # the retry succeeds, but its status write is lost
    with pytest.raises(KubeError):
        await syncer.reconcile(await current(kube, path))
    lossy.lose = False
    await syncer.reconcile(await current(kube, path))
    found = await current(kube, path)
    await kube.delete(f"/api/v1/namespaces/{namespace}")
    return {**found["status"], "second": second}


def test_a_lost_status_write_after_a_failed_attempt_is_synced_again(
    cluster: Any, tmp_path: Path
) -> None:
    install_crds(cluster.kubeconfig)
    remote = GitRemote(tmp_path / "git")
    remote.commit({"app/kustomization.yaml": "resources:\n  - a.yaml\n", "app/a.yaml": CONFIGMAP})
    kube = Kube.from_environment(str(cluster.kubeconfig))
    status = asyncio.run(_lose_a_status_write(kube, remote, tmp_path))
    assert status["lastAppliedCommit"] == status["second"]
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True", ready
