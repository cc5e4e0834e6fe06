"""A minimal OpenAPI v3 index: enough for kubectl to see server-side field validation."""

from __future__ import annotations

import hashlib
from typing import Any

from .registry import Registry, ResourceType

FIELD_VALIDATION = {
    "name": "fieldValidation",
    "in": "query",
    "description": "how the server treats unknown or duplicate fields (Ignore, Warn, Strict)",
    "schema": {"type": "string", "uniqueItems": True},
}


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _digest(registry: Registry, group: str, version: str) -> str:
    kinds = ",".join(sorted(t.kind for t in registry.in_group_version(group, version)))
    return hashlib.sha256(kinds.encode()).hexdigest()[:16].upper()


def index(registry: Registry) -> dict[str, Any]:
    """GET /openapi/v3: one entry per served group/version."""
    pairs = [("", "v1")] + [
        (g, v) for g, versions in registry.group_versions().items() for v in versions
    ]
    return {
        "paths": {
            _gv_path(g, v): {
                "serverRelativeURL": f"/openapi/v3/{_gv_path(g, v)}?hash={_digest(registry, g, v)}"
            }
            for g, v in pairs
        }
    }


def _operation(rtype: ResourceType) -> dict[str, Any]:
    gvk = {"group": rtype.group, "version": rtype.version, "kind": rtype.kind}
    return {
        "x-kubernetes-group-version-kind": gvk,
        "x-kubernetes-action": "patch",
        "parameters": [FIELD_VALIDATION],
        "responses": {"200": {"description": "OK"}},
    }


def document(registry: Registry, group: str, version: str) -> dict[str, Any] | None:
    """GET /openapi/v3/{api/v1|apis/g/v}: PATCH operations that accept fieldValidation."""
    types = registry.in_group_version(group, version)
    if not types:
        return None
    prefix = "/" + _gv_path(group, version)
    paths = {}
    for rtype in types:
        scope = "/namespaces/{namespace}" if rtype.namespaced else ""
        paths[f"{prefix}{scope}/{rtype.plural}/{{name}}"] = {"patch": _operation(rtype)}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes (sandbox)", "version": "v1.37.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }
