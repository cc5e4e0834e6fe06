"""Server-side Table output (`kubectl get`): the kinds' columns and CRD printer columns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sandbox.apiserver import jsonpath, meta
from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Column

Obj = dict[str, Any]


def human_duration(seconds: float) -> str:
    """Go's `duration.HumanDuration`, as kubectl prints ages."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    if s < 8 * 3600:
        return _minutes_and_hours(s)
    return _days_and_years(s // 3600)


def _pair(big: int, unit: str, small: int, small_unit: str) -> str:
    return f"{big}{unit}" if small == 0 else f"{big}{unit}{small}{small_unit}"


def _minutes_and_hours(s: int) -> str:
    minutes = s // 60
    if minutes < 10:
        return _pair(minutes, "m", s % 60, "s")
    if minutes < 180:
        return f"{minutes}m"
    return _pair(s // 3600, "h", minutes % 60, "m")


def _days_and_years(hours: int) -> str:
    days, years = hours // 24, hours // (24 * 365)
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return _pair(days, "d", hours % 24, "h")
    if hours < 24 * 365 * 2:
        return f"{days}d"
    if hours < 24 * 365 * 8:
        return _pair(years, "y", days % 365, "d")
    return f"{years}y"


def age(value: Any) -> Any:
    """The age cell for an RFC 3339 timestamp, or None."""
    if not isinstance(value, str):
        return "<unknown>" if value is None else value
    try:
        then = meta.parse_time(value)
    except ValueError:
        return value
    return human_duration((meta.now() - then).total_seconds())


def partial(obj: Obj) -> Obj:
    """A PartialObjectMetadata view of an object."""
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj["metadata"],
    }


def partial_list(items: list[Obj], rv: int) -> Obj:
    """A PartialObjectMetadataList."""
    return {
        "kind": "PartialObjectMetadataList",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": str(rv)},
        "items": [partial(i) for i in items],
    }


def _column(name: str, kind: str = "string", priority: int = 0, fmt: str = "") -> dict:
    return {"name": name, "type": kind, "format": fmt, "description": name, "priority": priority}


def _crd_columns(rtype: ResourceType) -> list[tuple[dict, Callable[[Obj], Any]]]:
    out: list[tuple[dict, Callable[[Obj], Any]]] = [
        (_column("Name", fmt="name"), lambda o: o["metadata"]["name"])
    ]
    for col in rtype.columns:
        definition = _column(
            col["name"], col.get("type", "string"), col.get("priority", 0), col.get("format", "")
        )
        definition["description"] = col.get("description", "")

        def cell(obj: Obj, col: dict = col) -> Any:
            try:
                found = jsonpath.find(obj, col["jsonPath"])
            except ValueError:
                return None
            value = found[0] if found else None
            return age(value) if col.get("type") == "date" and value is not None else value

        out.append((definition, cell))
    if not rtype.columns:
        out.append((_column("Age", "date"), lambda o: age(o["metadata"].get("creationTimestamp"))))
    return out


def columns_for(rtype: ResourceType) -> list[tuple[dict, Callable[[Obj], Any]]]:
    """Column definitions with their cell functions."""
    if rtype.custom:
        return _crd_columns(rtype)
    specs = rtype.strategy.columns or (
        Column("Name", "string", 0, lambda o: o["metadata"]["name"]),
        Column("Age", "string", 0, lambda o: age(o["metadata"].get("creationTimestamp"))),
    )
    return [(_column(n, t, p, "name" if n == "Name" else ""), fn) for n, t, p, fn in specs]


def table(rtype: ResourceType, items: list[Obj], rv: int, query: Mapping[str, str]) -> Obj:
    """A meta.k8s.io/v1 Table of `items`."""
    columns = columns_for(rtype)
    include = query.get("includeObject", "Metadata")
    rows = []
    for obj in items:
        row: dict[str, Any] = {"cells": [fn(obj) for _, fn in columns]}
        if include == "Object":
            row["object"] = obj
        elif include != "None":
            row["object"] = partial(obj)
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": str(rv)},
        "columnDefinitions": [c for c, _ in columns],
        "rows": rows,
    }


def since(value: Any) -> dt.timedelta | None:
    """Time since an RFC 3339 timestamp, or None."""
    try:
        return meta.now() - meta.parse_time(value)
    except (TypeError, ValueError, AttributeError):
        return None
