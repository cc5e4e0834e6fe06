"""A suspended GitSync observes every change of its spec (status.observedGeneration follows it)
and writes its status once per generation, not at every pass."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from gitops.api import GROUP, VERSION
from gitops.kube import Kube, namespaced
from gitops.sync.attempt import SyncConfig
from gitops.sync.build import find_kubectl
from gitops.sync.plan import RetryPolicy
from gitops.sync.reconcile import Syncer
from support.operator_process import install_crds

pytestmark = pytest.mark.e2e


class CountsStatusWrites:
    """The API adapter, counting the status writes that go through it."""

    def __init__(self, kube: Kube) -> None:
        self.kube, self.writes = kube, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.kube, name)

    async def merge_patch(self, path: str, body: Any) -> Any:
        self.writes += path.endswith("/status")
        return await self.kube.merge_patch(path, body)


async def _passes(kube: Kube, tmp_path: Path) -> list[tuple[int, int, int]]:
    """A suspended GitSync reconciled twice, its spec changed, twice again: after each pass,
    (generation, status.observedGeneration, status writes so far)."""
    namespace = f"gs-{uuid.uuid4().hex[:8]}"
    await kube.create("/api/v1/namespaces", {"metadata": {"name": namespace}})
    path = namespaced(f"{GROUP}/{VERSION}", "gitsyncs", namespace)
    spec = {"url": "https://127.0.0.1:9/none.git", "path": "app", "suspend": True}
    body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "GitSync", "metadata": {"name": "site"},
            "spec": spec}  # fmt: skip
    await kube.create(path, body)
    config = SyncConfig(kubectl=find_kubectl(), work_dir=tmp_path, retry=RetryPolicy(0.0, 0.0))
    counting = CountsStatusWrites(kube)
    syncer = Syncer(counting, config, {})  # type: ignore[arg-type]
    seen = []
    for change in (None, None, {"interval": "2h"}, None):
        if change:
            await kube.merge_patch(f"{path}/site", {"spec": change})
        found = await kube.get(f"{path}/site")
        assert found is not None
        assert await syncer.reconcile(found) is None  # suspended: nothing until a change
        stored = await kube.get(f"{path}/site")
        assert stored is not None
        generation = stored["metadata"]["generation"]
        seen.append((generation, stored["status"]["observedGeneration"], counting.writes))
    await kube.delete(f"/api/v1/namespaces/{namespace}")
    return seen


def test_a_spec_changed_while_suspended_is_observed_once(cluster: Any, tmp_path: Path) -> None:
    install_crds(cluster.kubeconfig)
    kube = Kube.from_environment(str(cluster.kubeconfig))
    assert asyncio.run(_passes(kube, tmp_path)) == [(1, 1, 1), (1, 1, 1), (2, 2, 2), (2, 2, 2)]
