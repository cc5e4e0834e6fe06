"""Structural-schema handling of custom resources: pruning, nulls, defaults, validation."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from sandbox.apiserver.errors import cause

Schema = dict[str, Any]
_ROOT_KEEP = ("apiVersion", "kind", "metadata")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _show(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else json.dumps(value, default=str)


def prune(node: Any, schema: Schema, path: str, unknown: list[str], root: bool = False) -> Any:
    """Drop fields the schema does not declare, and nulls where it does not allow them."""
    if schema.get("x-kubernetes-preserve-unknown-fields") and "properties" not in schema:
        return node
    if isinstance(node, dict):
        return _prune_object(node, schema, path, unknown, root)
    if isinstance(node, list) and isinstance(schema.get("items"), dict):
        return [prune(v, schema["items"], f"{path}[{i}]", unknown) for i, v in enumerate(node)]
    return node


def _prune_object(
    node: dict[str, Any], schema: Schema, path: str, unknown: list[str], root: bool
) -> dict[str, Any]:
    props = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    keep_unknown = schema.get("x-kubernetes-preserve-unknown-fields")
    embedded = schema.get("x-kubernetes-embedded-resource")
    out = {}
    for key, value in node.items():
        if root and key in _ROOT_KEEP:
            out[key] = value  # apiVersion, kind and metadata (ObjectMeta) are never pruned
            continue
        sub = props.get(key)
        if sub is None and isinstance(extra, dict):
            sub = extra
        if value is None and not (sub or {}).get("nullable"):
            continue
        if sub is not None:
            out[key] = prune(value, sub, _join(path, key), unknown)
        elif keep_unknown or extra is True or (embedded and key in _ROOT_KEEP):
            out[key] = value
        else:
            unknown.append(_join(path, key))
    return out


def apply_defaults(node: Any, schema: Schema) -> Any:
    """Fill in `default` values of missing properties, recursively."""
    if isinstance(node, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key not in node and "default" in sub:
                node[key] = copy.deepcopy(sub["default"])
            if key in node:
                node[key] = apply_defaults(node[key], sub)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key in node:
                if key not in (schema.get("properties") or {}):
                    node[key] = apply_defaults(node[key], extra)
    elif isinstance(node, list) and isinstance(schema.get("items"), dict):
        return [apply_defaults(v, schema["items"]) for v in node]
    return node


def _type_ok(value: Any, kind: str) -> bool:
    if kind == "integer":
        return not isinstance(value, bool) and (
            isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        )
    checks: dict[str, Any] = {
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
    }
    return checks.get(kind, lambda _v: True)(value)


def _bad(path: str, value: Any, message: str) -> dict[str, str]:
    return cause(path, "FieldValueInvalid", f"Invalid value: {_show(value)}: {message}")


def _scalar_causes(value: Any, schema: Schema, path: str) -> list[dict[str, str]]:
    causes = []
    if "enum" in schema and value not in schema["enum"]:
        shown = ", ".join(_show(v) for v in schema["enum"])
        message = f"Unsupported value: {_show(value)}: supported values: {shown}"
        causes.append(cause(path, "FieldValueNotSupported", message))
    if isinstance(value, str):
        causes += _string_causes(value, schema, path)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        causes += _number_causes(value, schema, path)
    return causes


def _string_causes(value: str, schema: Schema, path: str) -> list[dict[str, str]]:
    causes = []
    if "pattern" in schema and not re.search(schema["pattern"], value):
        causes.append(_bad(path, value, f"{path} in body should match '{schema['pattern']}'"))
    if "minLength" in schema and len(value) < schema["minLength"]:
        message = f"{path} in body should be at least {schema['minLength']} chars long"
        causes.append(_bad(path, value, message))
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        message = f"Too long: may not be more than {schema['maxLength']} bytes"
        causes.append(cause(path, "FieldValueTooLong", message))
    return causes


def _number_causes(value: float, schema: Schema, path: str) -> list[dict[str, str]]:
    causes = []
    for key, op, word in (
        ("minimum", "__lt__", "greater than or equal to"),
        ("maximum", "__gt__", "less than or equal to"),
    ):
        if key in schema:
            exclusive = schema.get(f"exclusive{key.title()}")
            limit = schema[key]
            failed = getattr(value, op)(limit) or (exclusive and value == limit)
            if failed:
                word = word.replace(" or equal to", "") if exclusive else word
                causes.append(_bad(path, value, f"{path} in body should be {word} {limit}"))
    if schema.get("multipleOf") and value % schema["multipleOf"]:
        message = f"{path} in body should be a multiple of {schema['multipleOf']}"
        causes.append(_bad(path, value, message))
    return causes


def _type_causes(value: Any, schema: Schema, path: str) -> list[dict[str, str]] | None:
    if value is None:
        return (
            []
            if schema.get("nullable")
            else [_bad(path, value, f"{path} in body must be of type {schema.get('type')}")]
        )
    if schema.get("x-kubernetes-int-or-string"):
        if isinstance(value, int | str) and not isinstance(value, bool):
            return None
        return [_bad(path, value, f"{path} in body must be of type integer or string")]
    kind = schema.get("type")
    if kind and not _type_ok(value, kind):
        return [_bad(path, value, f"{path} in body must be of type {kind}: {_show(value)}")]
    return None


def validate(value: Any, schema: Schema, path: str = "") -> list[dict[str, str]]:
    """Validation causes for one value against its schema, with field paths."""
    typed = _type_causes(value, schema, path)
    if typed is not None:
        return typed
    causes = _scalar_causes(value, schema, path)
    for sub in schema.get("allOf") or []:
        causes += validate(value, sub, path)
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if options:
            passing = sum(not validate(value, s, path) for s in options)
            if passing == 0 or (key == "oneOf" and passing > 1):
                causes.append(_bad(path, value, f"{path} in body must match {key} schemas"))
    if isinstance(value, dict):
        causes += _object_causes(value, schema, path)
    elif isinstance(value, list):
        causes += _array_causes(value, schema, path)
    return causes


def _object_causes(value: dict[str, Any], schema: Schema, path: str) -> list[dict[str, str]]:
    causes = [
        cause(_join(path, key), "FieldValueRequired", "Required value")
        for key in schema.get("required") or []
        if key not in value and not (path == "" and key in _ROOT_KEEP)
    ]
    props, extra = schema.get("properties") or {}, schema.get("additionalProperties")
    for key, item in value.items():
        sub = props.get(key, extra if isinstance(extra, dict) else None)
        if sub is not None and not (path == "" and key in _ROOT_KEEP):
            causes += validate(item, sub, _join(path, key))
    for key, word in (("minProperties", "at least"), ("maxProperties", "at most")):
        limit = schema.get(key)
        if limit is not None and (len(value) < limit if key[1] == "i" else len(value) > limit):
            causes.append(
                _bad(path, value, f"{path} in body should have {word} {limit} properties")
            )
    return causes


def _array_causes(value: list[Any], schema: Schema, path: str) -> list[dict[str, str]]:
    causes = []
    if "minItems" in schema and len(value) < schema["minItems"]:
        message = f"{path} in body should have at least {schema['minItems']} items"
        causes.append(_bad(path, len(value), message))
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        message = f"Too many: {len(value)}: must have at most {schema['maxItems']} items"
        causes.append(cause(path, "FieldValueTooMany", message))
    if isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            causes += validate(item, schema["items"], f"{path}[{index}]")
    if schema.get("x-kubernetes-list-type") == "set" and len(
        {json.dumps(v, sort_keys=True) for v in value}
    ) != len(value):
        causes.append(cause(path, "FieldValueDuplicate", "Duplicate value"))
    return causes


def process(obj: dict[str, Any], schema: Schema) -> tuple[dict[str, Any], list[str], list]:
    """Prune, default and validate a custom object: (result, unknown fields, causes)."""
    unknown: list[str] = []
    result = prune(obj, schema, "", unknown, root=True)
    result = apply_defaults(result, schema)
    return result, unknown, validate(result, schema)
