"""Unknown fields of built-in objects, for `fieldValidation=Strict` (what kubectl sends).

Uses the Kubernetes 1.37 JSON schemas of the `kubernetes-validate` package when it is
installed; without it, unknown fields of built-in kinds are not detected.
"""

from __future__ import annotations

import functools
import re
from typing import Any

VERSION = "1.37.0"


@functools.cache
def _validator(api_version: str, kind: str) -> Any:
    try:  # optional, and slow to import: loaded with the first check
        import jsonschema
        from kubernetes_validate import utils
        from referencing import Registry, Resource
    except ImportError:
        return None
    folder = f"kubernetes-json-schema/v{VERSION}-local-strict"
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = utils.schema_contents(f"{folder}/{kind.lower()}-{group}.json", VERSION)
        definitions = utils.schema_contents(f"{folder}/_definitions.json", VERSION)
    except (FileNotFoundError, OSError):
        return None
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def _path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".")


def unknown_fields(obj: dict[str, Any]) -> list[str]:
    """Dotted paths of the fields a built-in object sets that its kind does not have."""
    validator = _validator(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
    if validator is None:
        return []
    found = []
    for error in validator.iter_errors(obj):
        if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
            continue
        allowed = set((error.schema or {}).get("properties") or {})
        for key in sorted(set(error.instance) - allowed):
            found.append(_path([*error.absolute_path, key]))
    return found
