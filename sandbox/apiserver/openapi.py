"""OpenAPI v3: field validation for every kind, and the CRDs' schemas (for kubectl explain)."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from sandbox.apiserver.registry import Registry, ResourceType

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
METADATA_DESCRIPTION = (
    "Standard object's metadata. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
)
STANDARD_FIELDS = {
    "apiVersion": "APIVersion defines the versioned schema of this representation of an object.",
    "kind": "Kind is a string value representing the REST resource this object represents.",
}
OBJECT_META_SCHEMA: dict[str, Any] = {
    "description": "ObjectMeta is metadata that all persisted resources must have.",
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "Name must be unique within a namespace."},
        "namespace": {"type": "string", "description": "Namespace defines the space of names."},
        "labels": {
            "type": "object",
            "additionalProperties": {"type": "string", "default": ""},
            "description": "Map of string keys and values to organize and categorize objects.",
        },
        "annotations": {
            "type": "object",
            "additionalProperties": {"type": "string", "default": ""},
            "description": "Unstructured key value map stored with a resource.",
        },
        "uid": {"type": "string", "description": "UID is the unique in time and space value."},
        "resourceVersion": {"type": "string", "description": "The object's internal version."},
        "generation": {
            "type": "integer",
            "format": "int64",
            "description": "A sequence number representing a specific generation of the spec.",
        },
    },
}

FIELD_VALIDATION = {
    "name": "fieldValidation",
    "in": "query",
    "description": "how the server treats unknown or duplicate fields (Ignore, Warn, Strict)",
    "schema": {"type": "string", "uniqueItems": True},
}


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _digest(registry: Registry, group: str, version: str) -> str:
    types = sorted(registry.in_group_version(group, version), key=lambda t: t.kind)
    text = json.dumps([[t.kind, t.schema] for t in types], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16].upper()


def schema_name(rtype: ResourceType) -> str:
    """The components.schemas key: the group reversed, then version and kind."""
    group = ".".join(reversed(rtype.group.split(".")))
    return f"{group}.{rtype.version}.{rtype.kind}"


def _gvk(rtype: ResourceType) -> dict[str, str]:
    return {"group": rtype.group, "kind": rtype.kind, "version": rtype.version}


def _custom_schema(rtype: ResourceType) -> dict[str, Any]:
    """A CRD version's schema as the server publishes it: metadata by reference, GVK tagged."""
    published = copy.deepcopy(rtype.schema or {})
    props = published.setdefault("properties", {})
    for field, description in STANDARD_FIELDS.items():
        props.setdefault(field, {"type": "string"}).setdefault("description", description)
    props["metadata"] = {"allOf": [{"$ref": f"#/components/schemas/{OBJECT_META}"}]}
    props["metadata"]["description"] = METADATA_DESCRIPTION
    published["x-kubernetes-group-version-kind"] = [_gvk(rtype)]
    return published


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
    return {
        "x-kubernetes-group-version-kind": _gvk(rtype),
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
    schemas: dict[str, Any] = {}
    for rtype in types:
        scope = "/namespaces/{namespace}" if rtype.namespaced else ""
        paths[f"{prefix}{scope}/{rtype.plural}/{{name}}"] = {"patch": _operation(rtype)}
        if rtype.custom and rtype.schema:
            schemas[schema_name(rtype)] = _custom_schema(rtype)
    if schemas:
        schemas[OBJECT_META] = OBJECT_META_SCHEMA
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes (sandbox)", "version": "v1.37.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    }
