"""In-memory object storage with one global resourceVersion and a watch history."""

from __future__ import annotations

import asyncio
import collections
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

Key = tuple[str, str]  # (group, plural)
Obj = dict[str, Any]


@dataclass
class Event:
    """One change: ADDED, MODIFIED or DELETED, at a resourceVersion."""

    rv: int
    type: str
    key: Key
    obj: Obj
    prev: Obj | None = None


@dataclass(eq=False)
class Watcher:
    """A live subscription to the changes of one resource."""

    key: Key | None
    namespace: str | None
    queue: asyncio.Queue[Event | None] = field(default_factory=asyncio.Queue)


class Store:
    """Objects by (group, plural) then (namespace, name); every write bumps one counter."""

    def __init__(self, history: int = 100_000) -> None:
        self.rv = 1
        self._objects: dict[Key, dict[tuple[str, str], Obj]] = collections.defaultdict(dict)
        self._by_uid: dict[str, tuple[Key, str, str]] = {}
        self._history: collections.deque[Event] = collections.deque(maxlen=history)
        self._compacted = 1
        self._watchers: set[Watcher] = set()
        self.listeners: list[Callable[[Event], None]] = []

    @property
    def oldest(self) -> int:
        """The oldest resourceVersion a watch may still resume from."""
        if self._history and len(self._history) == self._history.maxlen:
            return max(self._compacted, self._history[0].rv - 1)
        return self._compacted

    def compact(self) -> None:
        """Forget the history, as etcd compaction does: older versions now answer 410."""
        self._history.clear()
        self._compacted = self.rv

    def get(self, key: Key, namespace: str, name: str) -> Obj | None:
        """The stored object (do not mutate it)."""
        return self._objects[key].get((namespace, name))

    def by_uid(self, uid: str) -> Obj | None:
        """The stored object with this uid, if it still exists."""
        where = self._by_uid.get(uid)
        return self._objects[where[0]].get(where[1:]) if where else None

    def items(self, key: Key, namespace: str | None = None) -> list[Obj]:
        """Stored objects of a resource, sorted by namespace and name."""
        found = self._objects[key]
        return [found[k] for k in sorted(found) if namespace is None or k[0] == namespace]

    def all_objects(self) -> Iterator[tuple[Key, Obj]]:
        """Every stored object with its key."""
        for key, objs in list(self._objects.items()):
            for obj in list(objs.values()):
                yield key, obj

    def write(self, key: Key, obj: Obj, kind: str) -> Obj:
        """Store `obj` (ADDED or MODIFIED) at a new resourceVersion and notify watchers."""
        self.rv += 1
        obj = copy.deepcopy(obj)
        obj["metadata"]["resourceVersion"] = str(self.rv)
        meta = obj["metadata"]
        where = (meta.get("namespace", ""), meta["name"])
        prev = self._objects[key].get(where)
        self._objects[key][where] = obj
        self._by_uid[meta["uid"]] = (key, *where)
        self._emit(Event(self.rv, kind, key, obj, prev))
        return obj

    def remove(self, key: Key, obj: Obj) -> Obj:
        """Delete the object; the DELETED event carries a new resourceVersion."""
        meta = obj["metadata"]
        prev = self._objects[key].pop((meta.get("namespace", ""), meta["name"]), None)
        self._by_uid.pop(meta["uid"], None)
        self.rv += 1
        obj = copy.deepcopy(obj)
        obj["metadata"]["resourceVersion"] = str(self.rv)
        self._emit(Event(self.rv, "DELETED", key, obj, prev))
        return obj

    def _emit(self, event: Event) -> None:
        self._history.append(event)
        ns = event.obj["metadata"].get("namespace", "")
        for watcher in list(self._watchers):
            if watcher.key in (None, event.key) and watcher.namespace in (None, ns):
                watcher.queue.put_nowait(event)
        for listener in self.listeners:
            listener(event)

    def since(self, key: Key, rv: int, namespace: str | None) -> list[Event]:
        """Events of one resource after `rv` (the caller checked `oldest`)."""
        return [
            e
            for e in self._history
            if e.rv > rv
            and e.key == key
            and (namespace is None or e.obj["metadata"].get("namespace", "") == namespace)
        ]

    def subscribe(self, key: Key | None, namespace: str | None) -> Watcher:
        """Start receiving live events."""
        watcher = Watcher(key, namespace)
        self._watchers.add(watcher)
        return watcher

    def unsubscribe(self, watcher: Watcher) -> None:
        """Stop receiving live events."""
        self._watchers.discard(watcher)

    def close_watchers(self) -> None:
        """End every open watch (at shutdown)."""
        for watcher in self._watchers:
            watcher.queue.put_nowait(None)

    def key_of(self, uid: str) -> Key | None:
        """The resource key of the stored object with this uid."""
        where = self._by_uid.get(uid)
        return where[0] if where else None
