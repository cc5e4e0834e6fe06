"""ConfigMap: data frozen once `immutable` is set, `kubectl get configmaps`."""

from __future__ import annotations

from typing import Any

from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Column, Strategy
from sandbox.kinds.common import AGE, NAME, frozen_data

Obj = dict[str, Any]


def _keys(obj: Obj) -> int:
    return len(obj.get("data") or {}) + len(obj.get("binaryData") or {})


KIND = ResourceType(
    "",
    "v1",
    "ConfigMap",
    "configmaps",
    short_names=("cm",),
    strategy=Strategy(
        immutable=frozen_data, columns=(NAME, Column("Data", "integer", 0, _keys), AGE)
    ),
)
