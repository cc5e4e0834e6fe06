"""The controllers' and the kubelet's view of the cluster: the API client, watch caches, writes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from sandbox.client.api import Api, ApiError, obj_path, path
from sandbox.client.events import Recorder
from sandbox.client.informer import Informer
from sandbox.client.objects import Obj

log = logging.getLogger(__name__)
WATCHED = (
    "pods",
    "replicasets",
    "deployments",
    "jobs",
    "services",
    "persistentvolumeclaims",
    "statefulsets",
    "daemonsets",
    "replicationcontrollers",
    "controllerrevisions",
    "nodes",
)


class ClusterView:
    """Shared caches plus the write verbs, each write folded back into the cache."""

    def __init__(self, api: Api) -> None:
        """One informer per watched resource; any change sets `changed`."""
        self.api = api
        self.changed = asyncio.Event()
        self.informers = {r: Informer(api, r, self.changed.set) for r in WATCHED}
        self.recorder = Recorder(api)
        # Pods whose processes still run on the node (set by the kubelet); Recreate waits on them
        # too, so old processes have ended even when a pod object is removed before they stop.
        self.node_pods: Callable[[], list[Obj]] = list

    def cache(self, resource: str) -> Informer:
        """The informer of a resource."""
        return self.informers[resource]

    async def wait_synced(self) -> None:
        """Wait until every cache holds its first list."""
        await asyncio.gather(*(i.synced.wait() for i in self.informers.values()))

    async def create(self, resource: str, namespace: str, body: Obj) -> Obj:
        """Create an object and cache the answer."""
        created = await self.api.create(path(resource, namespace), body)
        self.informers[resource].observe(created)
        return dict(created)

    async def patch(self, resource: str, obj: Obj, patch: Any, sub: str = "") -> Obj | None:
        """Merge-patch an object (or its status); None when it is gone."""
        try:
            updated = await self.api.patch(obj_path(resource, obj, sub), patch)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        self.informers[resource].observe(updated)
        return dict(updated)

    async def write_status(self, resource: str, obj: Obj, status: dict[str, Any]) -> None:
        """Write status when it differs, dropping fields that became empty (omitempty)."""
        old = obj.get("status") or {}
        change = {k: status.get(k) for k in set(old) | set(status) if old.get(k) != status.get(k)}
        if change:
            await self.patch(resource, obj, {"status": change}, sub="status")

    async def delete(self, resource: str, obj: Obj, grace: int | None = None) -> None:
        """Delete an object; when it vanished at once, forget it in the cache."""
        answer = await self.api.delete(
            obj_path(resource, obj), grace=grace, propagation="Background"
        )
        informer = self.informers.get(resource)
        if informer is None:
            return
        if isinstance(answer, dict) and answer.get("metadata", {}).get("deletionTimestamp"):
            informer.observe(answer)
        else:
            informer.forget(obj)

    async def event(
        self, obj: Obj, reason: str, message: str, kind: str = "Normal", component: str = ""
    ) -> None:
        """Record a core/v1 Event about obj (best effort)."""
        await self.recorder.record(obj, reason, message, kind, component or "controller-manager")
