"""Run the API server (and the controllers, when present) until asked to stop."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from .cli import install_signals, write_kubeconfig
from .server import make_app, seed
from .state import State
from .store import Store

log = logging.getLogger("sandbox")
STOP_TIMEOUT = 60.0


def build_state(args: argparse.Namespace) -> State:
    """The server state with the fault settings from the flags."""
    state = State(store=Store(history=args.watch_history))
    state.faults.update(
        {
            "rate": args.fault_rate,
            "codes": args.fault_codes,
            "latency_ms": args.latency_ms,
            "drop_watch_after": args.drop_watch_after,
        }
    )
    return state


async def _answers(url: str) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/version") as response:
        response.raise_for_status()


async def run(args: argparse.Namespace, data: Path, controllers: Any) -> int:
    """Serve until SIGINT/SIGTERM, then stop the controllers and the server."""
    state = build_state(args)
    state.data_dir = data
    stopping = asyncio.Event()
    install_signals(stopping)
    app = make_app(state)
    access = logging.getLogger("aiohttp.access") if log.isEnabledFor(logging.DEBUG) else None
    # handler_cancellation: a watch whose client disconnected stops at once (and unsubscribes).
    runner = web.AppRunner(app, access_log=access, handle_signals=False, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port, shutdown_timeout=1.0)
    try:
        await site.start()
        seed(state)
        state.store.compact()  # like a real cluster: the versions of its bootstrap are long gone
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        url = f"http://127.0.0.1:{port}"
        await _answers(url)
        write_kubeconfig(args.kubeconfig, url)
        print(
            f"sandbox: Kubernetes API listening on {url} (kubeconfig {args.kubeconfig}, "
            f"data {data})",
            flush=True,
        )
        task = None
        if controllers is not None:
            task = asyncio.create_task(
                controllers(url, data_dir=data, images=args.images, stopping=stopping)
            )
            task.add_done_callback(_report)
        await stopping.wait()
        if task is not None:
            await asyncio.wait({task}, timeout=STOP_TIMEOUT)
    finally:
        state.store.close_watchers()
        await runner.cleanup()
    return 0


def _report(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        error = task.exception()
        print(f"sandbox: the controllers stopped with an error: {error!r}", file=sys.stderr)
        log.error("controllers failed", exc_info=error)
