"""Everything one running API server holds, and what it reaches on the node."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sandbox.apiserver.faults import Faults
from sandbox.apiserver.registry import Registry
from sandbox.apiserver.store import Store
from sandbox.apiserver.verbs import API


class NodeLink(Protocol):
    """What the API server asks of the kubelet of a pod's node (pods/log)."""

    async def logs(self, pod: dict[str, Any], container: str, tail_lines: int | None) -> str:
        """What a container of the pod printed."""
        ...


@dataclass
class State:
    """The registry, store, API verbs and fault settings of one server."""

    registry: Registry = field(default_factory=Registry)
    store: Store = field(default_factory=Store)
    faults: Faults = field(default_factory=Faults)
    kubelet: NodeLink | None = None  # set once the node's kubelet runs
    api: API = field(init=False)

    def __post_init__(self) -> None:
        """Verbs over the registry and the store."""
        self.api = API(self.registry, self.store)
