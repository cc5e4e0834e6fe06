"""A thin client of the Docker Engine API over its unix socket (aiohttp), for the runtime.

Only what the docker runtime needs: images, containers, volumes, exec. Errors are EngineError
with the engine's message. A remote engine (tcp://) cannot be used: the pod's files and its
network sockets are host paths that the engine bind-mounts.
"""

from __future__ import annotations

import asyncio
import json
import os
import struct
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp

API = "v1.41"  # dockerd 20.10
DEFAULT_SOCKET = "/var/run/docker.sock"


class EngineError(RuntimeError):
    """The engine answered an error (status and its message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def socket_path(docker_host: str | None) -> str:
    """The engine's unix socket from DOCKER_HOST (unix://PATH), or the default one."""
    if not docker_host:
        return DEFAULT_SOCKET
    if not docker_host.startswith("unix://"):
        raise ValueError(
            f"DOCKER_HOST={docker_host} is not a unix socket: the docker runtime needs a local "
            'engine (it bind-mounts the pod folders); `eval "$(scripts/engine.sh env)"` points '
            "at the project's own one"
        )
    return docker_host.removeprefix("unix://")


class Engine:
    """Requests to one engine; `close()` when done."""

    def __init__(self, socket: str) -> None:
        """Nothing is opened before the first request."""
        self.socket = socket
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_environment(cls) -> Engine:
        """The engine DOCKER_HOST names (ValueError when it is not a local socket)."""
        return cls(socket_path(os.environ.get("DOCKER_HOST")))

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.UnixConnector(path=self.socket, limit=32)
            timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
            self._session = aiohttp.ClientSession(connector=connector, timeout=timeout)
        return self._session

    async def close(self) -> None:
        """Close the connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(
        self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None
    ) -> Any:
        """One request; the JSON answer (None when empty); EngineError for 4xx/5xx."""
        url = f"http://docker/{API}{path}" + (f"?{urlencode(query)}" if query else "")
        async with self.session.request(method, url, json=body) as response:
            raw = await response.read()
            if response.status >= 400:
                raise EngineError(response.status, _message(raw))
            return json.loads(raw) if raw.strip() else None

    async def stream(self, path: str, query: dict[str, Any]) -> bytes:
        """The raw body of a GET (container logs)."""
        url = f"http://docker/{API}{path}?{urlencode(query)}"
        async with self.session.get(url) as response:
            raw = await response.read()
            if response.status >= 400:
                raise EngineError(response.status, _message(raw))
            return raw

    async def image(self, reference: str) -> dict[str, Any] | None:
        """The image's inspect document, or None when the engine does not have it."""
        try:
            return dict(await self.call("GET", f"/images/{quote(reference, safe='')}/json"))
        except EngineError as error:
            if error.status == 404:
                return None
            raise

    async def create(self, name: str, body: dict[str, Any]) -> str:
        """Create a container; its id."""
        answer = await self.call("POST", "/containers/create", body, {"name": name})
        return str(answer["Id"])

    async def inspect(self, container: str) -> dict[str, Any]:
        """The container's inspect document."""
        return dict(await self.call("GET", f"/containers/{container}/json"))

    async def remove(self, container: str) -> None:
        """Remove a container (killed when it runs), with its anonymous volumes; gone is fine."""
        try:
            await self.call("DELETE", f"/containers/{container}", query={"force": "1", "v": "1"})
        except EngineError as error:
            if error.status != 404:
                raise

    async def kill(self, container: str, signal: str) -> None:
        """Send a signal; a container that is not running any more is fine."""
        try:
            await self.call("POST", f"/containers/{container}/kill", query={"signal": signal})
        except EngineError as error:
            if error.status not in (404, 409):
                raise

    async def labelled(self, kind: str, label: str) -> dict[str, dict[str, str]]:
        """Containers (by id) or volumes (by name) carrying a label (`key` or `key=value`), with
        their labels."""
        filters = json.dumps({"label": [label]})
        if kind == "containers":
            found = await self.call(
                "GET", "/containers/json", query={"all": "1", "filters": filters}
            )
            return {str(c["Id"]): dict(c.get("Labels") or {}) for c in found or []}
        found = await self.call("GET", "/volumes", query={"filters": filters})
        volumes = (found or {}).get("Volumes") or []
        return {str(v["Name"]): dict(v.get("Labels") or {}) for v in volumes}

    async def remove_volume(self, name: str) -> None:
        """Remove a volume; gone is fine."""
        try:
            await self.call("DELETE", f"/volumes/{name}", query={"force": "1"})
        except EngineError as error:
            if error.status != 404:
                raise

    async def exec_create(self, container: str, body: dict[str, Any]) -> str:
        """An exec instance in a running container; its id."""
        return str((await self.call("POST", f"/containers/{container}/exec", body))["Id"])

    async def attach_exec(
        self, exec_id: str, tty: bool
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Start an exec and take over its connection (the engine's hijacked stream)."""
        reader, writer = await asyncio.open_unix_connection(self.socket)
        body = json.dumps({"Detach": False, "Tty": tty}).encode()
        head = (
            f"POST /{API}/exec/{exec_id}/start HTTP/1.1\r\nHost: docker\r\n"
            "Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()
        status = await reader.readline()
        while (await reader.readline()).strip():
            pass  # the answer's headers
        code = int(status.split()[1]) if len(status.split()) > 1 else 0
        if code not in (101, 200):
            writer.close()
            raise EngineError(
                code, f"exec start answered {status.decode(errors='replace').strip()}"
            )
        return reader, writer


async def frames(reader: asyncio.StreamReader) -> AsyncIterator[tuple[int, bytes]]:
    """The engine's multiplexed stream: (1 stdout or 2 stderr, bytes) until it ends."""
    while True:
        try:
            header = await reader.readexactly(8)
        except asyncio.IncompleteReadError:
            return
        stream, size = header[0], struct.unpack(">I", header[4:])[0]
        try:
            yield (2 if stream == 2 else 1), await reader.readexactly(size)
        except asyncio.IncompleteReadError as partial:
            yield (2 if stream == 2 else 1), partial.partial
            return


def demultiplex(raw: bytes) -> bytes:
    """stdout and stderr of a multiplexed log body, in order."""
    out, offset = bytearray(), 0
    while offset + 8 <= len(raw):
        size = struct.unpack(">I", raw[offset + 4 : offset + 8])[0]
        out += raw[offset + 8 : offset + 8 + size]
        offset += 8 + size
    return bytes(out)


def _message(raw: bytes) -> str:
    try:
        return str(json.loads(raw).get("message", raw.decode(errors="replace")))
    except (ValueError, AttributeError):
        return raw.decode(errors="replace").strip()
