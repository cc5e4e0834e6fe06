"""Conversion between a served version and the stored form: apiVersion, and the kind's own."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.apiserver import structs
from sandbox.apiserver.registry import ResourceType

Obj = dict[str, Any]


def to_storage(rtype: ResourceType, obj: Obj) -> Obj:
    """Bring a request body into the stored form (e.g. core/v1 for events.k8s.io Events)."""
    convert = rtype.strategy.to_storage
    return convert(obj) if convert is not None else obj


def from_storage(rtype: ResourceType, obj: Obj) -> Obj:
    """Present a stored object in the requested version (built-ins in Go's field order)."""
    convert = rtype.strategy.from_storage
    if convert is not None:
        obj = convert(obj)
    if obj.get("apiVersion") != rtype.api_version:
        obj = copy.copy(obj)
        obj["apiVersion"] = rtype.api_version
    return obj if rtype.custom else structs.go_order(obj)
