"""What Go's encoder always writes: structs that are not pointers, and scalars without omitempty.

`omitempty` never drops a struct field that is not a pointer, so a fresh Deployment reads back
with `status: {}` and a Service with `status: {loadBalancer: {}}`; a field without omitempty
shows its zero value (`replicas: 0`, `serviceName: ""`, `lastProbeTime: null`). Each kind
lists these in its Strategy as a Shape, a nested dict whose keys say what kind of field it is:

- `"key": {...}`  a struct that is always written (`{}` when nothing set it), then its fields
- `"key?": {...}` a pointer to a struct: the inner shape applies only when the key is present
- `"key[]": {...}` a list of structs: the inner shape applies to each item
- `"key": value`  a scalar always written: the value is its zero (0, "", False or None)

The tables are checked against kubectl's own Go encoding (tests/sandbox/test_structs_oracle.py)
and against a real cluster (tests/sandbox/test_fidelity_structs.py).
"""

from __future__ import annotations

import copy
from typing import Any

Shape = dict[str, Any]
Obj = dict[str, Any]
# ObjectMeta in Go's field order (what comes out first of every built-in object's metadata)
META_ORDER = (
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
)


def fill(node: Obj, shape: Shape) -> Obj:
    """Add what the shape says is always written; returns node (changed in place)."""
    for key, inner in shape.items():
        if key.endswith("[]"):
            for item in node.get(key[:-2]) or []:
                if isinstance(item, dict):
                    fill(item, inner)
        elif key.endswith("?"):
            present = node.get(key[:-1])
            if isinstance(present, dict):
                fill(present, inner)
        elif isinstance(inner, dict):
            child = node.setdefault(key, {})
            if isinstance(child, dict):
                fill(child, inner)
        elif key not in node:
            node[key] = copy.copy(inner)
    return node


# Fields that are Go maps of strings in every built-in kind: Go writes their keys sorted.
# (A LabelSelector `selector` is a struct; only a map one, of Services and
# ReplicationControllers, holds nothing but strings.)
STRING_MAPS = frozenset(
    {
        "labels",
        "annotations",
        "data",
        "binaryData",
        "selector",
        "matchLabels",
        "nodeSelector",
        "capacity",
        "allocatable",
        "limits",
        "requests",
        "hard",
        "used",
    }
)


def sort_maps(node: Any) -> Any:
    """Sort the keys of the string maps of a built-in object, recursively (in place)."""
    if isinstance(node, list):
        for item in node:
            sort_maps(item)
    elif isinstance(node, dict):
        for key, value in list(node.items()):
            if (
                key in STRING_MAPS
                and isinstance(value, dict)
                and all(isinstance(v, str | int | float) for v in value.values())
            ):
                node[key] = dict(sorted(value.items()))
            else:
                sort_maps(value)
    return node


def go_order(obj: Obj) -> Obj:
    """A shallow copy in Go's order: kind, apiVersion, metadata (ObjectMeta order), status last."""
    md = obj.get("metadata")
    out: Obj = {k: obj[k] for k in ("kind", "apiVersion") if k in obj}
    if isinstance(md, dict):
        ordered = {k: md[k] for k in META_ORDER if k in md}
        out["metadata"] = ordered | {k: v for k, v in md.items() if k not in ordered}
    for key, value in obj.items():
        if key not in out and key != "status":
            out[key] = value
    if "status" in obj:
        out["status"] = obj["status"]
    return out


# The shapes several kinds share: a container, a PodSpec, a pod template.
CONTAINER: Shape = {"resources": {}}
POD_SPEC: Shape = {
    "containers[]": CONTAINER,
    "initContainers[]": CONTAINER,
    "ephemeralContainers[]": CONTAINER,
}
POD_TEMPLATE: Shape = {"metadata": {}, "spec": POD_SPEC}
