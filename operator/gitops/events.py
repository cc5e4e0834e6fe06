"""Events as the Events API intends them: one per occurrence, repeats folded into a series (pure).

An Event carries `eventTime` with microseconds (the moment it was first seen) besides the
whole-second `firstTimestamp`/`lastTimestamp` older clients read. Its name is the object's
name and the nanosecond clock in hex, as client-go names them, so a list (sorted by name)
shows one object's Events in the order they happened. The same Event again (same object, type,
reason and message) does not make a new one: the first one's `count`, `lastTimestamp` and
`series` (count, lastObservedTime) move instead.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gitops.api import COMPONENT, GITSYNC_KIND, RELEASE_KIND
from gitops.clock import format_micro_time, format_time

MAX_MESSAGE = 1024  # what the API server accepts in an Event's message
MAX_NAME_PREFIX = 253 - 17  # room for '.' and 16 hex digits in a DNS subdomain
MAX_INSTANCE = 128
MAX_REMEMBERED = 4096
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# What the operator was doing about the object (the Events API's required `action`).
ACTIONS = {GITSYNC_KIND: "Sync", RELEASE_KIND: "Release"}

Body = dict[str, Any]
Key = tuple[str, str, str, str]  # involved object's uid, type, reason, message


@dataclass(frozen=True)
class Seen:
    """An Event already recorded: where it is and how often it happened."""

    namespace: str
    name: str
    count: int


def event_key(obj: Mapping[str, Any], event_type: str, reason: str, message: str) -> Key:
    """What makes two Events the same occurrence repeated."""
    return (str(obj["metadata"].get("uid") or ""), event_type, reason, message[:MAX_MESSAGE])


def event_name(name: str, now: datetime) -> str:
    """<object name>.<nanoseconds since the epoch in hex>, as client-go names Events."""
    nanoseconds = (now - EPOCH) // datetime.resolution * 1000
    return f"{name[:MAX_NAME_PREFIX]}.{nanoseconds:x}"


def build_event(
    obj: Mapping[str, Any], kind: tuple[str, str], message: str, *, instance: str, now: datetime
) -> Body:
    """A new core/v1 Event about obj; kind is (type, reason)."""
    meta = obj["metadata"]
    event_type, reason = kind
    stamp = format_time(now)
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": event_name(meta["name"], now), "namespace": meta["namespace"]},
        "involvedObject": {
            "apiVersion": obj.get("apiVersion"),
            "kind": obj.get("kind"),
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
        },
        "type": event_type,
        "reason": reason,
        "message": message[:MAX_MESSAGE],
        "action": ACTIONS.get(str(obj.get("kind")), "Reconcile"),
        "eventTime": format_micro_time(now),
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
        "source": {"component": COMPONENT},
        "reportingComponent": COMPONENT,
        "reportingInstance": instance[:MAX_INSTANCE],
    }


def build_repeat(count: int, now: datetime) -> Body:
    """The merge patch that records one more occurrence of an Event (count >= 2)."""
    return {
        "count": count,
        "lastTimestamp": format_time(now),
        "series": {"count": count, "lastObservedTime": format_micro_time(now)},
    }


class EventMemory:
    """The Events recorded lately, so a repeat finds the one to update (bounded, oldest out)."""

    def __init__(self, size: int = MAX_REMEMBERED) -> None:
        self.size = size
        self._seen: OrderedDict[Key, Seen] = OrderedDict()

    def get(self, key: Key) -> Seen | None:
        """The Event recorded for key, if still remembered."""
        return self._seen.get(key)

    def remember(self, key: Key, seen: Seen) -> None:
        """Remember (or refresh) the Event recorded for key."""
        self._seen[key] = seen
        self._seen.move_to_end(key)
        while len(self._seen) > self.size:
            self._seen.popitem(last=False)

    def forget(self, key: Key) -> None:
        """Forget the Event of key (it expired, or could not be updated)."""
        self._seen.pop(key, None)
