"""List paging: `limit` and `continue` tokens over a consistent snapshot, as etcd3 pages."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.apiserver.errors import APIError, bad_request
from sandbox.apiserver.registry import Target
from sandbox.apiserver.store import Key, Obj, Store

TOO_OLD = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this response "
    "to retrieve the remainder of the results. Continuing with the provided token results in an "
    "inconsistent list - objects that were created, modified, or deleted between the time the "
    "first chunk was returned and now may show up in the list."
)


@dataclass
class Page:
    """One chunk of a list: its objects, the snapshot's resourceVersion and the list metadata."""

    items: list[Obj]
    rv: int
    meta: dict[str, Any]


def _key(obj: Obj) -> str:
    md = obj["metadata"]
    return f"{md['namespace']}/{md['name']}" if md.get("namespace") else md["name"]


def encode(rv: int, start: str) -> str:
    """A continue token: the snapshot's resourceVersion and the key to start from."""
    data = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start}, separators=(",", ":"))
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def decode(token: str) -> tuple[int, str]:
    """The (resourceVersion, start key) of a continue token; 400 when it is not one."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        rv, start, version = data["rv"], data["start"], data["v"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise bad_request("invalid continue token: continue key is not valid") from None
    if version != "meta.k8s.io/v1" or not isinstance(rv, int) or not isinstance(start, str):
        raise bad_request("invalid continue token: continue key is not valid")
    if rv == 0:
        raise bad_request(
            "invalid continue token: continue key is not valid: "
            "incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
        )
    return rv, start


def snapshot(store: Store, key: Key, namespace: str | None, rv: int) -> list[Obj]:
    """The objects of one resource as they were at resourceVersion rv (undoing later events)."""
    found = {_key(o): o for o in store.items(key, namespace)}
    later = store.since(key, rv, namespace) if rv < store.rv else []
    for event in reversed(later):
        where = _key(event.obj)
        if event.type == "ADDED" or event.prev is None:
            found.pop(where, None)
        else:
            found[where] = event.prev
    return [found[k] for k in sorted(found)]


def _limit(query: Mapping[str, str]) -> int:
    text = query.get("limit", "")
    if not text:
        return 0
    try:
        return max(0, int(text))
    except ValueError:
        raise bad_request(f"invalid limit {text!r}: must be a whole number") from None


def page(
    store: Store,
    target: Target,
    query: Mapping[str, str],
    match: Callable[[Obj], bool],
    filtered: bool,
) -> Page:
    """The objects of one list request, honouring limit and continue."""
    key, namespace = target.rtype.key, target.namespace
    limit, token = _limit(query), query.get("continue", "")
    if token and query.get("resourceVersion"):
        raise bad_request("specifying resource version is not allowed when using continue")
    rv, start = store.rv, ""
    if token:
        rv, start = decode(token)
        if rv > 0 and rv < store.oldest:
            expired = APIError(410, "Expired", TOO_OLD)
            expired.meta["continue"] = encode(-1, start)
            raise expired
        if rv < 0:
            rv = store.rv
    elif query.get("resourceVersion") == "0":
        limit = 0  # served from the watch cache, which ignores limit
    candidates = [o for o in snapshot(store, key, namespace, rv) if _key(o) >= start]
    items: list[Obj] = []
    meta: dict[str, Any] = {}
    for index, obj in enumerate(candidates):
        if limit and len(items) == limit:
            meta["continue"] = encode(rv, _key(candidates[index - 1]) + "\x00")
            if not filtered:
                meta["remainingItemCount"] = len(candidates) - index
            break
        if match(obj):
            items.append(obj)
    return Page(items, rv, meta)
