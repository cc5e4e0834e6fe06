"""Namespace: the `kubernetes` finalizer and phase Active by default, named as a DNS label."""

from __future__ import annotations

from typing import Any

from sandbox.apiserver import meta
from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Column, Strategy
from sandbox.kinds.common import AGE, NAME, status

Obj = dict[str, Any]


def defaults(obj: Obj, _old: Obj | None) -> None:
    """spec.finalizers [kubernetes] (the server drains the namespace), phase Active."""
    obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    obj.setdefault("status", {}).setdefault("phase", "Active")


KIND = ResourceType(
    "",
    "v1",
    "Namespace",
    "namespaces",
    namespaced=False,
    short_names=("ns",),
    status=True,
    strategy=Strategy(
        defaults=defaults,
        columns=(
            NAME,
            Column("Status", "string", 0, lambda o: status(o).get("phase", "Active")),
            AGE,
        ),
        field_labels=frozenset({"status.phase"}),
        name_causes=meta.label_name,
        returns_deleted=True,
        shape={"spec": {}, "status": {}},
    ),
)
