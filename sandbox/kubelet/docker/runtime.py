"""The docker runtime: each run of a container is a container of a local engine, created from
the real image (never pulled), in the pod's network namespace (podnet.py)."""

from __future__ import annotations

import asyncio
import itertools
import os
import pathlib
import shutil
import tempfile
import uuid
from typing import Any

from sandbox.client.objects import HOST_PORTS_ANNOTATION
from sandbox.kubelet.docker import pod_files, session
from sandbox.kubelet.docker.engine import Engine, EngineError, demultiplex
from sandbox.kubelet.docker.podnet import PodNetwork
from sandbox.kubelet.docker.spec import create_body, volume_mount
from sandbox.kubelet.runtime import ConfigError, ContainerConfig, Exit, ImageError, StartError

Obj = dict[str, Any]
LABEL = "dev.myfoodbudget.sandbox"  # the sandbox that made a container or volume
POD_LABEL = f"{LABEL}.pod-uid"
PID_LABEL = f"{LABEL}.pid"
KEEP_RUNS = 2  # the current run and the previous one (`kubectl logs --previous`)
# The project's Python base image, or its local stand-in (scripts/base-image.sh): the pause
# image unless one is given.
PAUSE_IMAGES = ("python:3.11-slim-bookworm", "myfoodbudget/python-standin:3.11-bookworm")


def container_name(pod: Obj, container: str, attempt: int) -> str:
    """The name dockershim gave containers: k8s_<container>_<pod>_<namespace>_<uid>_<attempt>."""
    md = pod["metadata"]
    return f"k8s_{container}_{md['name']}_{md['namespace']}_{md.get('uid', '')}_{attempt}"


