"""RBAC: what the stored Roles, ClusterRoles and their bindings allow a user.

The rules are Kubernetes': a ClusterRoleBinding grants everywhere, a RoleBinding in its own
namespace (with a Role of that namespace or a ClusterRole); verbs, API groups, resources
(`pods/log`, `*/scale`, `*`), resource names and non-resource URLs (`/apis/*`) match as in
`rbac/v1` helpers. Members of `system:masters` are allowed everything, as the real server's
privileged-group authorizer does. Requests, access reviews and `kubectl auth can-i` all ask
`decide`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sandbox.apiserver.errors import APIError
from sandbox.apiserver.identity import User, service_account
from sandbox.apiserver.requestinfo import Attributes
from sandbox.apiserver.store import Obj, Store

GROUP = "rbac.authorization.k8s.io"
ROLES, CLUSTER_ROLES = (GROUP, "roles"), (GROUP, "clusterroles")
BINDINGS, CLUSTER_BINDINGS = (GROUP, "rolebindings"), (GROUP, "clusterrolebindings")


def _has(values: list[str] | None, wanted: str) -> bool:
    return "*" in (values or []) or wanted in (values or [])


def _resource_matches(rule: Obj, attrs: Attributes) -> bool:
    for resource in rule.get("resources") or []:
        if resource in ("*", attrs.combined):
            return True
        if attrs.subresource and resource == f"*/{attrs.subresource}":
            return True
    return False


def _url_matches(rule: Obj, path: str) -> bool:
    for url in rule.get("nonResourceURLs") or []:
        if url in ("*", path) or (url.endswith("*") and path.startswith(url[:-1])):
            return True
    return False


def rule_allows(rule: Obj, attrs: Attributes) -> bool:
    """Whether one PolicyRule allows the request."""
    if not _has(rule.get("verbs"), attrs.verb):
        return False
    if not attrs.resource_request:
        return _url_matches(rule, attrs.path)
    names = rule.get("resourceNames") or []
    return (
        _has(rule.get("apiGroups"), attrs.group)
        and _resource_matches(rule, attrs)
        and (not names or attrs.name in names)
    )


def _applies(subject: Obj, user: User, binding_namespace: str) -> bool:
    kind, name = subject.get("kind"), subject.get("name", "")
    if kind == "User":
        return name == user.name
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        account = service_account(user.name)
        namespace = subject.get("namespace") or binding_namespace
        return account == (namespace, name)
    return False


def _describe_subject(subject: Obj, binding_namespace: str) -> str:
    kind, name = subject.get("kind", ""), subject.get("name", "")
    if kind == "ServiceAccount":
        name = f"{name}/{subject.get('namespace') or binding_namespace}"
    return f'{kind} "{name}"'


def _role_rules(store: Store, binding: Obj) -> list[Obj]:
    ref = binding.get("roleRef") or {}
    if ref.get("kind") == "Role":
        role = store.get(ROLES, binding["metadata"].get("namespace", ""), ref.get("name", ""))
    else:
        role = store.get(CLUSTER_ROLES, "", ref.get("name", ""))
    return list((role or {}).get("rules") or [])


def bound_rules(store: Store, user: User, namespace: str) -> Iterator[tuple[str, Obj]]:
    """(where it comes from, rule) for every rule bound to the user in this namespace
    (cluster-wide only when namespace is "")."""
    bindings = store.items(CLUSTER_BINDINGS)
    if namespace:
        bindings = bindings + store.items(BINDINGS, namespace)
    for binding in bindings:
        md = binding["metadata"]
        binding_ns = md.get("namespace", "")
        subject = next(
            (s for s in binding.get("subjects") or [] if _applies(s, user, binding_ns)), None
        )
        if subject is None:
            continue
        ref = binding.get("roleRef") or {}
        kind = "RoleBinding" if binding_ns else "ClusterRoleBinding"
        shown = f"{md['name']}/{binding_ns}" if binding_ns else md["name"]
        source = (
            f'{kind} "{shown}" of {ref.get("kind")} "{ref.get("name")}" to '
            f"{_describe_subject(subject, binding_ns)}"
        )
        for rule in _role_rules(store, binding):
            yield source, rule


def decide(store: Store, user: User, attrs: Attributes) -> tuple[bool, str]:
    """(allowed, reason) for one request of this user."""
    if user.privileged:
        return True, ""
    for source, rule in bound_rules(store, user, attrs.namespace):
        if rule_allows(rule, attrs):
            return True, f"RBAC: allowed by {source}"
    return False, ""


def forbidden(user: User, attrs: Attributes, reason: str = "") -> APIError:
    """403 as the API server words it for a request the authorizer did not allow."""
    if not attrs.resource_request:
        why = f'User "{user.name}" cannot {attrs.verb} path "{attrs.path}"'
        return APIError(403, "Forbidden", f"forbidden: {why}", {})
    where = f'in the namespace "{attrs.namespace}"' if attrs.namespace else "at the cluster scope"
    why = (
        f'User "{user.name}" cannot {attrs.verb} resource "{attrs.combined}" in API group '
        f'"{attrs.group}" {where}'
    )
    if reason:
        why = f"{why}: {reason}"
    qualified = f"{attrs.resource}.{attrs.group}" if attrs.group else attrs.resource
    details: dict[str, Any] = {}
    if attrs.name:
        details["name"] = attrs.name
        message = f'{qualified} "{attrs.name}" is forbidden: {why}'
    else:
        message = f"{qualified} is forbidden: {why}"
    if attrs.group:
        details["group"] = attrs.group
    details["kind"] = attrs.resource
    return APIError(403, "Forbidden", message, details)
