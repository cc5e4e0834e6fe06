"""Events as the kubelet and the controllers record them, repeats folded into a series.

An Event's name is its object's name and the nanosecond clock in hex (client-go's names), so
the API server's list, sorted by name, shows one object's Events in the order they happened.
It carries `eventTime` with microseconds besides the whole-second timestamps; a repeat (same
object, reason, message and reporter) bumps `count`, `lastTimestamp` and `series` instead of
making a new Event.
"""

from __future__ import annotations

import datetime
import logging
from collections import OrderedDict
from typing import Any

import aiohttp

from sandbox.client.api import Api, ApiError, path
from sandbox.client.objects import NODE_NAME, Obj, now, timestamp

log = logging.getLogger(__name__)
MAX_REMEMBERED = 4096
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
# What the reporter was doing (the Events API's required `action`), by reporting component.
ACTIONS = {"kubelet": "Kubelet", "default-scheduler": "Binding"}
Key = tuple[str, str, str, str]


def micro(when: datetime.datetime) -> str:
    """RFC 3339 with microseconds and Z, as Kubernetes writes metav1.MicroTime."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def build_event(obj: Obj, reason: str, message: str, kind: str, component: str) -> dict[str, Any]:
    """A new Event about obj, named and stamped with the current time."""
    meta, when = obj["metadata"], now()
    nanoseconds = (when - EPOCH) // datetime.timedelta(microseconds=1) * 1000
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{meta['name']}.{nanoseconds:x}",
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
        "action": ACTIONS.get(component, "Reconcile"),
        "eventTime": micro(when),
        "count": 1,
        "firstTimestamp": timestamp(when),
        "lastTimestamp": timestamp(when),
        "source": {"component": component, "host": NODE_NAME},
        "reportingComponent": component,
        "reportingInstance": NODE_NAME,
    }


def build_repeat(count: int) -> dict[str, Any]:
    """The merge patch of one more occurrence: count, lastTimestamp and series."""
    when = now()
    series = {"count": count, "lastObservedTime": micro(when)}
    return {"count": count, "lastTimestamp": timestamp(when), "series": series}


class Recorder:
    """Creates Events, and patches the first one when the same event repeats."""

    def __init__(self, api: Api) -> None:
        """Remember the events recorded lately (bounded, oldest out)."""
        self.api = api
        self.seen: OrderedDict[Key, tuple[str, str, int]] = OrderedDict()

    async def record(self, obj: Obj, reason: str, message: str, kind: str, component: str) -> None:
        """Record one event (best effort: a lost event must never stop a controller)."""
        meta = obj["metadata"]
        key = (meta.get("uid", ""), reason, message[:1024], component)
        try:
            if key in self.seen:
                namespace, name, count = self.seen[key]
                await self.api.patch(path("events", namespace, name), build_repeat(count + 1))
                self._remember(key, (namespace, name, count + 1))
                return
            body = build_event(obj, reason, message, kind, component)
            namespace = body["metadata"]["namespace"]
            await self.api.create(path("events", namespace), body)
            self._remember(key, (namespace, body["metadata"]["name"], 1))
        except (ApiError, aiohttp.ClientError) as exc:
            self.seen.pop(key, None)  # e.g. the event expired: the next one starts afresh
            log.debug("event %s on %s not recorded: %s", reason, meta["name"], exc)

    def _remember(self, key: Key, where: tuple[str, str, int]) -> None:
        """Remember where the event of key is and how often it happened."""
        self.seen[key] = where
        self.seen.move_to_end(key)
        while len(self.seen) > MAX_REMEMBERED:
            self.seen.popitem(last=False)
