"""ServiceAccount: `kubectl get serviceaccounts` (each namespace gets a `default` one)."""

from __future__ import annotations

from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Column, Strategy
from sandbox.kinds.common import AGE, NAME

KIND = ResourceType(
    "",
    "v1",
    "ServiceAccount",
    "serviceaccounts",
    short_names=("sa",),
    strategy=Strategy(
        columns=(NAME, Column("Secrets", "integer", 0, lambda o: len(o.get("secrets") or [])), AGE)
    ),
)
