"""What the kubelet asks of a container runtime; the pod and container lifecycle sits above it.

A runtime pulls an image, creates and starts a container, waits for it to exit, stops it with
a grace period, runs a command in it, says where the node reaches its ports, and serves its
logs. Restarts, back-off, probes, termination messages and status are the kubelet's, written
once in container.py and pod.py for every runtime. The process runtime (kubelet/process/) runs
each container as a local process.
"""

from __future__ import annotations

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
    ports: Mapping[str, int]  # containerPort (number and name) -> the node port the kubelet chose
    pod_dir: pathlib.Path  # the pod's folder on the host
    fetch: Fetch  # how env and envFrom read ConfigMaps and Secrets


@dataclasses.dataclass(frozen=True)
class Exit:
    """How a container ended: its exit code (128 + signal when killed), and the reason when the
    runtime knows more than the code says (e.g. OOMKilled); "" means Completed or Error."""

    code: int
    reason: str = ""


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

    def address(self, port: int | str) -> tuple[str, int]:
        """Where the node reaches a containerPort (number or name): probes and forwarding."""
        ...

    async def output_tail(self) -> str:
        """The last lines this run printed (for `FallbackToLogsOnError`)."""
        ...


class Runtime(Protocol):
    """Images, containers and their logs on one node."""

    async def pull(self, image: str) -> str:
        """Make the image available; its imageID, or ImageError."""
        ...

    async def create(self, config: ContainerConfig) -> Container:
        """A container for one run, not started yet; ConfigError when the spec cannot be met."""
        ...

    async def logs(self, pod: Obj, container: str, tail_lines: int | None) -> str:
        """What a container of the pod printed ("" before it ever started)."""
        ...
