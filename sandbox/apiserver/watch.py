"""The watch stream: one JSON event per line, bookmarks, timeouts and 410 for old versions."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from sandbox.apiserver.errors import bad_request, gone
from sandbox.apiserver.query import flag, integer
from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.store import Event, Obj, Store
from sandbox.apiserver.wire import encode

BOOKMARK_SECONDS = 5.0
INITIAL_EVENTS_END = "k8s.io/initial-events-end"


def _line(kind: str, obj: Any) -> bytes:
    """One watch event, compact and ending with a newline (what the JSON framer splits on)."""
    return encode({"type": kind, "object": obj}, pretty=False)


class WatchStream:
    """One client's watch of one resource."""

    def __init__(
        self,
        store: Store,
        rtype: ResourceType,
        namespace: str | None,
        match: Callable[[Obj], bool],
        render: Callable[[Obj], Any],
    ) -> None:
        self.store, self.rtype, self.namespace = store, rtype, namespace
        self.match, self.render = match, render
        self.response = web.StreamResponse(headers={"Content-Type": "application/json"})
        self.response.enable_chunked_encoding()

    def _bookmark(self, initial_end: bool = False) -> bytes:
        md: dict[str, Any] = {"resourceVersion": str(self.store.rv)}
        if initial_end:
            md["annotations"] = {INITIAL_EVENTS_END: "true"}
        obj = {"kind": self.rtype.kind, "apiVersion": self.rtype.api_version, "metadata": md}
        return _line("BOOKMARK", obj)

    async def _send(self, event: Event) -> None:
        """Send one event; an object entering or leaving the selector is ADDED or DELETED."""
        kind, matches = event.type, self.match(event.obj)
        if kind == "MODIFIED" and event.prev is not None:
            before = self.match(event.prev)
            if before and not matches:
                kind, matches = "DELETED", True
            elif matches and not before:
                kind = "ADDED"
        if matches:
            await self.response.write(_line(kind, self.render(event.obj)))

    async def serve(
        self, request: web.Request, query: Mapping[str, str], drop_after: float | None
    ) -> web.StreamResponse:
        """Stream events until the timeout, a dropped connection or shutdown."""
        rv_text = query.get("resourceVersion", "")
        if rv_text not in ("", "0") and not rv_text.isdigit():
            raise bad_request(f"invalid resourceVersion {rv_text!r}")
        timeout = integer(query, "timeoutSeconds")
        bookmarks = flag(query, "allowWatchBookmarks")
        deadline = time.monotonic() + (timeout if timeout and timeout > 0 else 1e9)
        if drop_after:
            deadline = min(deadline, time.monotonic() + drop_after)
        watcher = self.store.subscribe(self.rtype.key, self.namespace)
        try:
            await self.response.prepare(request)
            seen = await self._backlog(rv_text, flag(query, "sendInitialEvents"), bookmarks)
            if seen is not None:
                await self._live(watcher.queue, seen, deadline, bookmarks)
        except ConnectionResetError:
            pass  # the client went away: nothing left to send
        finally:
            self.store.unsubscribe(watcher)
        with contextlib.suppress(ConnectionResetError):
            await self.response.write_eof()
        return self.response

    async def _backlog(self, rv_text: str, initial: bool, bookmarks: bool) -> int | None:
        """Send what happened before the live part; None when the version is too old."""
        seen = self.store.rv
        if rv_text in ("", "0") or initial:
            for obj in self.store.items(self.rtype.key, self.namespace):
                if self.match(obj):
                    await self.response.write(_line("ADDED", self.render(obj)))
            if initial and bookmarks:
                await self.response.write(self._bookmark(initial_end=True))
            return seen
        rv = int(rv_text)
        if rv < self.store.oldest:
            status = gone(f"too old resource version: {rv} ({self.store.oldest})").status()
            await self.response.write(_line("ERROR", status))
            return None
        for event in self.store.since(self.rtype.key, rv, self.namespace):
            await self._send(event)
        return seen

    async def _live(
        self, queue: asyncio.Queue[Event | None], seen: int, deadline: float, bookmarks: bool
    ) -> None:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                event = await asyncio.wait_for(queue.get(), min(left, BOOKMARK_SECONDS))
            except TimeoutError:
                if bookmarks and time.monotonic() < deadline:
                    await self.response.write(self._bookmark())
                continue
            if event is None:
                return
            if event.rv > seen:
                await self._send(event)
