"""core/v1 Events, aggregated like client-go's recorder: a repeat bumps count and lastTimestamp."""

from __future__ import annotations

import logging
import secrets
from typing import Any

import aiohttp

from sandbox.client.api import Api, ApiError, path
from sandbox.client.objects import NODE_NAME, Obj, timestamp

log = logging.getLogger(__name__)
MAX_REMEMBERED = 4096


def build_event(obj: Obj, reason: str, message: str, kind: str, component: str) -> dict[str, Any]:
    """A new Event about obj."""
    meta = obj["metadata"]
    stamp = timestamp()
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{meta['name']}.{secrets.token_hex(8)}",
            "namespace": meta.get("namespace") or "default",
        },
        "involvedObject": {
            "apiVersion": obj.get("apiVersion", "v1"),
            "kind": obj.get("kind", ""),
            "name": meta["name"],
            "namespace": meta.get("namespace", ""),
            "uid": meta.get("uid", ""),
        },
        "reason": reason,
        "message": message[:1024],
        "type": kind,
        "count": 1,
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "source": {"component": component, "host": NODE_NAME},
        "reportingComponent": component,
        "reportingInstance": NODE_NAME,
    }


class Recorder:
    """Creates Events, and patches count/lastTimestamp when the same event repeats."""

    def __init__(self, api: Api) -> None:
        """Remember the events recorded so far (bounded)."""
        self.api = api
        self.seen: dict[tuple[str, str, str, str], tuple[str, str, int]] = {}

    async def record(self, obj: Obj, reason: str, message: str, kind: str, component: str) -> None:
        """Record one event (best effort: a lost event must never stop a controller)."""
        meta = obj["metadata"]
        key = (meta.get("uid", ""), reason, message, component)
        try:
            if key in self.seen:
                namespace, name, count = self.seen[key]
                patch = {"count": count + 1, "lastTimestamp": timestamp()}
                await self.api.patch(path("events", namespace, name), patch)
                self.seen[key] = (namespace, name, count + 1)
                return
            body = build_event(obj, reason, message, kind, component)
            namespace = body["metadata"]["namespace"]
            await self.api.create(path("events", namespace), body)
            if len(self.seen) >= MAX_REMEMBERED:
                self.seen.clear()
            self.seen[key] = (namespace, body["metadata"]["name"], 1)
        except (ApiError, aiohttp.ClientError) as exc:
            self.seen.pop(key, None)  # e.g. the event expired: the next one starts afresh
            log.debug("event %s on %s not recorded: %s", reason, meta["name"], exc)
