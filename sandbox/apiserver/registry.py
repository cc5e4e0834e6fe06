"""Resource types served by the sandbox: the built-in kinds and those added by CRDs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@dataclass(frozen=True)
class ResourceType:
    """One resource (group, version, plural) and how the server treats it."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    status: bool = False
    scale: bool = False
    generation: bool = False
    custom: bool = False
    schema: dict[str, Any] | None = None
    columns: tuple[dict[str, Any], ...] = ()
    scale_paths: dict[str, str] = field(default_factory=dict)
    storage_version: str = ""

    @property
    def singular(self) -> str:
        """Lower-case kind, as the API reports it."""
        return self.kind.lower()

    @property
    def api_version(self) -> str:
        """`group/version`, or just `version` for the core group."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> tuple[str, str]:
        """Storage key: (group, plural), shared by all versions (and by both Event APIs)."""
        if self.group == "events.k8s.io":
            return ("", "events")
        return (self.group, self.plural)

    @property
    def qualified(self) -> str:
        """`plural.group` as it appears in error messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


def _t(group: str, version: str, kind: str, plural: str, namespaced: bool = True, **kw: Any):
    return ResourceType(group, version, kind, plural, namespaced, **kw)


BUILTINS: list[ResourceType] = [
    _t("", "v1", "Namespace", "namespaces", False, short_names=("ns",), status=True),
    _t("", "v1", "Node", "nodes", False, short_names=("no",), status=True),
    _t("", "v1", "ConfigMap", "configmaps", short_names=("cm",)),
    _t("", "v1", "Secret", "secrets"),
    _t("", "v1", "Service", "services", short_names=("svc",), status=True, categories=("all",)),
    _t("", "v1", "ServiceAccount", "serviceaccounts", short_names=("sa",)),
    _t(
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        short_names=("pvc",),
        status=True,
    ),
    _t(
        "",
        "v1",
        "Pod",
        "pods",
        short_names=("po",),
        status=True,
        generation=True,
        categories=("all",),
    ),
    _t("", "v1", "Event", "events", short_names=("ev",)),
    _t("events.k8s.io", "v1", "Event", "events", short_names=("ev",)),
    _t(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        short_names=("deploy",),
        status=True,
        scale=True,
        generation=True,
        categories=("all",),
    ),
    _t(
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        short_names=("rs",),
        status=True,
        scale=True,
        generation=True,
        categories=("all",),
    ),
    _t("batch", "v1", "Job", "jobs", status=True, generation=True, categories=("all",)),
    _t(
        "batch",
        "v1",
        "CronJob",
        "cronjobs",
        short_names=("cj",),
        status=True,
        generation=True,
        categories=("all",),
    ),
    _t(
        "networking.k8s.io",
        "v1",
        "Ingress",
        "ingresses",
        short_names=("ing",),
        status=True,
        generation=True,
    ),
    _t(
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        short_names=("netpol",),
        generation=True,
    ),
    _t("rbac.authorization.k8s.io", "v1", "Role", "roles"),
    _t("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings"),
    _t("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False),
    _t("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False),
    _t(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        False,
        short_names=("crd", "crds"),
        status=True,
        generation=True,
        categories=("api-extensions",),
    ),
]

# Kinds that must never be strategic-merge patched are custom; built-ins accept it.
CORE_GROUPS = {t.group for t in BUILTINS}


class Registry:
    """Lookup of resource types by path and by kind."""

    def __init__(self) -> None:
        self._types: dict[tuple[str, str, str], ResourceType] = {}
        for rtype in BUILTINS:
            self.add(rtype)

    def add(self, rtype: ResourceType) -> None:
        """Register (or replace) one served type."""
        self._types[(rtype.group, rtype.version, rtype.plural)] = rtype

    def remove_custom(self, group: str, plural: str) -> None:
        """Forget every version of a custom resource."""
        for key in [k for k, t in self._types.items() if t.custom and t.key == (group, plural)]:
            del self._types[key]

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        """The type served at /{group}/{version}/{plural}, if any."""
        return self._types.get((group, version, plural))

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        """The type for an object's apiVersion and kind."""
        group, _, version = api_version.rpartition("/")
        for rtype in self._types.values():
            if (rtype.group, rtype.version, rtype.kind) == (group, version, kind):
                return rtype
        return None

    def for_key(self, key: tuple[str, str]) -> ResourceType | None:
        """Any served type stored under (group, plural), preferring the storage version."""
        found = [t for t in self._types.values() if t.key == key]
        found.sort(key=lambda t: t.version != (t.storage_version or t.version))
        return found[0] if found else None

    def group_versions(self) -> dict[str, list[str]]:
        """Every served group with its versions (core group excluded)."""
        groups: dict[str, list[str]] = {}
        for group, version, _ in self._types:
            if group and version not in groups.setdefault(group, []):
                groups[group].append(version)
        return groups

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        """Every type served under one group/version."""
        return [t for (g, v, _), t in self._types.items() if (g, v) == (group, version)]
