"""Access reviews (`kubectl auth can-i`) evaluated against the stored RBAC objects.

The sandbox never enforces RBAC; this only answers the question the way RBAC would, so tests
can check that Roles and bindings grant what a service account needs.
"""

from __future__ import annotations

from typing import Any

from sandbox.apiserver.store import Obj, Store

ROLES = ("rbac.authorization.k8s.io", "roles")
CLUSTER_ROLES = ("rbac.authorization.k8s.io", "clusterroles")
BINDINGS = ("rbac.authorization.k8s.io", "rolebindings")
CLUSTER_BINDINGS = ("rbac.authorization.k8s.io", "clusterrolebindings")


def _subject_matches(subject: dict[str, Any], user: str, groups: set[str]) -> bool:
    kind, name = subject.get("kind"), subject.get("name", "")
    if kind == "User":
        return name == user
    if kind == "Group":
        return name in groups
    if kind == "ServiceAccount":
        return user == f"system:serviceaccount:{subject.get('namespace', '')}:{name}"
    return False


def _rule_allows(rule: dict[str, Any], attrs: dict[str, Any]) -> bool:
    def has(values: list[str] | None, wanted: str) -> bool:
        return "*" in (values or []) or wanted in (values or [])

    if "nonResourceURLs" in rule and not attrs.get("resource"):
        return has(rule.get("verbs"), attrs.get("verb", "")) and has(
            rule.get("nonResourceURLs"), attrs.get("path", "")
        )
    resource = attrs.get("resource", "")
    if attrs.get("subresource"):
        resource = f"{resource}/{attrs['subresource']}"
    names = rule.get("resourceNames") or []
    return (
        has(rule.get("verbs"), attrs.get("verb", ""))
        and has(rule.get("apiGroups"), attrs.get("group", ""))
        and has(rule.get("resources"), resource)
        and (not names or attrs.get("name") in names)
    )


def _rules(store: Store, binding: Obj) -> list[dict[str, Any]]:
    ref = binding.get("roleRef") or {}
    if ref.get("kind") == "Role":
        role = store.get(ROLES, binding["metadata"].get("namespace", ""), ref.get("name", ""))
    else:
        role = store.get(CLUSTER_ROLES, "", ref.get("name", ""))
    return list((role or {}).get("rules") or [])


def allowed(store: Store, user: str, groups: set[str], attrs: dict[str, Any]) -> bool:
    """Whether the stored Roles, ClusterRoles and bindings grant this request."""
    if user in ("", "sandbox-admin") or "system:masters" in groups:
        return True
    bindings = store.items(CLUSTER_BINDINGS)
    if attrs.get("namespace"):
        bindings += store.items(BINDINGS, attrs["namespace"])
    for binding in bindings:
        subjects = binding.get("subjects") or []
        if any(_subject_matches(s, user, groups) for s in subjects) and any(
            _rule_allows(rule, attrs) for rule in _rules(store, binding)
        ):
            return True
    return False


def groups_of(user: str, extra: list[str]) -> set[str]:
    """The groups Kubernetes gives a user (service accounts get theirs from the name)."""
    groups = set(extra) | {"system:authenticated"}
    if user.startswith("system:serviceaccount:"):
        namespace = user.split(":")[2]
        groups |= {"system:serviceaccounts", f"system:serviceaccounts:{namespace}"}
    return groups


def review(store: Store, body: dict[str, Any], user: str, extra_groups: list[str]) -> Obj:
    """Answer a (Self)SubjectAccessReview body."""
    spec = body.get("spec") or {}
    if body.get("kind") == "SubjectAccessReview":
        user, extra_groups = spec.get("user", ""), list(spec.get("groups") or [])
    attrs = dict(spec.get("resourceAttributes") or spec.get("nonResourceAttributes") or {})
    ok = allowed(store, user, groups_of(user, extra_groups), attrs)
    status: dict[str, Any] = {"allowed": ok}
    if ok:
        status["reason"] = "allowed by the stored RBAC rules"
    result = {**body, "status": status}
    result.setdefault("metadata", {})
    return result
