"""The sandbox cluster: the API server, then the controllers and the kubelet, until stopped."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal
import ssl
import sys
from pathlib import Path
from typing import Any

import aiohttp

from sandbox.apiserver.app import make_app
from sandbox.apiserver.bootstrap import seed
from sandbox.apiserver.registry import Registry
from sandbox.apiserver.serving import listen, write_kubeconfig
from sandbox.apiserver.state import State
from sandbox.apiserver.store import Store
from sandbox.client.api import Api
from sandbox.client.backoff import BackoffPolicy
from sandbox.client.view import ClusterView
from sandbox.controllers.manager import reconcile, run_loop
from sandbox.controllers.services import NodePorts
from sandbox.kinds import BUILTIN
from sandbox.kubelet.docker.engine import Engine, EngineError
from sandbox.kubelet.docker.runtime import DockerRuntime
from sandbox.kubelet.node import Kubelet
from sandbox.kubelet.process.catalog import load_catalog
from sandbox.kubelet.process.runtime import ProcessRuntime
from sandbox.kubelet.runtime import Runtime

log = logging.getLogger("sandbox")
STOP_TIMEOUT = 60.0


@dataclasses.dataclass(frozen=True)
class Config:
    """What `python -m sandbox up` was asked for, checked by the command line."""

    kubeconfig: Path
    data: Path
    port: int = 0
    images: Path | None = None
    runtime: str = "process"  # or "docker"
    pause_image: str = ""  # docker: the image that holds each pod's network
    audit_log: Path | None = None
    faults: dict[str, Any] = dataclasses.field(default_factory=dict)
    watch_history: int = 100_000


def install_signals(stopping: asyncio.Event) -> None:
    """SIGINT and SIGTERM set `stopping`."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)


async def make_runtime(config: Config, api_port: int) -> Runtime:
    """The container runtime asked for, checked (RuntimeError with what to fix)."""
    if config.runtime == "process":
        return ProcessRuntime(config.data, load_catalog(config.images))
    try:
        runtime = DockerRuntime(Engine.from_environment(), config.pause_image, api_port)
        await runtime.check()
    except (OSError, EngineError, ValueError) as error:
        raise RuntimeError(f"the docker runtime cannot start: {error}") from None
    return runtime


@dataclasses.dataclass(frozen=True)
class NodeLink:
    """How the node reaches the API server (its URL, TLS as the node) and runs containers."""

    url: str
    client_ssl: ssl.SSLContext
    runtime: Runtime


async def run_node(config: Config, state: State, stopping: asyncio.Event, link: NodeLink) -> None:
    """The controllers and the kubelet until `stopping` is set; then stop every process."""
    backoff = BackoffPolicy.from_env()
    config.data.mkdir(parents=True, exist_ok=True)
    connector = aiohttp.TCPConnector(ssl=link.client_ssl)
    async with aiohttp.ClientSession(connector=connector) as session:
        cluster = ClusterView(Api(link.url, session))
        kubelet = Kubelet(cluster, config.data, link.runtime, backoff)
        state.kubelet = kubelet  # pods/log reaches the containers through it
        cluster.node_pods = kubelet.running_pods
        node_ports = NodePorts(cluster, kubelet.connect)
        steps = [lambda: reconcile(cluster, backoff), kubelet.sync, node_ports.sync]
        tasks = [asyncio.create_task(i.run()) for i in cluster.informers.values()]
        tasks.append(asyncio.create_task(run_loop(cluster, steps)))
        try:
            await stopping.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await kubelet.shutdown()
            await node_ports.close()


def build_state(config: Config) -> State:
    """The server state with the fault settings asked for."""
    state = State(registry=Registry(BUILTIN), store=Store(history=config.watch_history))
    state.faults.update(config.faults)
    state.audit_log = config.audit_log
    return state


async def run(config: Config) -> int:
    """Serve until SIGINT/SIGTERM, then stop the controllers and the server."""
    state = build_state(config)
    stopping = asyncio.Event()
    install_signals(stopping)
    pki_dir = config.data / "pki"
    state.pki.write(pki_dir)
    server_ssl, client_ssl = state.pki.server_context(pki_dir), state.pki.node_context(pki_dir)
    server = await listen(make_app(state), config.port, server_ssl, client_ssl)
    try:
        api_port = int(server.url.rsplit(":", 1)[1])
        runtime = await make_runtime(config, api_port)
        seed(state, config.data, api_port)
        state.store.compact()  # like a real cluster: the versions of its bootstrap are long gone
        await server.answers()
        write_kubeconfig(config.kubeconfig, server.url, state.pki)
        print(
            f"sandbox: Kubernetes API listening on {server.url} (kubeconfig {config.kubeconfig}, "
            f"data {config.data}, {config.runtime} runtime)",
            flush=True,
        )
        task = asyncio.create_task(
            run_node(config, state, stopping, NodeLink(server.url, client_ssl, runtime))
        )
        task.add_done_callback(_report)
        await stopping.wait()
        await asyncio.wait({task}, timeout=STOP_TIMEOUT)
    finally:
        state.store.close_watchers()
        await server.close()
    return 0


def _report(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        error = task.exception()
        print(f"sandbox: the controllers stopped with an error: {error!r}", file=sys.stderr)
        log.error("controllers failed", exc_info=error)
