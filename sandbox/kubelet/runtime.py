"""What the kubelet asks of a container runtime; the pod and container lifecycle sits above it.

A runtime prepares a pod (its network, and where needed its volumes' owners) and removes it,
pulls an image, creates and starts a container, waits for it to exit, stops it with a grace
period, runs a command in it (for probes, or with its standard streams attached for
`kubectl exec`), opens connections to its ports (probes, Services, `kubectl port-forward`),
and serves its logs. Restarts, back-off, probes, termination messages and status are the
kubelet's, written once in container.py and pod.py for every runtime. The process runtime
(kubelet/process/) runs each container as a local process; the docker runtime
(kubelet/docker/) as a container of a local engine.
"""

from __future__ import annotations

import asyncio
import dataclasses
import pathlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

Obj = dict[str, Any]
# Read a ConfigMap, Secret or PersistentVolumeClaim: (resource, namespace, name) -> object or None.
Fetch = Callable[[str, str, str], Awaitable[Obj | None]]


class ConfigError(Exception):
    """The container cannot be created as specified (e.g. a missing ConfigMap or Secret key)."""


class ImageError(Exception):
    """The image cannot be pulled; the message says why and how to fix it."""


class StartError(Exception):
    """The container was created but its program could not be started."""


@dataclasses.dataclass(frozen=True)
class ContainerConfig:
    """One run of one container, as the kubelet hands it to the runtime."""

    pod: Obj
    spec: Obj  # the container's entry in the pod spec
    # container path -> host path: the volume mounts (subPath applied) and the termination
    # message file, which the kubelet reads once the container has exited
    mounts: Mapping[str, str]
    # containerPort (number and name) -> the node port the runtime chose (empty when the pod
    # listens on its own ports, in a network namespace of its own)
    ports: Mapping[str, int]
    pod_dir: pathlib.Path  # the pod's folder on the host
    fetch: Fetch  # how env and envFrom read ConfigMaps and Secrets
    # KUBERNETES_SERVICE_HOST/PORT...: where the container reaches the API server; the env of
    # the image and the container's own env override them
    service_env: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Exit:
    """How a container ended: its exit code (128 + signal when killed), and the reason when the
    runtime knows more than the code says (e.g. OOMKilled); "" means Completed or Error."""

    code: int
    reason: str = ""


class ExecSession(Protocol):
    """A command started in a running container with its standard streams (`kubectl exec`).

    With a tty, stdout and stderr are one stream (reported as 1) and resize applies.
    """

    async def write(self, data: bytes) -> None:
        """Bytes for the command's stdin (ignored when it has none)."""

    async def close_stdin(self) -> None:
        """End of the command's stdin."""

    def resize(self, width: int, height: int) -> None:
        """The terminal's new size in columns and rows (tty only)."""

    async def read(self) -> tuple[int, bytes] | None:
        """Next output: (1 stdout or 2 stderr, bytes); None once all of it has ended."""
        ...

    async def wait(self) -> int:
        """The command's exit code (128 + signal when killed)."""
        ...

    async def kill(self) -> None:
        """Stop the command and everything it started (the client went away)."""


async def next_output(
    queue: asyncio.Queue[tuple[int, bytes] | None],
) -> tuple[int, bytes] | None:
    """An exec session's next output chunk from its queue; None (left for later readers) once
    the output has ended."""
    item = await queue.get()
    if item is None:
        queue.put_nowait(None)
    return item


class Container(Protocol):
    """One container created by a runtime, started once."""

    @property
    def id(self) -> str:
        """The containerID the status reports (e.g. `sandbox://4242`)."""
        ...

    async def start(self) -> None:
        """Start the container's program; StartError when it cannot be started."""

    async def wait(self) -> Exit:
        """Wait until the container exits by itself."""
        ...

    async def stop(self, grace: float) -> Exit:
        """SIGTERM, up to `grace` seconds, then SIGKILL; how it exited (also if it had already)."""
        ...

    async def exec(self, argv: list[str], timeout: float) -> tuple[int, str]:
        """Run a command in the container: (exit code, output); TimeoutError past `timeout`."""
        ...

    async def open_exec(self, argv: list[str], *, stdin: bool, tty: bool) -> ExecSession:
        """Start a command in the running container; StartError when it cannot be started."""
        ...

    async def connect(self, port: int | str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A TCP connection to a port (number, or a containerPort's name) of the container, as
        probes, Services and port-forward reach it (OSError when refused)."""
        ...

    async def output_tail(self) -> str:
        """The last lines this run printed (for `FallbackToLogsOnError`)."""
        ...


class Runtime(Protocol):
    """Images, containers and their logs on one node."""

    def allocate_ports(self, containers: list[Obj]) -> dict[str, dict[str, int]]:
        """container name -> {containerPort number and name: node port}; empty when pods
        listen on their own ports."""
        ...

    def host_path(self, path: str) -> pathlib.Path:
        """Where a hostPath volume's path lies on the host."""
        ...

    async def start_pod(
        self, pod: Obj, pod_dir: pathlib.Path, volumes: dict[str, pathlib.Path]
    ) -> None:
        """Prepare what the pod's containers share (its network, its volumes' owners), once."""

    async def remove_pod(self, pod: Obj) -> None:
        """Remove everything the runtime made for the pod (its containers too)."""

    async def close(self) -> None:
        """Remove whatever is left when the node stops."""

    async def pull(self, image: str) -> str:
        """Make the image available; its imageID, or ImageError."""
        ...

    async def create(self, config: ContainerConfig) -> Container:
        """A container for one run, not started yet; ConfigError when the spec cannot be met."""
        ...

    async def logs(
        self, pod: Obj, container: str, tail_lines: int | None, previous: bool = False
    ) -> str:
        """What a container of the pod printed ("" before it ever started), or its previous
        run printed."""
        ...
