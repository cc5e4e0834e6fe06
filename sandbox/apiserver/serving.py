"""Serve the API on 127.0.0.1, and tell clients how to reach it (the kubeconfig)."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web

HOST = "127.0.0.1"
log = logging.getLogger("sandbox")


@dataclasses.dataclass
class Listening:
    """The API server answering at `url` until closed."""

    url: str
    runner: web.AppRunner

    async def answers(self) -> None:
        """Wait for one answer of /version (raises when the server does not answer)."""
        async with aiohttp.ClientSession() as session, session.get(f"{self.url}/version") as got:
            got.raise_for_status()

    async def close(self) -> None:
        """Stop listening and end the requests still open."""
        await self.runner.cleanup()


async def listen(app: web.Application, port: int) -> Listening:
    """Listen on 127.0.0.1:port (0: any free port); OSError when the port is taken."""
    access = logging.getLogger("aiohttp.access") if log.isEnabledFor(logging.DEBUG) else None
    # handler_cancellation: a watch whose client disconnected stops at once (and unsubscribes).
    runner = web.AppRunner(app, access_log=access, handle_signals=False, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, HOST, port, shutdown_timeout=1.0)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return Listening(f"http://{HOST}:{bound}", runner)


def write_kubeconfig(path: Path, url: str) -> None:
    """Write a kubeconfig for the plain-HTTP, no-auth server (context `sandbox`)."""
    config: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "sandbox", "cluster": {"server": url}}],
        "users": [{"name": "sandbox", "user": {}}],
        "contexts": [
            {
                "name": "sandbox",
                "context": {"cluster": "sandbox", "user": "sandbox", "namespace": "default"},
            }
        ],
        "current-context": "sandbox",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(yaml.safe_dump(config, sort_keys=False))
    partial.replace(path)
