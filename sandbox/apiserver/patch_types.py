"""JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from sandbox.apiserver.errors import APIError, bad_request

# Lists merged by a key in strategic merge patches of built-in kinds (field name -> key).
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
    "containerStatuses": "name",
    "initContainerStatuses": "name",
    "readinessGates": "conditionType",
}
# Lists of scalars merged as sets.
MERGE_SETS = {"finalizers"}


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7386 merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _fail(message: str) -> APIError:
    return APIError(422, "Invalid", message)


def _parent(doc: Any, parts: list[str], path: str) -> Any:
    node = doc
    for part in parts[:-1]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise _fail(f"doc is missing path: {path!r}: missing value")
    return node


def _get(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    if not parts:
        return doc
    parent = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        return parent[last]
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent[int(last)]
    raise _fail(f"doc is missing path: {path!r}: missing value")


def _add(doc: Any, path: str, value: Any, replace: bool = False) -> Any:
    parts = _pointer(path)
    if not parts:
        return value
    parent = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise _fail(f"replace operation does not apply: doc is missing key: {path}")
        parent[last] = value
    elif isinstance(parent, list):
        index = len(parent) if last == "-" else int(last) if last.isdigit() else -1
        if index < 0 or index > len(parent) or (replace and index >= len(parent)):
            raise _fail(f"unable to access invalid index: {last}")
        if replace:
            parent[index] = value
        else:
            parent.insert(index, value)
    else:
        raise _fail(f"doc is missing path: {path!r}: missing value")
    return doc


def _remove(doc: Any, path: str) -> Any:
    _get(doc, path)
    parts = _pointer(path)
    parent = _parent(doc, parts, path)
    if isinstance(parent, dict):
        del parent[parts[-1]]
    else:
        del parent[int(parts[-1])]
    return doc


def _test(doc: Any, op: dict[str, Any]) -> Any:
    if _get(doc, op["path"]) != op.get("value"):
        raise _fail(f"testing value {op['path']} failed: test failed")
    return doc


def _move(doc: Any, op: dict[str, Any]) -> Any:
    value = copy.deepcopy(_get(doc, op["from"]))
    return _add(_remove(doc, op["from"]), op["path"], value)


def _copy(doc: Any, op: dict[str, Any]) -> Any:
    return _add(doc, op["path"], copy.deepcopy(_get(doc, op["from"])))


OPERATIONS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "test": _test,
    "add": lambda doc, op: _add(doc, op["path"], copy.deepcopy(op.get("value"))),
    "replace": lambda doc, op: _add(doc, op["path"], copy.deepcopy(op.get("value")), True),
    "remove": lambda doc, op: _remove(doc, op["path"]),
    "move": _move,
    "copy": _copy,
}


def json_patch(target: Any, ops: Any) -> Any:
    """Apply an RFC 6902 JSON patch; a failed `test` answers 422."""
    if not isinstance(ops, list):
        raise bad_request("json patch must be a list of operations")
    doc = copy.deepcopy(target)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise bad_request(f"invalid JSON patch operation: {op!r}")
        operation = OPERATIONS.get(op["op"])
        if operation is None:
            raise bad_request(f"unexpected JSON patch operation {op['op']!r}")
        doc = operation(doc, op)
    return doc


def _merge_key(field: str, items: list[Any]) -> str | None:
    if field == "ports":
        sample = next((i for i in items if isinstance(i, dict)), {})
        return "containerPort" if "containerPort" in sample else "port"
    return MERGE_KEYS.get(field)


def _strategic_list(field: str, current: list[Any], patch: list[Any]) -> list[Any]:
    key = _merge_key(field, [*current, *patch])
    if field in MERGE_SETS:
        return current + [v for v in patch if v not in current]
    if key is None:
        return [strategic_merge(None, p) for p in patch if not _is_directive(p)]
    result = copy.deepcopy(current)
    for item in patch:
        if not isinstance(item, dict):
            continue
        directive = item.get("$patch")
        index = next(
            (
                i
                for i, c in enumerate(result)
                if isinstance(c, dict) and c.get(key) == item.get(key)
            ),
            None,
        )
        if directive == "delete":
            if index is not None:
                result.pop(index)
        elif index is None:
            result.append(strategic_merge(None, item))
        else:
            result[index] = strategic_merge(result[index], item)
    return result


def _is_directive(item: Any) -> bool:
    return isinstance(item, dict) and set(item) == {"$patch"}


def strategic_merge(target: Any, patch: Any) -> Any:
    """Apply a strategic merge patch, using the built-in kinds' list merge keys."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if not key.startswith("$setElementOrder/") and key not in ("$patch", "$retainKeys"):
            _merge_field(result, key, value)
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _merge_field(result: dict[str, Any], key: str, value: Any) -> None:
    """Merge one field of a strategic merge patch into result."""
    if key.startswith("$deleteFromPrimitiveList/"):
        name = key.split("/", 1)[1]
        result[name] = [v for v in result.get(name) or [] if v not in value]
    elif value is None:
        result.pop(key, None)
    elif isinstance(value, list):
        current = result.get(key)
        if not isinstance(current, list):
            result[key] = _strategic_list(key, [], value)
        elif any(isinstance(v, dict) and v.get("$patch") == "replace" for v in value):
            result[key] = [v for v in value if not _is_directive(v)]
        else:
            result[key] = _strategic_list(key, current, value)
    else:
        merged = strategic_merge(result.get(key), value)
        if merged is None:
            result.pop(key, None)
        else:
            result[key] = merged
