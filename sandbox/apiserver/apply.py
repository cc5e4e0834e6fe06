"""Server-side apply: field ownership per manager, conflicts, removal of dropped fields."""

from __future__ import annotations

import copy
import json
from typing import Any

from sandbox.apiserver import meta, patch_types
from sandbox.apiserver.errors import APIError, bad_request, conflict
from sandbox.apiserver.query import Options
from sandbox.apiserver.registry import ResourceType, Target
from sandbox.apiserver.store import Obj
from sandbox.apiserver.verbs import API

Path = tuple[str, ...]
_META_OWNED = ("labels", "annotations", "finalizers", "ownerReferences")


def _key_segment(item: dict[str, Any], key: str) -> str:
    return "k:" + json.dumps({key: item.get(key)}, separators=(",", ":"))


def field_paths(node: Any, custom: bool, prefix: Path = ()) -> set[Path]:
    """The leaf field paths an applied configuration sets."""
    paths: set[Path] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            path = (*prefix, f"f:{key}")
            if prefix == () and key in ("apiVersion", "kind"):
                continue
            if prefix == ("f:metadata",) and key not in _META_OWNED:
                continue
            merge_key = None if custom else patch_types.MERGE_KEYS.get(key)
            if key == "ports" and not custom:
                merge_key = patch_types._merge_key(key, value if isinstance(value, list) else [])
            if isinstance(value, dict) and value:
                paths |= field_paths(value, custom, path)
            elif isinstance(value, list) and merge_key and all(isinstance(v, dict) for v in value):
                for item in value:
                    paths |= field_paths(item, custom, (*path, _key_segment(item, merge_key)))
            else:
                paths.add(path)
    return paths


def _to_fields_v1(paths: set[Path]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path in sorted(paths):
        node = tree
        for segment in path:
            node = node.setdefault(segment, {})
            if segment.startswith("k:"):
                node.setdefault(".", {})
    return tree


def _from_fields_v1(tree: dict[str, Any], prefix: Path = ()) -> set[Path]:
    paths: set[Path] = set()
    for segment, child in tree.items():
        if segment == ".":
            continue
        if isinstance(child, dict) and any(k != "." for k in child):
            paths |= _from_fields_v1(child, (*prefix, segment))
        else:
            paths.add((*prefix, segment))
    return paths


def _managers(obj: Obj | None) -> dict[str, set[Path]]:
    entries = (obj or {}).get("metadata", {}).get("managedFields") or []
    return {
        e["manager"]: _from_fields_v1(e.get("fieldsV1") or {})
        for e in entries
        if e.get("operation") == "Apply" and e.get("manager")
    }


def _lookup(obj: Any, path: Path) -> tuple[bool, Any]:
    node = obj
    for segment in path:
        if segment.startswith("f:") and isinstance(node, dict) and segment[2:] in node:
            node = node[segment[2:]]
        elif segment.startswith("k:") and isinstance(node, list):
            key, value = next(iter(json.loads(segment[2:]).items()))
            found = [i for i in node if isinstance(i, dict) and i.get(key) == value]
            if not found:
                return False, None
            node = found[0]
        else:
            return False, None
    return True, node


def _remove(obj: Any, path: Path) -> None:
    found, parent = _lookup(obj, path[:-1])
    last = path[-1]
    if not found:
        return
    if last.startswith("f:") and isinstance(parent, dict):
        parent.pop(last[2:], None)
    elif last.startswith("k:") and isinstance(parent, list):
        key, value = next(iter(json.loads(last[2:]).items()))
        parent[:] = [i for i in parent if not (isinstance(i, dict) and i.get(key) == value)]


def _conflicts(
    live: Obj, config: Obj, mine: set[Path], managers: dict[str, set[Path]], manager: str
) -> dict[str, set[Path]]:
    found: dict[str, set[Path]] = {}
    for other, owned in managers.items():
        if other == manager:
            continue
        for path in owned & mine:
            if _lookup(live, path) != _lookup(config, path):
                found.setdefault(other, set()).add(path)
    return found


def _conflict_error(rtype: ResourceType, name: str, found: dict[str, set[Path]]) -> APIError:
    lines = [
        f'conflict with "{m}": .' + ".".join(s[2:] for s in p if s.startswith("f:"))
        for m, paths in sorted(found.items())
        for p in sorted(paths)
    ]
    why = f"Apply failed with {len(lines)} conflict(s): " + "; ".join(lines)
    return conflict(rtype.plural, name, rtype.group, why)


def server_side_apply(api: API, target: Target, config: Any, opts: Options) -> tuple[Obj, bool]:
    """Apply a configuration for `opts.field_manager`; create the object when missing."""
    rtype, name, sub = target.rtype, target.name, target.sub
    if not opts.field_manager:
        raise bad_request("PATCH with apply requires fieldManager (the fieldManager parameter)")
    if not isinstance(config, dict) or (config.get("metadata") or {}).get("name") != name:
        raise bad_request(
            "the applied configuration must be an object whose metadata.name matches the URL"
        )
    mine = field_paths(config, rtype.custom)
    entry = _entry(rtype, opts.field_manager, mine, sub)
    live = api.store.get(rtype.key, target.ns if rtype.namespaced else "", name)
    if live is None:
        body = copy.deepcopy(config)
        body.setdefault("metadata", {})["managedFields"] = [entry]
        return api.create(rtype, target.ns, body, opts), True
    managers = _managers(live)
    found = _conflicts(live, config, mine, managers, opts.field_manager)
    if found and not opts.force:
        raise _conflict_error(rtype, name, found)
    for other, paths in found.items():
        managers[other] -= paths
    others = set().union(*(p for m, p in managers.items() if m != opts.field_manager))
    dropped = managers.get(opts.field_manager, set()) - mine - others
    new = _merged(rtype, live, config, dropped)
    new["metadata"]["managedFields"] = _entries(live, managers, opts.field_manager, entry)
    return api.replace(rtype, live, new, opts, sub), False


def _entry(rtype: ResourceType, manager: str, mine: set[Path], sub: str) -> dict[str, Any]:
    """The managedFields entry of one apply."""
    entry = {
        "manager": manager,
        "operation": "Apply",
        "apiVersion": rtype.api_version,
        "time": meta.rfc3339(meta.now()),
        "fieldsType": "FieldsV1",
        "fieldsV1": _to_fields_v1(mine),
    }
    if sub == "status":
        entry["subresource"] = "status"
    return entry


def _merged(rtype: ResourceType, live: Obj, config: Obj, dropped: set[Path]) -> Obj:
    """Live object minus the fields this manager dropped, plus the applied configuration."""
    new = copy.deepcopy(live)
    for path in dropped:
        _remove(new, path)
    merge = patch_types.merge_patch if rtype.custom else patch_types.strategic_merge
    body = {k: v for k, v in config.items() if k not in ("apiVersion", "kind")}
    body["metadata"] = {k: v for k, v in (config.get("metadata") or {}).items() if k in _META_OWNED}
    result: Obj = merge(new, body)
    return result


def _entries(
    live: Obj, managers: dict[str, set[Path]], manager: str, entry: dict[str, Any]
) -> list[dict[str, Any]]:
    kept = []
    for old in live["metadata"].get("managedFields") or []:
        name = old.get("manager")
        if name == manager and old.get("operation") == "Apply":
            continue
        if old.get("operation") == "Apply" and name in managers:
            old = {**old, "fieldsV1": _to_fields_v1(managers[name])}
        kept.append(old)
    return [*kept, entry]
