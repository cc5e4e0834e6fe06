"""Node: cluster-scoped, `kubectl get nodes` (the sandbox has one, created at start)."""

from __future__ import annotations

from typing import Any

from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Column, Strategy
from sandbox.kinds.common import AGE, NAME, constant, status

Obj = dict[str, Any]


def _ready(obj: Obj) -> str:
    ready = [c for c in status(obj).get("conditions") or [] if c.get("type") == "Ready"]
    return "Ready" if ready and ready[0].get("status") == "True" else "NotReady"


def _version(obj: Obj) -> str:
    return str((status(obj).get("nodeInfo") or {}).get("kubeletVersion", ""))


KIND = ResourceType(
    "",
    "v1",
    "Node",
    "nodes",
    namespaced=False,
    short_names=("no",),
    status=True,
    strategy=Strategy(
        columns=(
            NAME,
            Column("Status", "string", 0, _ready),
            Column("Roles", "string", 0, constant("control-plane")),
            AGE,
            Column("Version", "string", 0, _version),
        ),
        field_labels=frozenset({"spec.unschedulable"}),
        returns_deleted=True,
    ),
)
