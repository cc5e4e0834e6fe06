"""Everything one running API server holds, and what it reaches on the node."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sandbox.apiserver.faults import Faults
from sandbox.apiserver.pki import PKI
from sandbox.apiserver.registry import Registry
from sandbox.apiserver.store import Store
from sandbox.apiserver.tokens import Issuer
from sandbox.apiserver.verbs import API


class ExecSession(Protocol):
    """A command running in a container, with its standard streams (see kubelet/runtime.py)."""

    async def write(self, data: bytes) -> None:
        """Bytes for the command's stdin."""

    async def close_stdin(self) -> None:
        """End of the command's stdin."""

    def resize(self, width: int, height: int) -> None:
        """The terminal's new size (tty only)."""

    async def read(self) -> tuple[int, bytes] | None:
        """Next output: (1 stdout or 2 stderr, bytes); None once all output has ended."""
        ...

    async def wait(self) -> int:
        """The command's exit code."""
        ...

    async def kill(self) -> None:
        """Stop the command (the client went away)."""


class NodeLink(Protocol):
    """What the API server asks of the kubelet of a pod's node: logs, exec and port-forward.

    exec and connect raise LookupError (with the kubelet's message) when the container or
    port cannot be reached, OSError when the runtime cannot start the command or connect.
    """

    async def logs(
        self, pod: dict[str, Any], container: str, tail_lines: int | None, previous: bool = False
    ) -> str:
        """What a container of the pod printed."""
        ...

    async def exec(
        self, pod: dict[str, Any], container: str, argv: list[str], *, stdin: bool, tty: bool
    ) -> ExecSession:
        """Start a command in a running container of the pod."""
        ...

    async def connect(
        self, pod: dict[str, Any], port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A TCP connection to a port of the pod."""
        ...


@dataclass
class State:
    """The registry, store, API verbs, fault settings and credentials of one server."""

    registry: Registry = field(default_factory=Registry)
    store: Store = field(default_factory=Store)
    faults: Faults = field(default_factory=Faults)
    kubelet: NodeLink | None = None  # set once the node's kubelet runs
    audit_log: Path | None = None  # where allowed writes are logged (audit.py), if anywhere
    pki: PKI = field(default_factory=PKI.generate)  # the CA, TLS credentials, token key
    api: API = field(init=False)
    issuer: Issuer = field(init=False)

    def __post_init__(self) -> None:
        """Verbs over the registry and the store; tokens signed with the PKI's key."""
        self.api = API(self.registry, self.store)
        self.issuer = Issuer(self.pki.token_key)
