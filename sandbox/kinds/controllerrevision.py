"""ControllerRevision: the template history of StatefulSets and DaemonSets (`rollout history`)."""

from __future__ import annotations

from typing import Any

from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Column, Strategy, immutable_fields
from sandbox.kinds.common import AGE, NAME

Obj = dict[str, Any]


def _controller(obj: Obj) -> str:
    """`<kind>.<group>/<name>` of the controlling owner, as `kubectl get` prints it."""
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            group = str(ref.get("apiVersion", "")).rpartition("/")[0]
            kind = str(ref.get("kind", "")).lower()
            return f"{kind}.{group}/{ref.get('name')}" if group else f"{kind}/{ref.get('name')}"
    return "<none>"


KIND = ResourceType(
    "apps",
    "v1",
    "ControllerRevision",
    "controllerrevisions",
    strategy=Strategy(
        immutable=immutable_fields("data"),
        columns=(
            NAME,
            Column("Controller", "string", 0, _controller),
            Column("Revision", "integer", 0, lambda o: o.get("revision", 0)),
            AGE,
        ),
        shape={"data": None, "revision": 0},
    ),
)
