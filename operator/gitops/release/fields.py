"""Reading a Release spec's fields: type checks and errors that name the field (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class SpecError(ValueError):
    """An invalid Release spec, naming the offending field and how to fix it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def read(data: Mapping[str, Any], key: str, path: str, kind: type, default: Any) -> Any:
    """Read one field with a type check (bool is not an int)."""
    value = data.get(key, default)
    wrong_bool = kind is int and isinstance(value, bool)
    if not isinstance(value, kind) or wrong_bool:
        raise SpecError(path, f"must be a {kind.__name__}, got {value!r}")
    return value


def minimum(value: int, low: int, path: str) -> int:
    """Refuse an integer under its minimum."""
    if value < low:
        raise SpecError(path, f"must be >= {low}, got {value}")
    return value


def relative(value: str, path: str) -> str:
    """Refuse an empty, absolute or escaping path inside the claim."""
    parts = value.split("/")
    if not value or value.startswith("/") or ".." in parts:
        raise SpecError(
            path, f"must be a relative path inside the claim without '..', got {value!r}"
        )
    return value


def section(spec: Mapping[str, Any], key: str, path: str = "spec") -> Mapping[str, Any]:
    """Return a nested object of the spec (empty when absent)."""
    found: Mapping[str, Any] = read(spec, key, f"{path}.{key}", dict, {})
    return found
