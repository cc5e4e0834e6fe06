"""The process runtime: each container a local process chosen by the image catalog."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pathlib
import signal
from collections.abc import Callable
from typing import Any

from sandbox.kubelet.process import processes
from sandbox.kubelet.process.catalog import Catalog, CatalogImage
from sandbox.kubelet.process.command import build_command, build_env
from sandbox.kubelet.process.logs import read_log, tail
from sandbox.kubelet.process.paths import PathMap
from sandbox.kubelet.process.ports import allocate_ports
from sandbox.kubelet.process.session import ProcessExec
from sandbox.kubelet.runtime import ContainerConfig, Exit, ImageError, StartError

HOST = "127.0.0.1"


class ProcessContainer:
    """One run of a container: a process in a session of its own, its output appended to a log."""

    def __init__(
        self,
        argv: list[str],
        env: dict[str, str],
        cwd: str,
        paths: PathMap,
        config: ContainerConfig,
    ) -> None:
        """Nothing runs before start()."""
        self.argv, self.env, self.cwd, self.paths = argv, env, cwd, paths
        self.ports = dict(config.ports)
        self.log_file = config.pod_dir / "logs" / f"{config.spec['name']}.log"
        self._proc: asyncio.subprocess.Process | None = None
        self._log_start = 0
        self.on_start: Callable[[int], None] = lambda _offset: None

    @property
    def id(self) -> str:
        """`sandbox://<pid>` once started."""
        return f"sandbox://{self._proc.pid}" if self._proc is not None else ""

    @property
    def _process(self) -> asyncio.subprocess.Process:
        if self._proc is None:
            raise RuntimeError("the container has not been started")
        return self._proc

    async def start(self) -> None:
        """Start argv in the container's folder, env and log."""
        self._log_start = processes.log_size(self.log_file)
        self.on_start(self._log_start)
        try:
            self._proc = await processes.start(self.argv, self.env, self.cwd, self.log_file)
        except OSError as exc:  # e.g. the catalog names a program or folder that does not exist
            why = exc.strerror or exc
            raise StartError(f"failed to start {self.argv[0]!r} in {self.cwd}: {why}") from exc

    async def wait(self) -> Exit:
        """Wait for the main process to exit."""
        return Exit(processes.exit_code(await self._process.wait()))

    async def stop(self, grace: float) -> Exit:
        """SIGTERM the session, SIGKILL after grace; the group ends with its main process."""
        return Exit(await processes.stop(self._process, grace))

    async def exec(self, argv: list[str], timeout: float) -> tuple[int, str]:
        """Run a command (paths rewritten) in the container's folder and environment."""
        argv = [self.paths.rewrite(str(a)) for a in argv]
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=self.cwd,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            output, _ = await asyncio.wait_for(proc.communicate(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
            raise TimeoutError(f"command {argv!r} timed out") from None
        return int(proc.returncode or 0), output.decode(errors="replace")

    async def open_exec(self, argv: list[str], *, stdin: bool, tty: bool) -> ProcessExec:
        """A process with the container's env and working folder (container paths rewritten)."""
        argv = [self.paths.rewrite(str(a)) for a in argv]
        return await ProcessExec.start(argv, self.env, self.cwd, stdin=stdin, tty=tty)

    async def connect(self, port: int | str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A connection to the node port allocated for a containerPort (number or name); the
        process runtime reaches no other port (ConnectionRefusedError)."""
        if str(port) not in self.ports:
            raise ConnectionRefusedError(
                f"port {port} is no containerPort of this container (the process runtime "
                "reaches only declared ports)"
            )
        return await asyncio.open_connection(HOST, self.ports[str(port)])

    async def output_tail(self) -> str:
        """The last lines of this run's output."""
        return processes.tail(self.log_file, self._log_start)


class ProcessRuntime:
    """Images from the catalog, containers as local processes, logs as files in the pod folder."""

    def __init__(self, data_dir: pathlib.Path, catalog: Catalog) -> None:
        """Serve the pods whose folders live under data_dir."""
        self.data_dir = data_dir
        self.catalog = catalog
        self.runs: dict[tuple[str, str], list[int]] = {}  # (pod uid, container) -> log offsets

    def allocate_ports(self, containers: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
        """A free port on 127.0.0.1 for each containerPort, by number and by name."""
        return allocate_ports(containers)

    def host_path(self, path: str) -> pathlib.Path:
        """Under <data dir>/hostpath/: nothing lands in the host's real folders."""
        return self.data_dir / "hostpath" / path.lstrip("/")

    async def start_pod(self, pod: dict[str, Any], pod_dir: pathlib.Path, volumes: Any) -> None:
        """Nothing to share: the processes of a pod share the host."""

    async def remove_pod(self, pod: dict[str, Any]) -> None:
        """Forget the pod's log offsets (the kubelet removes its folder)."""
        uid = pod["metadata"].get("uid", "")
        for key in [k for k in self.runs if k[0] == uid]:
            del self.runs[key]

    async def close(self) -> None:
        """Nothing outlives the processes."""

    def _image(self, image: str) -> CatalogImage:
        entry = self.catalog.resolve(image)
        if entry is None:
            raise ImageError(
                f'image "{image}" is not in the sandbox image catalog; '
                'add an entry whose "match" covers it'
            )
        return entry

    async def pull(self, image: str) -> str:
        """The catalog entry's imageID (no registry is contacted)."""
        self._image(image)
        return f"sandbox-catalog://{image}"

    async def create(self, config: ContainerConfig) -> ProcessContainer:
        """Resolve paths, env, argv and working folder of one run."""
        image = self._image(config.spec.get("image", ""))
        paths = PathMap(config.mounts)
        env = await build_env(config, image, paths)
        argv = build_command(config.spec, image, env, paths)
        working = config.spec.get("workingDir")
        cwd = paths.resolve(working) if working else None
        made = ProcessContainer(argv, env, cwd or str(image.workdir), paths, config)
        runs = self.runs.setdefault(
            (config.pod["metadata"].get("uid", ""), config.spec["name"]), []
        )
        made.on_start = runs.append
        return made

    async def logs(
        self, pod: dict[str, Any], container: str, tail_lines: int | None, previous: bool = False
    ) -> str:
        """The container's log file: every run appended; with `previous` the run before the
        last one."""
        if not previous:
            return read_log(self.data_dir, pod, container, tail_lines)
        offsets = self.runs.get((pod["metadata"].get("uid", ""), container), [])
        if len(offsets) < 2:
            return ""
        text = read_log(self.data_dir, pod, container, None, span=(offsets[-2], offsets[-1]))
        return tail(text, tail_lines)
