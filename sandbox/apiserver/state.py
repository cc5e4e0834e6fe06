"""Everything one running API server holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sandbox.apiserver.faults import Faults
from sandbox.apiserver.registry import Registry
from sandbox.apiserver.store import Store
from sandbox.apiserver.verbs import API


@dataclass
class State:
    """The registry, store, API verbs and fault settings of one server."""

    registry: Registry = field(default_factory=Registry)
    store: Store = field(default_factory=Store)
    faults: Faults = field(default_factory=Faults)
    data_dir: Path | None = None
    api: API = field(init=False)

    def __post_init__(self) -> None:
        self.api = API(self.registry, self.store)
