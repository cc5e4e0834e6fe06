"""Conversion between served versions: apiVersion rewrite, and the two Event APIs."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.apiserver.registry import ResourceType

Obj = dict[str, Any]

# events.k8s.io/v1 field -> core/v1 field
_EVENT_FIELDS = {
    "regarding": "involvedObject",
    "note": "message",
    "reportingController": "reportingComponent",
    "deprecatedSource": "source",
    "deprecatedFirstTimestamp": "firstTimestamp",
    "deprecatedLastTimestamp": "lastTimestamp",
    "deprecatedCount": "count",
}


def to_storage(rtype: ResourceType, obj: Obj) -> Obj:
    """Bring a request body into the stored form (core/v1 for Events)."""
    if rtype.group == "events.k8s.io":
        obj = {_EVENT_FIELDS.get(k, k): v for k, v in obj.items()}
        obj["apiVersion"] = "v1"
    return obj


def from_storage(rtype: ResourceType, obj: Obj) -> Obj:
    """Present a stored object in the requested version."""
    if rtype.group == "events.k8s.io":
        back = {v: k for k, v in _EVENT_FIELDS.items()}
        obj = {back.get(k, k): v for k, v in obj.items()}
        obj["apiVersion"] = rtype.api_version
        return obj
    if obj.get("apiVersion") != rtype.api_version:
        obj = copy.copy(obj)
        obj["apiVersion"] = rtype.api_version
    return obj
