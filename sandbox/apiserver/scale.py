"""The /scale subresource (autoscaling/v1 Scale) of the workload kinds and of CRs."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.apiserver import patch_types
from sandbox.apiserver.errors import bad_request, conflict
from sandbox.apiserver.query import Options
from sandbox.apiserver.registry import ResourceType, Target
from sandbox.apiserver.selectors import field_value
from sandbox.apiserver.store import Obj
from sandbox.apiserver.verbs import API


def _paths(rtype: ResourceType) -> dict[str, str]:
    if rtype.custom:
        return rtype.scale_paths
    return {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"}


_OPERATORS = {"In": "in", "NotIn": "notin"}


def format_selector(selector: dict[str, Any]) -> str:
    """A LabelSelector as a string, as metav1.FormatLabelSelector writes it (sorted by key)."""
    parts = [(k, f"{k}={v}") for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        key, op = expr.get("key", ""), expr.get("operator", "")
        values = ",".join(sorted(expr.get("values") or []))
        if op in _OPERATORS:
            parts.append((key, f"{key} {_OPERATORS[op]} ({values})"))
        else:
            parts.append((key, key if op == "Exists" else f"!{key}"))
    return ",".join(text for _, text in sorted(parts))


def _selector(rtype: ResourceType, obj: Obj) -> str:
    path = _paths(rtype).get("labelSelectorPath")
    if rtype.custom:
        return field_value(obj, path.lstrip(".")) if path else ""
    if rtype.strategy.scale_selector is not None:
        return rtype.strategy.scale_selector(obj)
    return format_selector((obj.get("spec") or {}).get("selector") or {})


def get_scale(rtype: ResourceType, obj: Obj) -> dict[str, Any]:
    """The Scale view of an object."""
    paths, md = _paths(rtype), obj["metadata"]
    spec_value = field_value(obj, paths["specReplicasPath"].lstrip("."))
    status_value = field_value(obj, paths.get("statusReplicasPath", ".status.r").lstrip("."))
    status: dict[str, Any] = {"replicas": int(status_value or 0)}
    if _selector(rtype, obj):
        status["selector"] = _selector(rtype, obj)
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: md[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in md
        },
        "spec": {"replicas": int(spec_value)} if spec_value else {},  # omitempty
        "status": status,
    }


def update_scale(
    api: API, target: Target, body: Any, opts: Options, patch_type: str | None = None
) -> Obj:
    """Set spec.replicas through the Scale view: a PUT, or a merge or JSON patch of it."""
    rtype, name = target.rtype, target.name
    old = api.get(rtype, target.ns, name)
    current = get_scale(rtype, old)
    if patch_type is None:
        scale = body
    elif "json-patch" in patch_type:
        scale = patch_types.json_patch(current, body)
    else:
        scale = patch_types.merge_patch(current, body)
    rv = (scale.get("metadata") or {}).get("resourceVersion")
    if rv and rv != old["metadata"]["resourceVersion"]:
        raise conflict(rtype.plural, name, rtype.group)
    replicas = (scale.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or replicas < 0:
        raise bad_request("spec.replicas must be a non-negative integer")
    new = copy.deepcopy(old)
    node = new
    parts = _paths(rtype)["specReplicasPath"].lstrip(".").split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = replicas
    return api.replace(rtype, old, new, opts)
