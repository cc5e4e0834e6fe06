"""A recording reverse proxy for the Kubernetes API: forwards every request, notes method+path.

The operator under test is pointed at this proxy (its own kubeconfig), so every API call it
makes, watches included (streamed through), is recorded for the RBAC check.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import aiohttp
import yaml
from aiohttp import web

HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "accept-encoding"}


class RecordingProxy:
    """An aiohttp proxy on 127.0.0.1 in a background thread; `calls` holds (method, path?query)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.calls: list[tuple[str, str]] = []
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._runner: web.AppRunner | None = None

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        if not self._ready.wait(10) or not self.url:
            raise RuntimeError("the recording proxy did not start")
        return self

    def __exit__(self, *_: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def kubeconfig(self, source: Path, target: Path) -> Path:
        """A copy of the source kubeconfig whose clusters all point at the proxy."""
        data = yaml.safe_load(source.read_text())
        for entry in data.get("clusters") or []:
            entry["cluster"]["server"] = self.url
        target.write_text(yaml.safe_dump(data))
        return target

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._start())
        finally:
            self._ready.set()
        self._loop.run_forever()
        self._loop.close()

    async def _start(self) -> None:
        self._session = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def _stop(self) -> None:
        await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        """Record the call, forward it, stream the answer back."""
        self.calls.append((request.method, request.path_qs))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        body = await request.read()
        async with self._session.request(
            request.method, self.upstream + request.path_qs, headers=headers, data=body or None,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10),
        ) as upstream:  # fmt: skip
            response = web.StreamResponse(status=upstream.status)
            for key, value in upstream.headers.items():
                if key.lower() not in HOP_HEADERS:
                    response.headers[key] = value
            await response.prepare(request)
            try:
                async for chunk in upstream.content.iter_any():
                    await response.write(chunk)
            except (ConnectionResetError, aiohttp.ClientError):
                return response  # the operator hung up (a watch it ended): nothing to forward
            await response.write_eof()
            return response
