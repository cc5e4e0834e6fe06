"""Resource types served by the sandbox: the built-in kinds it is given and those CRDs add."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sandbox.apiserver.strategy import Strategy

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
Key = tuple[str, str]  # (group, plural): where objects are stored, shared by all versions


@dataclass(frozen=True)
class ResourceType:
    """One resource (group, version, plural) and how the server treats it."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool = True
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
    stored_as: Key | None = None  # another resource's storage (events.k8s.io Events are core's)
    strategy: Strategy = field(default_factory=Strategy)

    @property
    def singular(self) -> str:
        """Lower-case kind, as the API reports it."""
        return self.kind.lower()

    @property
    def api_version(self) -> str:
        """`group/version`, or just `version` for the core group."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> Key:
        """Storage key: (group, plural), shared by all versions (and by both Event APIs)."""
        return self.stored_as or (self.group, self.plural)

    @property
    def qualified(self) -> str:
        """`plural.group` as it appears in error messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


@dataclass(frozen=True)
class Target:
    """What a request names: a served type, a namespace (None: all), an object, a subresource."""

    rtype: ResourceType
    namespace: str | None = None
    name: str = ""
    sub: str = ""

    @property
    def ns(self) -> str:
        """The namespace, "" for cluster-scoped objects and all-namespace requests."""
        return self.namespace or ""


class Registry:
    """Lookup of resource types by path and by kind."""

    def __init__(self, builtins: Iterable[ResourceType] = ()) -> None:
        """Serve the built-in types (in this order); CRDs add theirs later."""
        self._types: dict[tuple[str, str, str], ResourceType] = {}
        for rtype in builtins:
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

    def for_key(self, key: Key) -> ResourceType | None:
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
