"""The pod sandbox: a "pause" container holding the pod's network namespace (loopback only,
`NetworkMode: none`), which every container of the pod joins, and the host side of its
forwarder (forwarder.py): connections into the pod, and out of it to allowed host ports."""

from __future__ import annotations

import asyncio
import contextlib
import pathlib
import shutil
from typing import Any

from sandbox.kubelet.docker.engine import Engine, EngineError
from sandbox.kubelet.docker.forwarder import join

FORWARDER = pathlib.Path(__file__).with_name("forwarder.py")
READY_TIMEOUT = 30.0


class PodNetwork:
    """One pod's pause container and the unix sockets of its forwarder (in `folder`, a short
    host path: unix socket paths are limited to 108 bytes)."""

    def __init__(self, engine: Engine, folder: pathlib.Path, egress: list[int]) -> None:
        """Nothing runs before start()."""
        self.engine, self.folder, self.egress = engine, folder, egress
        self.container = ""
        self._servers: list[asyncio.Server] = []

    async def start(self, image: str, name: str, body: dict[str, Any]) -> str:
        """Serve the egress sockets, start the pause container, wait for its forwarder."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for port in self.egress:
            path = str(self.folder / f"out-{port}.sock")
            self._servers.append(await asyncio.start_unix_server(self._outbound(port), path))
        host = body.setdefault("HostConfig", {})
        host["NetworkMode"] = "none"
        host["Mounts"] = [
            {"Type": "bind", "Source": str(self.folder), "Target": "/net"},
            {"Type": "bind", "Source": str(FORWARDER), "Target": "/forwarder.py", "ReadOnly": True},
            *host.get("Mounts", []),
        ]
        body.update(Image=image, User="0:0", Entrypoint=["python3", "/forwarder.py", "/net"],
                    Cmd=[str(p) for p in self.egress])  # fmt: skip
        self.container = await self.engine.create(name, body)
        await self.engine.call("POST", f"/containers/{self.container}/start")
        await self._ready()
        return self.container

    async def _ready(self) -> None:
        """Wait until the forwarder has written its ready file (or the container ended)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_TIMEOUT
        while not (self.folder / "ready").exists():
            state = (await self.engine.inspect(self.container))["State"]
            if not state.get("Running"):
                why = state.get("Error") or f"exit code {state.get('ExitCode')}"
                raise EngineError(500, f"the pod's network container exited: {why}")
            if loop.time() > deadline:
                raise EngineError(500, "the pod's network container did not get ready")
            await asyncio.sleep(0.05)

    def _outbound(self, port: int) -> Any:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                upstream = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                writer.close()
                return
            await join(reader, writer, *upstream)

        return handle

    async def connect(self, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A connection to 127.0.0.1:port inside the pod (ConnectionRefusedError naming why)."""
        reader, writer = await asyncio.open_unix_connection(str(self.folder / "in.sock"))
        writer.write(f"{port}\n".encode())
        await writer.drain()
        answer = (await reader.readline()).decode(errors="replace").strip()
        if answer != "OK":
            writer.close()
            raise ConnectionRefusedError(answer.removeprefix("ERR ") or "connection closed")
        return reader, writer

    async def close(self) -> None:
        """Stop serving and remove the pause container and the socket folder."""
        for server in self._servers:
            server.close()
        self._servers.clear()
        if self.container:
            with contextlib.suppress(EngineError, OSError):
                await self.engine.remove(self.container)
        shutil.rmtree(self.folder, ignore_errors=True)
