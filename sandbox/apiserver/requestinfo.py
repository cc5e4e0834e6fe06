"""The authorization attributes of an HTTP request, derived as the real API server does.

GET is get, list (no name) or watch (`watch=true`, or the old /watch/ prefix), POST create,
PUT update, PATCH patch, DELETE delete or deletecollection (no name). A list or watch whose
field selector fixes `metadata.name` is checked against that name. Paths outside /api/v1/...
and /apis/{group}/{version}/... are non-resource requests, checked by path and the HTTP method.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from aiohttp import web

METHOD_VERBS = {"POST": "create", "GET": "get", "HEAD": "get", "PUT": "update",
                "PATCH": "patch", "DELETE": "delete"}  # fmt: skip
NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})
STREAMING = frozenset({"exec", "attach", "portforward"})


@dataclasses.dataclass(frozen=True)
class Attributes:
    """What RBAC decides on: verb, and either a resource or a non-resource path."""

    verb: str
    resource_request: bool = False
    group: str = ""
    version: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""

    @property
    def combined(self) -> str:
        """The resource with its subresource, as rules name it (`pods/log`)."""
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource


def _name_from_selector(query: Mapping[str, str]) -> str:
    """`metadata.name=X` (or `==`) in a field selector: the name a list or watch is limited to."""
    for term in (query.get("fieldSelector") or "").split(","):
        key, sep, value = term.partition("==") if "==" in term else term.partition("=")
        if sep and key.strip() == "metadata.name" and not key.strip().endswith("!"):
            value = value.strip()
            if value and "/" not in value and value not in (".", ".."):
                return value
    return ""


def _collection_verb(verb: str, query: Mapping[str, str]) -> str:
    if verb == "get":
        return "watch" if query.get("watch") in ("true", "1") else "list"
    return "deletecollection" if verb == "delete" else verb


def attributes(method: str, path: str, query: Mapping[str, str]) -> Attributes:
    """The attributes of one request (method, URL path and query)."""
    verb = METHOD_VERBS.get(method.upper(), method.lower())
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 3:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 4:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return Attributes(verb=method.lower(), path=path)
    if rest[0] == "watch":
        verb, rest = "watch", rest[1:]
        if not rest:
            return Attributes(verb=method.lower(), path=path)
    namespace = ""
    if rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    sub = rest[2] if len(rest) > 2 else ""
    if not name and verb in ("get", "delete"):
        verb = _collection_verb(verb, query)
        if verb in ("list", "watch"):
            name = _name_from_selector(query)
    return Attributes(verb, True, group, version, resource, sub, namespace, name, path)


def of_request(request: web.Request) -> list[Attributes]:
    """What an aiohttp request must be allowed: its attributes, and for a WebSocket
    exec/attach/portforward (a GET) also `create`, as the SPDY POST always needed
    (AuthorizePodWebsocketUpgradeCreatePermission, on by default since 1.35)."""
    attrs = attributes(request.method, request.path, request.query)
    upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
    if upgrade and attrs.resource == "pods" and attrs.subresource in STREAMING:
        return [attrs, dataclasses.replace(attrs, verb="create")]
    return [attrs]