class DockerContainer:
    """One run of a container in the engine."""

    def __init__(self, engine: Engine, ident: str, net: PodNetwork, config: ContainerConfig,
                 image: Obj) -> None:  # fmt: skip
        """Created, not started."""
        self.engine, self.ident, self.net = engine, ident, net
        self.spec = config.spec
        self.stop_signal = str((image.get("Config") or {}).get("StopSignal") or "SIGTERM")

    @property
    def id(self) -> str:
        """`docker://<id>`, as a kubelet with Docker reports it."""
        return f"docker://{self.ident}"

    async def start(self) -> None:
        """Start it; StartError with the engine's message (e.g. a program that does not exist)."""
        try:
            await self.engine.call("POST", f"/containers/{self.ident}/start")
        except EngineError as error:
            raise StartError(str(error)) from None

    async def _exit(self) -> Exit:
        state = (await self.engine.inspect(self.ident))["State"]
        return Exit(int(state.get("ExitCode") or 0), "OOMKilled" if state.get("OOMKilled") else "")

    async def wait(self) -> Exit:
        """Until the container exits; OOMKilled when its memory limit killed it."""
        await self.engine.call("POST", f"/containers/{self.ident}/wait")
        return await self._exit()

    async def stop(self, grace: float) -> Exit:
        """The image's stop signal (SIGTERM by default), up to `grace` seconds, then SIGKILL."""
        if (await self.engine.inspect(self.ident))["State"].get("Running"):
            await self.engine.kill(self.ident, self.stop_signal)
            try:
                await asyncio.wait_for(self.wait(), max(grace, 0.0))
            except TimeoutError:
                await self.engine.kill(self.ident, "SIGKILL")
                await self.engine.call("POST", f"/containers/{self.ident}/wait")
        return await self._exit()

    async def exec(self, argv: list[str], timeout: float) -> tuple[int, str]:
        """An exec probe in the container."""
        return await session.run(self.engine, self.ident, [str(a) for a in argv], timeout)

    async def open_exec(self, argv: list[str], *, stdin: bool, tty: bool) -> session.DockerExec:
        """`kubectl exec`: the engine's exec with the streams attached."""
        return await session.DockerExec.start(self.engine, self.ident, argv, stdin=stdin, tty=tty)

    def _port(self, port: int | str) -> int:
        for spec in self.spec.get("ports") or []:
            if str(port) in (spec.get("name"), str(spec.get("containerPort"))):
                return int(spec["containerPort"])
        if str(port).isdigit():
            return int(port)
        raise ValueError(f"port {port!r} names no containerPort")

    async def connect(self, port: int | str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A connection to the port inside the pod (any port: the pod has its own loopback)."""
        return await self.net.connect(self._port(port))

    async def output_tail(self) -> str:
        """The last 80 lines of this run (at most 2048 bytes)."""
        return (await logs_of(self.engine, self.ident, 80, bool(self.spec.get("tty"))))[-2048:]


async def logs_of(engine: Engine, ident: str, tail: int | None, tty: bool) -> str:
    """What one run printed (stdout and stderr in order)."""
    query = {"stdout": "1", "stderr": "1", "tail": "all" if tail is None else str(tail)}
    try:
        raw = await engine.stream(f"/containers/{ident}/logs", query)
    except EngineError:
        return ""
    return (raw if tty else demultiplex(raw)).decode(errors="replace")


class _Pod:
    """What the runtime made for one pod."""

    def __init__(self, net: PodNetwork) -> None:
        self.net = net
        self.volumes: dict[str, str] = {}  # pod volume name -> engine volume (sized emptyDir)
        self.runs: dict[str, list[str]] = {}  # container name -> its runs' ids, oldest first
        self.attempts: dict[str, int] = {}  # container name -> the last run's number


class DockerRuntime:
    """Images and containers of a local engine; every object labelled, and removed with its pod."""

    def __init__(self, engine: Engine, pause_image: str, api_port: int) -> None:
        """`pause_image` holds each pod's network (any image with python3); pods may reach the
        API server's port on 127.0.0.1, and the host ports their annotation lists."""
        self.engine, self.pause_image, self.api_port = engine, pause_image, api_port
        self.instance = uuid.uuid4().hex[:12]
        self.labels = {LABEL: self.instance, PID_LABEL: str(os.getpid())}
        self.sockets = pathlib.Path(tempfile.mkdtemp(prefix="sbx-"))
        self.pods: dict[str, _Pod] = {}
        self._serial = itertools.count()

    async def check(self) -> None:
        """The engine answers and has the pause image; leftovers of dead sandboxes go."""
        for candidate in [self.pause_image] if self.pause_image else PAUSE_IMAGES:
            if await self.engine.image(candidate) is not None:
                self.pause_image = candidate
                break
        else:
            wanted = self.pause_image or " or ".join(PAUSE_IMAGES)
            raise ValueError(
                f"the engine has no {wanted} to hold each pod's network: run `make images`, "
                "or name another image with python3 (--pause-image)"
            )
        await remove_orphans(self.engine)

    def host_path(self, path: str) -> pathlib.Path:
        """The host's own path, as a kubelet mounts it (containers are isolated from the rest)."""
        return pathlib.Path(path)

    def allocate_ports(self, containers: list[Obj]) -> dict[str, dict[str, int]]:  # noqa: ARG002
        """None: each pod listens on its real containerPorts, in its own network namespace."""
        return {}

    async def pull(self, image: str) -> str:
        """The imageID of an image the engine has; ImageError otherwise (nothing is pulled)."""
        found = await self.engine.image(image)
        if found is None:
            raise ImageError(
                f'image "{image}" is not in the container engine and the sandbox never pulls: '
                "build it (make images) or load it (docker load)"
            )
        digests = found.get("RepoDigests") or []
        return f"docker-pullable://{digests[0]}" if digests else f"docker://{found['Id']}"

    def _labels(self, pod: Obj) -> dict[str, str]:
        md = pod["metadata"]
        return {**self.labels, POD_LABEL: md.get("uid", ""), "io.kubernetes.pod.name": md["name"],
                "io.kubernetes.pod.namespace": md["namespace"]}  # fmt: skip

    async def start_pod(
        self,
        pod: Obj,
        pod_dir: pathlib.Path,  # noqa: ARG002  the interface's; docker keeps no pod folder
        volumes: dict[str, pathlib.Path],
    ) -> None:
        """The pod's sized emptyDirs, its folders' owners and modes, and its network."""
        uid = pod["metadata"].get("uid", "")
        if uid in self.pods:
            return
        annotation = (pod["metadata"].get("annotations") or {}).get(HOST_PORTS_ANNOTATION, "")
        egress = [
            self.api_port,
            *(int(p) for p in annotation.replace(",", " ").split() if p.isdigit()),
        ]
        state = _Pod(PodNetwork(self.engine, self.sockets / str(next(self._serial)), egress))
        self.pods[uid] = state
        labels = self._labels(pod)
        try:
            state.volumes = await pod_files.engine_volumes(self.engine, pod, labels)
            pod_files.set_owners(pod, volumes)
            mounts = [volume_mount(v, f"/volumes/{k}") for k, v in state.volumes.items()]
            body = {"Hostname": pod["metadata"]["name"][:63], "Labels": labels,
                    "HostConfig": {"Mounts": mounts}}  # fmt: skip
            await state.net.start(self.pause_image, container_name(pod, "POD", 0), body)
        except (EngineError, OSError):
            await self.remove_pod(pod)  # the next attempt starts afresh
            raise

    async def create(self, config: ContainerConfig) -> DockerContainer:
        """A container for the next run (ConfigError when the spec cannot be met)."""
        pod = config.pod
        state = self.pods[pod["metadata"].get("uid", "")]
        image = await self.engine.image(config.spec.get("image", ""))
        if image is None:
            raise ConfigError(f"image {config.spec.get('image')!r} is no longer in the engine")
        body = await create_body(
            config, image, f"container:{state.net.container}", self._labels(pod), state.volumes
        )
        pod_files.mount_sources(config)
        runs = state.runs.setdefault(config.spec["name"], [])
        attempt = state.attempts[config.spec["name"]] = (
            state.attempts.get(config.spec["name"], -1) + 1
        )
        name = container_name(pod, config.spec["name"], attempt)
        try:
            ident = await self.engine.create(name, body)
        except EngineError as error:
            raise ConfigError(str(error)) from None
        runs.append(ident)
        for old in runs[:-KEEP_RUNS]:
            await self.engine.remove(old)
        del runs[:-KEEP_RUNS]
        return DockerContainer(self.engine, ident, state.net, config, image)

    async def logs(
        self, pod: Obj, container: str, tail_lines: int | None, previous: bool = False
    ) -> str:
        """The current run's output, or the previous run's."""
        state = self.pods.get(pod["metadata"].get("uid", ""))
        runs = [] if state is None else state.runs.get(container, [])
        wanted = runs[-2:-1] if previous else runs[-1:]
        if not wanted:
            return ""
        spec: Obj = next(
            (c for c in pod["spec"].get("containers") or [] if c["name"] == container), {}
        )
        return await logs_of(self.engine, wanted[0], tail_lines, bool(spec.get("tty")))

    async def remove_pod(self, pod: Obj) -> None:
        """Remove the pod's containers, its network container and its engine volumes."""
        uid = pod["metadata"].get("uid", "")
        state = self.pods.pop(uid, None)
        if state is None:
            return
        runs = [self.engine.remove(i) for ids in state.runs.values() for i in ids]
        await asyncio.gather(*runs)
        await state.net.close()
        await asyncio.gather(*(self.engine.remove_volume(v) for v in state.volumes.values()))

    async def close(self) -> None:
        """Remove everything this sandbox made in the engine, then close the connections."""
        await asyncio.gather(
            *(self.remove_pod({"metadata": {"uid": uid}}) for uid in list(self.pods))
        )
        await remove_labelled(self.engine, f"{LABEL}={self.instance}")
        shutil.rmtree(self.sockets, ignore_errors=True)
        await self.engine.close()


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


async def remove_labelled(engine: Engine, label: str) -> None:
    """Remove every container, then every volume, carrying the label."""
    await asyncio.gather(*(engine.remove(i) for i in await engine.labelled("containers", label)))
    volumes = await engine.labelled("volumes", label)
    await asyncio.gather(*(engine.remove_volume(v) for v in volumes))


async def remove_orphans(engine: Engine) -> None:
    """Containers and volumes of sandboxes on this host whose process is gone (killed)."""
    found = {**await engine.labelled("containers", PID_LABEL),
             **await engine.labelled("volumes", PID_LABEL)}  # fmt: skip
    dead = {labels.get(LABEL, "") for labels in found.values() if not _alive(labels[PID_LABEL])}
    for instance in dead - {""}:
        await remove_labelled(engine, f"{LABEL}={instance}")
