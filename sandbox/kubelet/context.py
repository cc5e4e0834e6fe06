"""What the pods of the node share, and what a container runner asks of its pod."""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any, Protocol

from sandbox.client.api import path
from sandbox.client.backoff import BackoffPolicy
from sandbox.client.view import ClusterView
from sandbox.kubelet.runtime import Runtime


@dataclasses.dataclass
class Node:
    """The node's side of every pod: set `closing` once the kubelet shuts down."""

    cluster: ClusterView
    data_dir: pathlib.Path
    runtime: Runtime
    backoff: BackoffPolicy
    closing: bool = False

    async def fetch(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        """Read a ConfigMap, Secret or PersistentVolumeClaim from the API."""
        result = await self.cluster.api.get_or_none(path(resource, namespace, name))
        return dict(result) if isinstance(result, dict) else None


class PodSide(Protocol):
    """What a container runner needs from its pod's worker."""

    node: Node
    pod: dict[str, Any]
    dir: pathlib.Path
    volumes: dict[str, pathlib.Path]

    def notify(self) -> None:
        """A container status changed."""

    async def event(self, reason: str, message: str, kind: str = "Normal") -> None:
        """An Event on the pod."""

    def grace(self) -> float:
        """Seconds between SIGTERM and SIGKILL."""
        ...

    def ports_of(self, container: dict[str, Any]) -> dict[str, int]:
        """The node ports allocated to one container."""
        ...
