"""One container: pull from the catalog, start, probe, restart with back-off, report status."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp

from sandbox.client.api import ApiError
from sandbox.client.objects import timestamp
from sandbox.kubelet import process
from sandbox.kubelet.catalog import CatalogImage
from sandbox.kubelet.probes import ProbeContext, run_probe, run_startup
from sandbox.kubelet.spec import ConfigError, build_command, build_env
from sandbox.kubelet.volumes import container_paths, termination_file

if TYPE_CHECKING:
    from sandbox.kubelet.pod import PodWorker

log = logging.getLogger(__name__)
# Without a readiness probe a container counts as ready once it has run this long, as the real
# kubelet only sees a container running at its next relist (about a second).
SETTLE_SECONDS = 1.0


@dataclasses.dataclass
class Launch:
    """Everything needed to start the process once."""

    argv: list[str]
    ctx: ProbeContext


class ContainerRunner:
    """Runs one container of a pod and keeps its containerStatus current."""

    def __init__(self, worker: PodWorker, spec: dict[str, Any], *, init: bool = False) -> None:
        """Start in waiting (ContainerCreating, or PodInitializing behind init containers)."""
        self.worker = worker
        self.spec = spec
        self.init = init
        self.exit_code: int | None = None
        self.name: str = spec["name"]
        self.dir = worker.dir / "containers" / self.name
        self.log_file = worker.dir / "logs" / f"{self.name}.log"
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
        self.pid: int | None = None
        self._pulled = False
        self._kill_reason = ""
        self._log_start = 0

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
            image = self.worker.kubelet.catalog.resolve(self.spec.get("image", ""))
            if image is None:
                pulls += 1
                await self._image_missing(pulls)
                continue
            try:
                launch = await self._prepare(image)
            except ConfigError as exc:
                self._waiting("CreateContainerConfigError", str(exc))
                await self.worker.event("Failed", f"Error: {exc}", "Warning")
                await self._pause(2)
                continue
            except (ApiError, aiohttp.ClientError) as exc:  # reading a ConfigMap/Secret failed
                log.debug("container %s: %s; retrying", self.name, exc)
                await self._pause(1)
                continue
            if runs:
                self._update(restartCount=self.status["restartCount"] + 1)
            runs += 1
            began = time.monotonic()
            code = await self._run_once(launch)
            if self.stopping.is_set() or not self._restarts(code):
                self.finished = True
                return
            ran_long = time.monotonic() - began > self.worker.kubelet.backoff.reset_after
            self.status["lastState"] = dict(self.status["state"])
            failures = 1 if ran_long else failures + 1
            await self._crash_loop(failures)

    async def _crash_loop(self, failures: int) -> None:
        """Wait out the restart back-off (the first restart is immediate, as in the kubelet)."""
        delay = self.worker.kubelet.backoff.delay(failures - 1)
        if delay <= 0:
            return
        pod = self.worker.pod["metadata"]
        who = f"{pod['name']}_{pod['namespace']}({pod.get('uid', '')})"
        message = f"back-off {delay:g}s restarting failed container={self.name} pod={who}"
        self._waiting("CrashLoopBackOff", message)
        await self.worker.event("BackOff", "Back-off restarting failed container", "Warning")
        await self._pause(delay)

    async def _image_missing(self, pulls: int) -> None:
        """ErrImagePull, then ImagePullBackOff for the back-off delay, then try again."""
        image = self.spec.get("image", "")
        message = (
            f'image "{image}" is not in the sandbox image catalog; '
            'add an entry whose "match" covers it'
        )
        self._waiting("ErrImagePull", message)
        await self.worker.event("Failed", f'Failed to pull image "{image}": {message}', "Warning")
        await self._pause(1)
        if self.stopping.is_set():
            return
        self._waiting("ImagePullBackOff", f'Back-off pulling image "{image}"')
        await self.worker.event("BackOff", f'Back-off pulling image "{image}"', "Warning")
        await self._pause(max(1.0, self.worker.kubelet.backoff.delay(pulls)))

    async def _prepare(self, image: CatalogImage) -> Launch:
        """Resolve paths, env, argv and working folder."""
        self.dir.mkdir(parents=True, exist_ok=True)
        paths = container_paths(self.spec, self.worker.volumes, self.dir)
        ports = self.worker.ports_of(self.spec)
        first = next(iter(ports.values()), None)
        env = await build_env(
            self.spec,
            self.worker.pod,
            image,
            port=first,
            home=str(self.worker.dir),
            paths=paths,
            fetch=self.worker.kubelet.fetch,
        )
        argv = build_command(self.spec, image, env, paths)
        working = self.spec.get("workingDir")
        cwd = paths.resolve(working) if working else None
        return Launch(
            argv=argv,
            ctx=ProbeContext(ports=ports, env=env, cwd=cwd or str(image.workdir), paths=paths),
        )

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

    async def _run_once(self, launch: Launch) -> int:
        """Start the process, probe it until it exits or is stopped; record the termination."""
        term = termination_file(self.dir)
        term.unlink(missing_ok=True)
        self._log_start = process.log_size(self.log_file)
        try:
            proc = await process.start(launch.argv, launch.ctx.env, launch.ctx.cwd, self.log_file)
        except OSError as exc:  # e.g. the catalog names a program or folder that does not exist
            return await self._start_failed(launch, exc)
        self.pid = proc.pid
        started_at = timestamp()
        has_startup = "startupProbe" in self.spec
        self._update(
            state={"running": {"startedAt": started_at}},
            containerID=f"sandbox://{proc.pid}",
            imageID=f"sandbox-catalog://{self.spec.get('image', '')}",
            started=not has_startup,
            ready=False,
        )
        await self._announce()
        killed = asyncio.Event()
        probes = asyncio.create_task(self._probe(launch.ctx, killed))
        waiter = asyncio.create_task(proc.wait())
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
        code = await process.stop(proc, self.worker.grace())
        waiter.cancel()
        self._terminated(code, started_at, term)
        return code

    async def _start_failed(self, launch: Launch, exc: OSError) -> int:
        """Record a container that could not be started (StartError, exit code 128)."""
        now = timestamp()
        message = f"failed to start {launch.argv[0]!r} in {launch.ctx.cwd}: {exc.strerror or exc}"
        terminated = {"exitCode": 128, "reason": "StartError", "message": message}
        self._update(state={"terminated": {**terminated, "startedAt": now, "finishedAt": now}})
        await self.worker.event("Failed", f"Error: {message}", "Warning")
        return 128

    def _terminated(self, code: int, started_at: str, term: Any) -> None:
        """Record the terminated state with its termination message."""
        fallback = self.spec.get("terminationMessagePolicy") == "FallbackToLogsOnError"
        terminated: dict[str, Any] = {
            "exitCode": code,
            "reason": "Completed" if code == 0 else "Error",
            "startedAt": started_at,
            "finishedAt": timestamp(),
            "containerID": self.status.get("containerID", ""),
        }
        log_tail = (self.log_file, self._log_start) if fallback and code != 0 else None
        message = process.termination_message(term, log_tail)
        if message:
            terminated["message"] = message
        self._update(state={"terminated": terminated}, ready=False, started=False)

    async def _probe(self, ctx: ProbeContext, killed: asyncio.Event) -> None:
        """Startup, then liveness and readiness probes, until cancelled."""
        startup = self.spec.get("startupProbe")
        if startup is not None:
            if not await run_startup(startup, ctx, self._unhealthy("Startup")):
                self._kill_reason = "startup"
                killed.set()
                return
            self._update(started=True)
        readiness = self.spec.get("readinessProbe")
        tasks = [
            run_probe(
                readiness,
                ctx,
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
            tasks.append(run_probe(liveness, ctx, dead, initial=True, failed=failed))
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
