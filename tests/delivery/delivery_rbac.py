"""A small RBAC evaluator: which API requests the rules of manifests/ allow a ServiceAccount.

It follows Kubernetes' RBAC rules for resource requests (apiGroups, resources with
subresources, resourceNames, verbs, "*" wildcards; a RoleBinding grants in its namespace, a
ClusterRoleBinding everywhere) and treats discovery paths (/api, /apis, /version, /openapi) as
allowed, as the system:discovery ClusterRole does for every authenticated user.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

Body = dict[str, Any]
DISCOVERY_PREFIXES = ("/version", "/openapi", "/healthz", "/livez", "/readyz")


@dataclass(frozen=True)
class Request:
    """The RBAC attributes of one API request."""

    verb: str
    group: str
    resource: str  # with "/subresource" when there is one
    namespace: str | None
    name: str | None

    def __str__(self) -> str:
        where = f" in {self.namespace}" if self.namespace else " (cluster-wide)"
        named = f" {self.name}" if self.name else ""
        group = self.group or "core"
        return f"{self.verb} {group}/{self.resource}{named}{where}"


def parse_request(method: str, url: str) -> Request | None:
    """RBAC attributes of a request, or None for a discovery (non-resource) path."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if parts.path.startswith(DISCOVERY_PREFIXES) or not segments:
        return None
    if segments[0] == "api":
        group, rest = "", segments[2:]
    elif segments[0] == "apis" and len(segments) >= 3:
        group, rest = segments[1], segments[3:]
    else:
        return None
    if not rest:  # /api/v1, /apis/group/version: discovery
        return None
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in {"status", "finalize"}:
        namespace, rest = rest[1], rest[2:]
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    watch = parse_qs(parts.query).get("watch", [""])[0] in {"true", "1"}
    verb = _verb(method.upper(), name is not None, watch)
    return Request(verb, group, f"{resource}/{sub}" if sub else resource, namespace, name)


def _verb(method: str, named: bool, watch: bool) -> str:
    """The RBAC verb for an HTTP method on a single object or a collection."""
    if method == "GET":
        return "watch" if watch else ("get" if named else "list")
    if method == "DELETE":
        return "delete" if named else "deletecollection"
    return {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method, method.lower())


def _matches(rule: Body, request: Request) -> bool:
    """Whether one PolicyRule allows the request."""
    groups = rule.get("apiGroups") or []
    resources = rule.get("resources") or []
    verbs = rule.get("verbs") or []
    names = rule.get("resourceNames") or []
    if "*" not in groups and request.group not in groups:
        return False
    if "*" not in resources and request.resource not in resources:
        return False
    if "*" not in verbs and request.verb not in verbs:
        return False
    return not names or (request.name is not None and request.name in names)


@dataclass(frozen=True)
class Grants:
    """The rules bound to one ServiceAccount: cluster-wide and per namespace."""

    cluster: tuple[Body, ...]
    namespaced: dict[str, tuple[Body, ...]]

    def allows(self, request: Request) -> bool:
        """Whether any bound rule allows the request."""
        rules = list(self.cluster)
        if request.namespace is not None:
            rules += self.namespaced.get(request.namespace, ())
        return any(_matches(rule, request) for rule in rules)


def _binds(binding: Body, namespace: str, account: str) -> bool:
    """Whether a (Cluster)RoleBinding names the ServiceAccount."""
    return any(
        s.get("kind") == "ServiceAccount"
        and s.get("name") == account
        and s.get("namespace") == namespace
        for s in binding.get("subjects") or []
    )


def grants_for(objects: Iterable[Body], namespace: str, account: str) -> Grants:
    """Collect the rules the objects' bindings give to namespace/account."""
    objects = list(objects)
    roles = {
        (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o.get("rules") or []
        for o in objects
        if o.get("kind") in {"Role", "ClusterRole"}
    }
    cluster: list[Body] = []
    namespaced: dict[str, list[Body]] = {}
    for binding in objects:
        kind = binding.get("kind")
        if kind not in {"RoleBinding", "ClusterRoleBinding"}:
            continue
        if not _binds(binding, namespace, account):
            continue
        ref = binding["roleRef"]
        where = binding["metadata"].get("namespace")
        role_ns = where if ref["kind"] == "Role" else None
        rules = roles.get((ref["kind"], role_ns, ref["name"]), [])
        if kind == "ClusterRoleBinding":
            cluster += rules
        else:
            namespaced.setdefault(where, []).extend(rules)
    return Grants(tuple(cluster), {k: tuple(v) for k, v in namespaced.items()})
