"""One pod on the node: its folder, ports, volumes, init containers, containers and status."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import pathlib
from typing import Any

import aiohttp

from sandbox.client.api import ApiError
from sandbox.client.objects import PORTS_ANNOTATION, timestamp
from sandbox.kubelet.container import ContainerRunner
from sandbox.kubelet.context import Node
from sandbox.kubelet.layout import pod_dir
from sandbox.kubelet.persist import persist
from sandbox.kubelet.runtime import ConfigError
from sandbox.kubelet.status import pod_status
from sandbox.kubelet.volumes import Sources, prepare_volumes

log = logging.getLogger(__name__)
DEADLINE_MESSAGE = "Pod was active on the node longer than the specified deadline"


class PodWorker:
    """Runs a pod's containers and reports its status until stopped."""

    def __init__(self, node: Node, pod: dict[str, Any]) -> None:
        """Nothing starts before run()."""
        self.node = node
        self.pod = pod
        self.dir = pod_dir(node.data_dir, pod)
        self.volumes: dict[str, pathlib.Path] = {}
        self.ports: dict[str, dict[str, int]] = {}
        self.runners = [ContainerRunner(self, c) for c in pod["spec"].get("containers") or []]
        self.inits = [
            ContainerRunner(self, c, init=True) for c in pod["spec"].get("initContainers") or []
        ]
        if self.inits:
            for runner in self.runners:
                runner.status["state"] = {"waiting": {"reason": "PodInitializing"}}
        self.start_time = timestamp()
        self.deletion_grace: float | None = None
        self.stopping = asyncio.Event()
        self.expired = False
        self._changed = asyncio.Event()
        self._written: dict[str, Any] | None = None
        self.task: asyncio.Task[None] | None = None

    def notify(self) -> None:
        """A container status changed."""
        self._changed.set()

    def grace(self) -> float:
        """Seconds between SIGTERM and SIGKILL."""
        if self.deletion_grace is not None:
            return self.deletion_grace
        return float(self.pod["spec"].get("terminationGracePeriodSeconds", 30))

    def ports_of(self, container: dict[str, Any]) -> dict[str, int]:
        """The allocated ports of one container."""
        return self.ports.get(container["name"], {})

    async def event(self, reason: str, message: str, kind: str = "Normal") -> None:
        """An Event on this pod from the kubelet."""
        await self.node.cluster.event(self.pod, reason, message, kind, component="kubelet")

    def start(self) -> None:
        """Run the pod in the background."""
        self.task = asyncio.create_task(self.run())

    async def run(self) -> None:
        """Prepare the pod, run its containers, report status until they end for good."""
        reporter = asyncio.create_task(self._report())
        deadline = asyncio.create_task(self._enforce_deadline())
        try:
            if await self._prepare() and await self._initialize():
                runs = [r.run() for r in self.runners]
                for error in await asyncio.gather(*runs, return_exceptions=True):
                    if isinstance(error, Exception):
                        name = self.pod["metadata"]["name"]
                        log.error("a container of pod %s failed", name, exc_info=error)
        finally:
            reporter.cancel()
            deadline.cancel()
            name = self.pod["metadata"]["name"]
            await persist(
                self._write_status, f"final status of pod {name}", lambda: not self.node.closing
            )

    async def _enforce_deadline(self) -> None:
        """spec.activeDeadlineSeconds: stop every container and fail the pod when it passes."""
        seconds = self.pod["spec"].get("activeDeadlineSeconds")
        if seconds is None:
            return
        await asyncio.sleep(float(seconds))
        self.expired = True
        await self.event("DeadlineExceeded", DEADLINE_MESSAGE, "Warning")
        self.stopping.set()
        for runner in [*self.inits, *self.runners]:
            await runner.stop()

    async def _initialize(self) -> bool:
        """Run the init containers one after the other; False when one failed for good."""
        for runner in self.inits:
            await runner.run()
            if runner.exit_code != 0 or self.stopping.is_set():
                return False
        return True

    async def _prepare(self) -> bool:
        """Folder, ports (recorded on the pod) and volumes; False when stopped before ready."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ports = self.node.runtime.allocate_ports(self.pod["spec"].get("containers") or [])
        merged = {k: v for ports in self.ports.values() for k, v in ports.items()}
        note = {"metadata": {"annotations": {PORTS_ANNOTATION: json.dumps(merged, sort_keys=True)}}}
        annotated = not merged  # a pod listening on its own ports has nothing to record
        while not self.stopping.is_set():
            try:
                if not annotated:
                    await self.node.cluster.patch("pods", self.pod, note)
                    annotated = True
                sources = Sources(self.node.data_dir, self.node.fetch, self.node.token,
                                  self.node.runtime.host_path)  # fmt: skip
                self.volumes = await prepare_volumes(self.pod, self.dir, sources)
                networked = await self.node.with_host_ports(self.pod)
            except ConfigError as exc:
                await self.event("FailedMount", f"MountVolume.SetUp failed: {exc}", "Warning")
            except (ApiError, aiohttp.ClientError) as exc:  # the API is flaky: try again shortly
                log.debug("preparing pod %s: %s", self.pod["metadata"]["name"], exc)
            else:
                if await self._start_sandbox(networked):
                    return True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), 2)
        return False

    async def _start_sandbox(self, networked: dict[str, Any]) -> bool:
        """The runtime's share of the pod (its network, with the host ports `networked` names);
        an event when it cannot be made."""
        try:
            await self.node.runtime.start_pod(networked, self.dir, self.volumes)
        except (OSError, RuntimeError, ValueError) as exc:
            log.warning("pod %s: %s", self.pod["metadata"]["name"], exc)
            message = f"Failed to create pod sandbox: {exc}"
            await self.event("FailedCreatePodSandBox", message, "Warning")
            return False
        return True

    def status(self) -> dict[str, Any]:
        """The pod status from the container runners."""
        policy = self.pod["spec"].get("restartPolicy", "Always")
        if self.stopping.is_set() and all(r.finished or r.current is None for r in self.runners):
            policy = "Never"  # a deleted pod ends in a terminal phase
        statuses = [dict(r.status) for r in self.runners]
        inits = [dict(r.status) for r in self.inits]
        status = pod_status(self.pod.get("status") or {}, policy, statuses, self.start_time, inits)
        if self.expired:
            status.update(phase="Failed", reason="DeadlineExceeded", message=DEADLINE_MESSAGE)
        return status

    async def _write_status(self) -> None:
        """Write the status when it changed since the last write."""
        status = self.status()
        if status == self._written:
            return
        old = self._written or self.pod.get("status") or {}
        change = {k: status.get(k) for k in set(old) | set(status) if old.get(k) != status.get(k)}
        if (
            change
            and await self.node.cluster.patch("pods", self.pod, {"status": change}, sub="status")
            is not None
        ):
            self._written = status

    async def _report(self) -> None:
        """Write status after each change, batching changes that come close together."""
        while True:
            await self._changed.wait()
            await asyncio.sleep(0.05)
            self._changed.clear()
            try:
                await self._write_status()
            except Exception:
                log.debug(
                    "status of pod %s not written", self.pod["metadata"]["name"], exc_info=True
                )
                await asyncio.sleep(0.5)
                self._changed.set()

    async def stop(self, grace: float | None = None) -> None:
        """Stop every container (SIGTERM, grace, SIGKILL) and wait until they are down."""
        if grace is not None:
            self.deletion_grace = grace
        self.stopping.set()
        for runner in [*self.inits, *self.runners]:
            if runner.current is not None and not runner.finished:
                await self.event("Killing", f"Stopping container {runner.name}")
            await runner.stop()
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)
