"""The node agent: one PodWorker per pod bound to the node, containers run by the runtime."""

from __future__ import annotations

import asyncio
import logging
import pathlib
import shutil
import time

from sandbox.client.backoff import BackoffPolicy
from sandbox.client.objects import NODE_NAME, Obj
from sandbox.client.view import ClusterView
from sandbox.kubelet.container import ContainerRunner
from sandbox.kubelet.context import Node
from sandbox.kubelet.layout import pod_dir
from sandbox.kubelet.owners import owners_gone
from sandbox.kubelet.persist import persist
from sandbox.kubelet.pod import PodWorker
from sandbox.kubelet.runtime import ExecSession, Runtime, StartError

log = logging.getLogger(__name__)
SHUTDOWN_GRACE_CAP = 10.0
OWNER_CHECK_PERIOD = 3.0


class Kubelet:
    """Starts a PodWorker per pod bound to the node, stops it when the pod goes."""

    def __init__(
        self, cluster: ClusterView, data_dir: pathlib.Path, runtime: Runtime, backoff: BackoffPolicy
    ) -> None:
        """No pods yet."""
        self.cluster = cluster
        self.node = Node(cluster, data_dir, runtime, backoff)
        self.workers: dict[str, PodWorker] = {}
        self._ending: dict[str, asyncio.Task[None]] = {}
        self._owner_check = 0.0

    def running_pods(self) -> list[Obj]:
        """Pods whose processes have not all ended yet."""
        return [w.pod for w in self.workers.values() if w.task is not None and not w.task.done()]

    async def logs(
        self, pod: Obj, container: str, tail_lines: int | None, previous: bool = False
    ) -> str:
        """What a container of the pod printed (or its previous run), as its runtime keeps it."""
        return await self.node.runtime.logs(pod, container, tail_lines, previous)

    def _running(self, pod: Obj) -> list[ContainerRunner]:
        """The pod's containers that run now."""
        worker = self.workers.get(pod["metadata"].get("uid", ""))
        runners = [] if worker is None else [*worker.inits, *worker.runners]
        return [
            r for r in runners if r.current is not None and "running" in r.status.get("state", {})
        ]

    async def exec(
        self, pod: Obj, container: str, argv: list[str], *, stdin: bool, tty: bool
    ) -> ExecSession:
        """Start a command in a running container (LookupError when it does not run)."""
        for runner in self._running(pod):
            if runner.name == container and runner.current is not None:
                try:
                    return await runner.current.open_exec(argv, stdin=stdin, tty=tty)
                except StartError as error:
                    raise OSError(
                        "Internal error occurred: error executing command in container: "
                        f"failed to exec in container: {error}"
                    ) from None
        raise LookupError(f'container not found ("{container}")')

    async def connect(
        self, pod: Obj, port: int | str
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A connection to a port (number or containerPort name) of the pod, through the
        container that declares it (or the first running one); LookupError when no container
        runs."""
        running = self._running(pod)
        declared = [
            r for r in running
            if any(str(port) in (str(p.get("containerPort")), p.get("name"))
                   for p in r.spec.get("ports") or [])
        ]  # fmt: skip
        for runner in declared or running:
            if runner.current is not None:
                return await runner.current.connect(port)
        raise LookupError(f"pod {pod['metadata']['name']} has no running container")

    async def sync(self) -> None:
        """Match workers to the pods bound to the node."""
        pods = {
            p["metadata"].get("uid", ""): p
            for p in self.cluster.cache("pods").list()
            if p["spec"].get("nodeName") == NODE_NAME
        }
        for uid, pod in pods.items():
            worker = self.workers.get(uid)
            if pod["metadata"].get("deletionTimestamp"):
                self._end(uid, pod, delete=True)
            elif worker is None and (pod.get("status") or {}).get("phase") not in (
                "Succeeded",
                "Failed",
            ):
                worker = self.workers[uid] = PodWorker(self.node, pod)
                worker.start()
            elif worker is not None:
                worker.pod = pod
        for uid in [u for u in self.workers if u not in pods]:
            self._end(uid, self.workers[uid].pod, delete=False)
        if time.monotonic() - self._owner_check > OWNER_CHECK_PERIOD:
            self._owner_check = time.monotonic()
            await self._stop_orphans(list(pods.values()))

    def _end(self, uid: str, pod: Obj, *, delete: bool) -> None:
        """Stop a pod's worker once; then remove the pod object (if asked) and its folder."""
        if uid not in self._ending:
            self._ending[uid] = asyncio.create_task(self._finish(uid, pod, delete))

    async def _finish(self, uid: str, pod: Obj, delete: bool) -> None:
        """SIGTERM, grace period, SIGKILL; final delete with grace 0; drop the folder."""
        worker = self.workers.get(uid)
        grace = pod["metadata"].get("deletionGracePeriodSeconds")
        if worker is not None:
            await worker.stop(None if grace is None else float(grace))
        if delete:
            name = pod["metadata"]["name"]
            await persist(
                lambda: self.cluster.delete("pods", pod, grace=0),
                f"final delete of pod {name}",
                lambda: not self.node.closing,
            )
        await self._remove(pod)
        self.workers.pop(uid, None)

    async def _remove(self, pod: Obj) -> None:
        """What the runtime made for the pod, then its folder."""
        try:
            await self.node.runtime.remove_pod(pod)
        except (OSError, RuntimeError) as error:
            log.warning("removing pod %s: %s", pod["metadata"]["name"], error)
        shutil.rmtree(pod_dir(self.node.data_dir, pod), ignore_errors=True)

    async def _stop_orphans(self, pods: list[Obj]) -> None:
        """Pods whose owners are all gone are deleted (a backstop for the garbage collector)."""
        for pod in pods:
            if (
                pod["metadata"].get("deletionTimestamp")
                or pod["metadata"].get("uid") in self._ending
            ):
                continue
            if await owners_gone(self.cluster, pod):
                await self.cluster.delete("pods", pod)

    async def shutdown(self) -> None:
        """Stop every process this kubelet started (grace capped so shutdown stays quick)."""
        self.node.closing = True
        for uid, worker in list(self.workers.items()):
            if uid not in self._ending:
                grace = min(worker.grace(), SHUTDOWN_GRACE_CAP)
                self._ending[uid] = asyncio.create_task(worker.stop(grace))
        await asyncio.gather(*self._ending.values(), return_exceptions=True)
        removals = [self.node.runtime.remove_pod(w.pod) for w in self.workers.values()]
        await asyncio.gather(*removals, return_exceptions=True)  # their folders stay
        await self.node.runtime.close()
