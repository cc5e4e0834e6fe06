"""List+watch caches: one per resource, resumed from the last resourceVersion seen."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import aiohttp

from sandbox.client.api import Api, ApiError, path, type_meta

log = logging.getLogger(__name__)
Key = tuple[str, str]


def key_of(obj: dict[str, Any]) -> Key:
    """(namespace, name) of an object."""
    meta = obj["metadata"]
    return meta.get("namespace", ""), meta["name"]


def _rv(obj: dict[str, Any]) -> int:
    """The resourceVersion as a number (the sandbox uses one integer counter)."""
    try:
        return int(obj["metadata"].get("resourceVersion", "0"))
    except (TypeError, ValueError):
        return 0


class Informer:
    """Keeps every object of one resource in memory and calls on_change after each change."""

    def __init__(self, api: Api, resource: str, on_change: Callable[[], None]) -> None:
        """Watch all namespaces of `resource`."""
        self.api = api
        self.resource = resource
        self.on_change = on_change
        self.items: dict[Key, dict[str, Any]] = {}
        self.synced = asyncio.Event()
        self._gone_uids: set[str] = set()
        self.api_version, self.kind = type_meta(resource)

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The cached object, or None."""
        return self.items.get((namespace, name))

    def list(self, namespace: str | None = None) -> list[dict[str, Any]]:
        """Cached objects, optionally of one namespace."""
        return [o for (ns, _), o in self.items.items() if namespace is None or ns == namespace]

    def observe(self, obj: Any) -> None:
        """Take an object returned by a write into the cache when it is newer."""
        if not isinstance(obj, dict) or "metadata" not in obj or obj.get("kind") == "Status":
            return
        if self._store(obj):
            self.on_change()

    def _store(self, obj: dict[str, Any]) -> bool:
        """Keep obj unless the cache holds a newer version of the same object."""
        obj.setdefault("apiVersion", self.api_version)
        obj.setdefault("kind", self.kind)
        key = key_of(obj)
        old = self.items.get(key)
        if obj["metadata"].get("uid") in self._gone_uids:
            return False
        same = old is not None and old["metadata"].get("uid") == obj["metadata"].get("uid")
        if same and old is not None and _rv(obj) < _rv(old):
            return False
        self.items[key] = obj
        return True

    def forget(self, obj: dict[str, Any]) -> None:
        """Drop an object we deleted, so a late event for it cannot bring it back."""
        uid = obj["metadata"].get("uid")
        if uid:
            self._gone_uids.add(uid)
        current = self.items.get(key_of(obj))
        if current is not None and current["metadata"].get("uid") == uid:
            del self.items[key_of(obj)]
            self.on_change()

    async def run(self) -> None:
        """List, then watch from the list's resourceVersion; re-list on 410 or errors."""
        while True:
            try:
                rv = await self._relist()
                while rv:
                    rv = await self._watch(rv)
            except asyncio.CancelledError:
                raise
            except (TimeoutError, ApiError, aiohttp.ClientError, ValueError) as exc:
                log.debug("watch of %s interrupted (%s); re-listing", self.resource, exc)
                await asyncio.sleep(0.5)

    async def _relist(self) -> str:
        """Replace the cache with a fresh list; return its resourceVersion."""
        listing = await self.api.get(path(self.resource))
        self.items = {}
        for obj in listing.get("items") or []:
            self._store(obj)
        self.synced.set()
        self.on_change()
        return str(listing.get("metadata", {}).get("resourceVersion", ""))

    async def _watch(self, rv: str) -> str:
        """Apply watch events; return the rv to resume from, or "" to re-list."""
        async for event in self.api.watch(path(self.resource), rv):
            kind, obj = event.get("type"), event.get("object") or {}
            if kind == "ERROR":
                return ""
            rv = str(obj.get("metadata", {}).get("resourceVersion") or rv)
            if kind == "BOOKMARK":
                continue
            uid = obj["metadata"].get("uid")
            if kind == "DELETED":
                current = self.items.get(key_of(obj))
                if current is not None and current["metadata"].get("uid") == uid:
                    del self.items[key_of(obj)]
                self._gone_uids.discard(uid)
            else:
                self._store(obj)
            self.on_change()
        return rv
