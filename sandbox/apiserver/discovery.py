"""Discovery documents: /version, /api, /api/v1, /apis, /apis/{group}/{version}."""

from __future__ import annotations

import re
from typing import Any

from sandbox.apiserver.registry import VERBS, Registry, ResourceType

VERSION = {  # version.Info in its field order
    "major": "1",
    "minor": "37",
    "emulationMajor": "1",
    "emulationMinor": "37",
    "minCompatibilityMajor": "1",
    "minCompatibilityMinor": "36",
    "gitVersion": "v1.37.0+sandbox",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.25.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def version_key(version: str) -> tuple[int, int, int]:
    """Kubernetes version priority: GA > beta > alpha, then by number (higher first)."""
    match = re.match(r"^v(\d+)(?:(alpha|beta)(\d+))?$", version)
    if not match:
        return (3, 0, 0)
    major, stage, minor = match.groups()
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -int(major), -int(minor or 0))


def api_versions(address: str) -> dict[str, Any]:
    """GET /api."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": address}],
    }


def _group(name: str, versions: list[str]) -> dict[str, Any]:
    ordered = sorted(versions, key=version_key)
    entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in ordered]
    return {"name": name, "versions": entries, "preferredVersion": entries[0]}


def api_groups(registry: Registry) -> dict[str, Any]:
    """GET /apis."""
    groups = registry.group_versions()
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group(name, versions) for name, versions in sorted(groups.items())],
    }


def api_group(registry: Registry, name: str) -> dict[str, Any] | None:
    """GET /apis/{group}."""
    versions = registry.group_versions().get(name)
    if not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name, versions)}


def _subresource(rtype: ResourceType, name: str, kind: str, verbs: list[str]) -> dict[str, Any]:
    return {
        "name": f"{rtype.plural}/{name}",
        "singularName": "",
        "namespaced": rtype.namespaced,
        "kind": kind,
        "verbs": verbs,
    }


def _resource(rtype: ResourceType) -> list[dict[str, Any]]:
    """The APIResource entries of one type: itself, then its subresources."""
    main: dict[str, Any] = {
        "name": rtype.plural,
        "singularName": rtype.singular,
        "namespaced": rtype.namespaced,
        "kind": rtype.kind,
        "verbs": VERBS,
    }
    if rtype.short_names:
        main["shortNames"] = list(rtype.short_names)
    if rtype.categories:
        main["categories"] = list(rtype.categories)
    found = [main]
    if rtype.status:
        found.append(_subresource(rtype, "status", rtype.kind, ["get", "patch", "update"]))
    if rtype.scale:
        scale = _subresource(rtype, "scale", "Scale", ["get", "patch", "update"])
        found.append({**scale, "group": "autoscaling", "version": "v1"})
    for sub in rtype.strategy.subresources:
        found.append(_subresource(rtype, sub.name, sub.kind, list(sub.verbs)))
    return found


def resource_list(registry: Registry, group: str, version: str) -> dict[str, Any] | None:
    """GET /api/v1 or /apis/{group}/{version}."""
    types = registry.in_group_version(group, version)
    if not types:
        return None
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": [r for t in sorted(types, key=lambda t: t.plural) for r in _resource(t)],
    }
