"""One container of a pod: pull, create, start, probe, restart with back-off, report status."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pathlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from sandbox.client.api import ApiError
from sandbox.client.objects import timestamp
from sandbox.kubelet.context import PodSide
from sandbox.kubelet.layout import container_dir, termination_file, termination_message
from sandbox.kubelet.probes import run_probe, run_startup
from sandbox.kubelet.runtime import (
    ConfigError,
    Container,
    ContainerConfig,
    Exit,
    ImageError,
    StartError,
)
from sandbox.kubelet.volumes import container_mounts

log = logging.getLogger(__name__)
# Without a readiness probe a container counts as ready once it has run this long, as the real
# kubelet only sees a container running at its next relist (about a second).
SETTLE_SECONDS = 1.0


class ContainerRunner:
    """Runs one container of a pod through the runtime and keeps its containerStatus current."""

    def __init__(self, worker: PodSide, spec: dict[str, Any], *, init: bool = False) -> None:
        """Start in waiting (ContainerCreating, or PodInitializing behind init containers)."""
        self.worker = worker
        self.spec = spec
        self.init = init
        self.exit_code: int | None = None
        self.name: str = spec["name"]
        self.dir = container_dir(worker.dir, self.name)
        self.status: dict[str, Any] = {
            "name": self.name,
            "image": spec.get("image", ""),
            "imageID": "",
            "ready": False,
            "restartCount": 0,
            "started": False,
            "state": {"waiting": {"reason": "ContainerCreating"}},
        }
        self.stopping = asyncio.Event()
        self.finished = False
        self.current: Container | None = None  # the last container started, if any
        self._pulled = False
        self._kill_reason = ""

    def _update(self, **fields: Any) -> None:
        """Change status fields and tell the pod worker."""
        self.status.update(fields)
        self.worker.notify()

    def _waiting(self, reason: str, message: str = "") -> None:
        """Enter a waiting state."""
        waiting = {"reason": reason, **({"message": message} if message else {})}
        self._update(state={"waiting": waiting}, ready=False, started=False)

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake at once when the container is being stopped."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    async def run(self) -> None:
        """The container's main loop; returns once it stops for good."""
        failures, pulls, runs = 0, 0, 0
        while not self.stopping.is_set():
            try:
                image_id = await self.worker.node.runtime.pull(self.spec.get("image", ""))
            except ImageError as exc:
                pulls += 1
                await self._image_missing(pulls, str(exc))
                continue
            container = await self._create()
            if container is None:
                continue
            if runs:
                self._update(restartCount=self.status["restartCount"] + 1)
            runs += 1
            began = time.monotonic()
            code = await self._run_once(container, image_id)
            if self.stopping.is_set() or not self._restarts(code):
                self.finished = True
                return
            ran_long = time.monotonic() - began > self.worker.node.backoff.reset_after
            self.status["lastState"] = dict(self.status["state"])
            failures = 1 if ran_long else failures + 1
            await self._crash_loop(failures)

    async def _create(self) -> Container | None:
        """The runtime's container for one run; None (after waiting a little) when it cannot be."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            config = ContainerConfig(
                pod=self.worker.pod,
                spec=self.spec,
                mounts=container_mounts(self.spec, self.worker.volumes, self.dir),
                ports=self.worker.ports_of(self.spec),
                pod_dir=self.worker.dir,
                fetch=self.worker.node.fetch,
                service_env=self.worker.node.service_env(),
            )
            return await self.worker.node.runtime.create(config)
        except ConfigError as exc:
            self._waiting("CreateContainerConfigError", str(exc))
            await self.worker.event("Failed", f"Error: {exc}", "Warning")
            await self._pause(2)
        except (ApiError, aiohttp.ClientError) as exc:  # reading a ConfigMap/Secret failed
            log.debug("container %s: %s; retrying", self.name, exc)
            await self._pause(1)
        return None

    async def _crash_loop(self, failures: int) -> None:
        """Wait out the restart back-off (the first restart is immediate, as in the kubelet)."""
        delay = self.worker.node.backoff.delay(failures - 1)
        if delay <= 0:
            return
        pod = self.worker.pod["metadata"]
        who = f"{pod['name']}_{pod['namespace']}({pod.get('uid', '')})"
        message = f"back-off {delay:g}s restarting failed container={self.name} pod={who}"
        self._waiting("CrashLoopBackOff", message)
        await self.worker.event("BackOff", "Back-off restarting failed container", "Warning")
        await self._pause(delay)

    async def _image_missing(self, pulls: int, message: str) -> None:
        """ErrImagePull, then ImagePullBackOff for the back-off delay, then try again."""
        image = self.spec.get("image", "")
        self._waiting("ErrImagePull", message)
        await self.worker.event("Failed", f'Failed to pull image "{image}": {message}', "Warning")
        await self._pause(1)
        if self.stopping.is_set():
            return
        self._waiting("ImagePullBackOff", f'Back-off pulling image "{image}"')
        await self.worker.event("BackOff", f'Back-off pulling image "{image}"', "Warning")
        await self._pause(max(1.0, self.worker.node.backoff.delay(pulls)))

    def _restarts(self, code: int) -> bool:
        """Whether the restart policy restarts a container that exited with code."""
        self.exit_code = code
        policy = self.worker.pod["spec"].get("restartPolicy", "Always")
        if self.init:  # an init container that succeeded is done; a failed one retries
            return code != 0 and policy != "Never"
        return policy == "Always" or (policy == "OnFailure" and code != 0)

    async def _announce(self) -> None:
        """The Pulled, Created and Started events."""
        if not self._pulled:
            self._pulled = True
            await self.worker.event(
                "Pulled", f'Container image "{self.spec.get("image")}" already present on machine'
            )
        await self.worker.event("Created", f"Created container {self.name}")
        await self.worker.event("Started", f"Started container {self.name}")

    async def _run_once(self, container: Container, image_id: str) -> int:
        """Start the container, probe it until it exits or is stopped; record the termination."""
        term = termination_file(self.dir)
        if term.exists():  # emptied, not removed: a runtime may have bind-mounted it
            term.write_bytes(b"")
        try:
            await container.start()
        except StartError as exc:
            return await self._start_failed(str(exc))
        self.current = container
        started_at = timestamp()
        self._update(
            state={"running": {"startedAt": started_at}},
            containerID=container.id,
            imageID=image_id,
            started="startupProbe" not in self.spec,
            ready=False,
        )
        await self._announce()
        killed = asyncio.Event()
        probes = asyncio.create_task(self._probe(container, killed))
        waiter = asyncio.create_task(container.wait())
        stopper = asyncio.create_task(self.stopping.wait())
        killer = asyncio.create_task(killed.wait())
        await asyncio.wait({waiter, stopper, killer}, return_when=asyncio.FIRST_COMPLETED)
        for task in (probes, stopper, killer):
            task.cancel()
        if killed.is_set() and not self.stopping.is_set():
            await self.worker.event(
                "Killing",
                f"Container {self.name} failed {self._kill_reason} probe, will be restarted",
            )
        ended = await container.stop(self.worker.grace())
        waiter.cancel()
        await self._terminated(ended, started_at, term, container)
        return ended.code

    async def _start_failed(self, message: str) -> int:
        """Record a container that could not be started (StartError, exit code 128)."""
        now = timestamp()
        terminated = {"exitCode": 128, "reason": "StartError", "message": message}
        self._update(state={"terminated": {**terminated, "startedAt": now, "finishedAt": now}})
        await self.worker.event("Failed", f"Error: {message}", "Warning")
        return 128

    async def _terminated(
        self, ended: Exit, started_at: str, term: pathlib.Path, container: Container
    ) -> None:
        """Record the terminated state with its termination message."""
        terminated: dict[str, Any] = {
            "exitCode": ended.code,
            "reason": ended.reason or ("Completed" if ended.code == 0 else "Error"),
            "startedAt": started_at,
            "finishedAt": timestamp(),
            "containerID": self.status.get("containerID", ""),
        }
        message = termination_message(term)
        fallback = self.spec.get("terminationMessagePolicy") == "FallbackToLogsOnError"
        if not message and fallback and ended.code != 0:
            message = await container.output_tail()
        if message:
            terminated["message"] = message
        self._update(state={"terminated": terminated}, ready=False, started=False)

    async def _probe(self, container: Container, killed: asyncio.Event) -> None:
        """Startup, then liveness and readiness probes, until cancelled."""
        startup = self.spec.get("startupProbe")
        if startup is not None:
            if not await run_startup(startup, container, self._unhealthy("Startup")):
                self._kill_reason = "startup"
                killed.set()
                return
            self._update(started=True)
        readiness = self.spec.get("readinessProbe")
        tasks = [
            run_probe(
                readiness,
                container,
                lambda ok: self._update(ready=ok),
                initial=False,
                failed=self._unhealthy("Readiness"),
            )
            if readiness
            else self._ready_once_settled()
        ]
        if "livenessProbe" in self.spec:

            def dead(ok: bool) -> None:
                if not ok:
                    self._kill_reason = "liveness"
                    killed.set()

            liveness = self.spec["livenessProbe"]
            failed = self._unhealthy("Liveness")
            tasks.append(run_probe(liveness, container, dead, initial=True, failed=failed))
        await asyncio.gather(*tasks)

    def _unhealthy(self, kind: str) -> Callable[[str], Awaitable[None]]:
        """An `Unhealthy` event for each failed attempt of one probe (aggregated by message)."""

        async def failed(why: str) -> None:
            await self.worker.event("Unhealthy", f"{kind} probe failed: {why}", "Warning")

        return failed

    async def _ready_once_settled(self) -> None:
        """Ready after SETTLE_SECONDS of running (containers without a readiness probe)."""
        await asyncio.sleep(SETTLE_SECONDS)
        self._update(ready=True)

    async def stop(self) -> None:
        """Ask the container to stop (SIGTERM, grace period, SIGKILL happen in the run loop)."""
        self.stopping.set()
