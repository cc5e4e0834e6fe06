"""Fields of built-in kinds an update may not change (422, as in Kubernetes)."""

from __future__ import annotations

import json
from typing import Any

from sandbox.apiserver.errors import cause

Obj = dict[str, Any]
_POD_MUTABLE = ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds")


def _get(obj: Obj, path: str) -> Any:
    node: Any = obj
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _immutable(old: Obj, new: Obj, path: str) -> list[dict[str, str]]:
    before, after = _get(old, path), _get(new, path)
    if before == after or before is None:
        return []
    shown = json.dumps(after, separators=(",", ":"))
    return [cause(path, "FieldValueInvalid", f"Invalid value: {shown}: field is immutable")]


def _pod_spec_view(spec: Obj) -> Obj:
    view = {k: v for k, v in spec.items() if k not in (*_POD_MUTABLE, "nodeName")}
    for key in ("containers", "initContainers"):
        view[key] = [{k: v for k, v in c.items() if k != "image"} for c in spec.get(key) or []]
    return view


def _pod(old: Obj, new: Obj) -> list[dict[str, str]]:
    old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
    changed = _pod_spec_view(old_spec) != _pod_spec_view(new_spec)
    if old_spec.get("nodeName") and new_spec.get("nodeName") != old_spec.get("nodeName"):
        changed = True
    if not changed:
        return []
    message = (
        "Forbidden: pod updates may not change fields other than `spec.containers[*].image`, "
        "`spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` "
        "(only additions to existing tolerations) or `spec.terminationGracePeriodSeconds`"
    )
    return [cause("spec", "FieldValueForbidden", message)]


def _data(old: Obj, new: Obj) -> list[dict[str, str]]:
    if not old.get("immutable"):
        return []
    causes = []
    for key in ("data", "binaryData", "immutable"):
        if old.get(key) != new.get(key):
            message = "Forbidden: field is immutable when `immutable` is set"
            causes.append(cause(key, "FieldValueForbidden", message))
    return causes


def _pvc(old: Obj, new: Obj) -> list[dict[str, str]]:
    def view(obj: Obj) -> Obj:
        spec = dict(obj.get("spec") or {})
        spec.pop("resources", None)
        spec.pop("volumeAttributesClassName", None)
        if not (old.get("spec") or {}).get("volumeName"):
            spec.pop("volumeName", None)
        return spec

    if view(old) == view(new):
        return []
    message = "Forbidden: spec is immutable after creation except resources.requests"
    return [cause("spec", "FieldValueForbidden", message)]


IMMUTABLE_PATHS = {
    "Deployment": ("spec.selector",),
    "ReplicaSet": ("spec.selector",),
    "Job": ("spec.selector", "spec.template", "spec.completionMode"),
    "Service": ("spec.clusterIP",),
}


def update_causes(kind: str, old: Obj, new: Obj) -> list[dict[str, str]]:
    """Causes for changes an update of a built-in object may not make."""
    if kind == "Pod":
        return _pod(old, new)
    if kind in ("ConfigMap", "Secret"):
        return _data(old, new)
    if kind == "PersistentVolumeClaim":
        return _pvc(old, new)
    return [c for path in IMMUTABLE_PATHS.get(kind, ()) for c in _immutable(old, new, path)]
