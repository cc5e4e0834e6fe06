"""Secret: type Opaque by default, stringData folded into data, `kubectl get secrets`."""

from __future__ import annotations

import base64
from typing import Any

from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Column, Strategy
from sandbox.kinds.common import AGE, NAME, frozen_data

Obj = dict[str, Any]


def defaults(obj: Obj, _old: Obj | None) -> None:
    """Type Opaque; stringData becomes base64 data (it is never stored)."""
    obj.setdefault("type", "Opaque")
    plain = obj.pop("stringData", None) or {}
    if plain:
        data = obj.setdefault("data", {})
        data.update({k: base64.b64encode(str(v).encode()).decode() for k, v in plain.items()})


KIND = ResourceType(
    "",
    "v1",
    "Secret",
    "secrets",
    strategy=Strategy(
        defaults=defaults,
        immutable=frozen_data,
        columns=(
            NAME,
            Column("Type", "string", 0, lambda o: o.get("type", "Opaque")),
            Column("Data", "integer", 0, lambda o: len(o.get("data") or {})),
            AGE,
        ),
        field_labels=frozenset({"type"}),
    ),
)
