"""NodePort Services: listen on 127.0.0.1:<nodePort> and forward TCP to a Ready pod."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sandbox.client.objects import Obj, is_pod_active, is_pod_ready
from sandbox.client.view import ClusterView
from sandbox.hostports import pick_node_port

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]
# (pod, port number or containerPort name) -> a connection into the pod, from the kubelet
Connect = Callable[[Obj, int | str], Awaitable[Streams]]

log = logging.getLogger(__name__)
NODE_PORT_RANGE = (30000, 32767)


def selects(service: Obj, pod: Obj) -> bool:
    """The service's (map) selector matches the pod's labels."""
    selector = (service.get("spec") or {}).get("selector") or {}
    labels = pod["metadata"].get("labels") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def allocate_node_ports(services: list[Obj], service: Obj) -> list[dict[str, Any]] | None:
    """The service's ports with a nodePort filled in where missing; None when nothing is missing."""
    ports = [dict(p) for p in (service.get("spec") or {}).get("ports") or []]
    if all(p.get("nodePort") for p in ports):
        return None
    used = {
        int(p["nodePort"])
        for s in services
        for p in (s.get("spec") or {}).get("ports") or []
        if p.get("nodePort")
    }
    free = [n for n in range(*NODE_PORT_RANGE) if n not in used]
    for port in ports:
        if not port.get("nodePort"):
            port["nodePort"] = pick_node_port(free)
            free.remove(port["nodePort"])
    return ports


def declares(pod: Obj, name: str) -> bool:
    """Some container of the pod has a port of that name (or number)."""
    return any(
        name in (p.get("name"), str(p.get("containerPort")))
        for c in pod["spec"].get("containers") or []
        for p in c.get("ports") or []
    )


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy bytes until EOF, then half-close."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        pass  # the other side went away; closing below ends both directions


class NodePorts:
    """One listening socket per service nodePort, forwarding to Ready selected pods."""

    def __init__(self, cluster: ClusterView, connect: Connect) -> None:
        """No listeners yet; connections reach pods through `connect` (the kubelet's)."""
        self.cluster, self.connect = cluster, connect
        self.servers: dict[int, tuple[asyncio.Server, tuple[str, str, int]]] = {}
        self._turn = itertools.count()

    async def sync(self) -> None:
        """Allocate missing nodePorts and open/close listeners to match the services."""
        services = self.cluster.cache("services").list()
        wanted: dict[int, tuple[str, str, int]] = {}
        for svc in services:
            if (svc.get("spec") or {}).get("type") not in ("NodePort", "LoadBalancer"):
                continue
            ports = allocate_node_ports(services, svc)
            if ports is not None:
                await self.cluster.patch("services", svc, {"spec": {"ports": ports}})
                continue
            for index, port in enumerate(svc["spec"].get("ports") or []):
                wanted[int(port["nodePort"])] = (
                    svc["metadata"]["namespace"],
                    svc["metadata"]["name"],
                    index,
                )
        for node_port in [p for p in self.servers if self.servers[p][1] != wanted.get(p)]:
            server, _ = self.servers.pop(node_port)
            server.close()
        for node_port, target in wanted.items():
            if node_port not in self.servers:
                await self._listen(node_port, target)

    async def _listen(self, node_port: int, target: tuple[str, str, int]) -> None:
        """Open 127.0.0.1:node_port for one service port."""

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await self._forward(target, reader, writer)

        try:
            server = await asyncio.start_server(handle, "127.0.0.1", node_port)
        except OSError as exc:
            log.warning(
                "cannot listen on nodePort %s for %s/%s: %s", node_port, target[0], target[1], exc
            )
            return
        self.servers[node_port] = (server, target)

    def backend(self, target: tuple[str, str, int]) -> tuple[Obj, int | str] | None:
        """A Ready pod behind the service port (round robin) and its target port."""
        namespace, name, index = target
        svc = self.cluster.cache("services").get(namespace, name)
        if svc is None:
            return None
        port = svc["spec"]["ports"][index]
        target_port = port.get("targetPort", port.get("port"))
        ready = [
            p
            for p in self.cluster.cache("pods").list(namespace)
            if selects(svc, p) and is_pod_active(p) and is_pod_ready(p)
            and (isinstance(target_port, int) or declares(p, str(target_port)))
        ]  # fmt: skip
        return (ready[next(self._turn) % len(ready)], target_port) if ready else None

    async def _forward(
        self,
        target: tuple[str, str, int],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        """Connect the client to a backend and copy both ways."""
        backend = self.backend(target)
        try:
            if backend is None:
                return
            up_reader, up_writer = await self.connect(*backend)
            try:
                await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
            finally:
                up_writer.close()
        except OSError as exc:
            log.debug("forwarding to %s failed: %s", target, exc)
        finally:
            writer.close()

    async def close(self) -> None:
        """Stop every listener."""
        for server, _ in self.servers.values():
            server.close()
        for server, _ in self.servers.values():
            with contextlib.suppress(Exception):
                await server.wait_closed()
        self.servers.clear()
