"""Serve the API over HTTPS on 127.0.0.1, and tell clients how to reach it (the kubeconfig)."""

from __future__ import annotations

import base64
import dataclasses
import logging
import ssl
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web

from sandbox.apiserver.pki import PKI

HOST = "127.0.0.1"
log = logging.getLogger("sandbox")


@dataclasses.dataclass
class Listening:
    """The API server answering at `url` until closed."""

    url: str
    runner: web.AppRunner
    client_ssl: ssl.SSLContext  # trusts the CA and presents the sandbox's own client certificate

    async def answers(self) -> None:
        """Wait for one answer of /version (raises when the server does not answer)."""
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{self.url}/version", ssl=self.client_ssl) as got,
        ):
            got.raise_for_status()

    async def close(self) -> None:
        """Stop listening and end the requests still open."""
        await self.runner.cleanup()


async def listen(
    app: web.Application, port: int, server_ssl: ssl.SSLContext, client_ssl: ssl.SSLContext
) -> Listening:
    """Listen with TLS on 127.0.0.1:port (0: any free port); OSError when the port is taken."""
    access = logging.getLogger("aiohttp.access") if log.isEnabledFor(logging.DEBUG) else None
    # handler_cancellation: a watch whose client disconnected stops at once (and unsubscribes).
    runner = web.AppRunner(app, access_log=access, handle_signals=False, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, HOST, port, shutdown_timeout=1.0, ssl_context=server_ssl)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return Listening(f"https://{HOST}:{bound}", runner, client_ssl)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def write_kubeconfig(path: Path, url: str, pki: PKI) -> None:
    """Write the admin kubeconfig (context `sandbox`): the CA, and a client certificate of
    `system:admin` in the group `system:masters`."""
    cluster = {"server": url, "certificate-authority-data": _b64(pki.ca)}
    user = {
        "client-certificate-data": _b64(pki.admin.cert),
        "client-key-data": _b64(pki.admin.key),
    }
    config: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "sandbox", "cluster": cluster}],
        "users": [{"name": "sandbox", "user": user}],
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
    partial.touch(mode=0o600)  # it holds the admin's private key
    partial.chmod(0o600)
    partial.write_text(yaml.safe_dump(config, sort_keys=False))
    partial.replace(path)
