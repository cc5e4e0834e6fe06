"""What the kind modules share: table cells, the usual columns, a few rules."""

from __future__ import annotations

from typing import Any

from sandbox.apiserver import tables
from sandbox.apiserver.errors import cause
from sandbox.apiserver.strategy import Cause, Cell, Column

Obj = dict[str, Any]


def name(obj: Obj) -> str:
    """The object's name."""
    return str(obj["metadata"]["name"])


def age(obj: Obj) -> Any:
    """The age cell of the object."""
    return tables.age(obj["metadata"].get("creationTimestamp"))


def created(obj: Obj) -> Any:
    """The creation timestamp (for `date` columns)."""
    return obj["metadata"].get("creationTimestamp")


def spec(obj: Obj) -> dict[str, Any]:
    """The spec, {} when missing."""
    return obj.get("spec") or {}


def status(obj: Obj) -> dict[str, Any]:
    """The status, {} when missing."""
    return obj.get("status") or {}


def constant(value: Any) -> Cell:
    """A cell that always shows the same value."""
    return lambda _obj: value


def template_containers(obj: Obj, key: str) -> str:
    """The pod template's container names or images, comma-separated."""
    template = spec(obj).get("template") or {}
    return ",".join(c.get(key, "") for c in (template.get("spec") or {}).get("containers") or [])


def match_labels(selector: dict[str, Any] | None) -> str:
    """`k=v,...` of a label selector's matchLabels, or <none>."""
    labels = (selector or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in labels.items()) or "<none>"


def required(field: str) -> Cause:
    """The cause for a missing required field."""
    return cause(field, "FieldValueRequired", "Required value")


def frozen_data(old: Obj, new: Obj) -> list[Cause]:
    """With `immutable: true`, data, binaryData and immutable itself stay (ConfigMap, Secret)."""
    if not old.get("immutable"):
        return []
    message = "Forbidden: field is immutable when `immutable` is set"
    return [
        cause(key, "FieldValueForbidden", message)
        for key in ("data", "binaryData", "immutable")
        if old.get(key) != new.get(key)
    ]


def role_ref(obj: Obj) -> str:
    """The ROLE column of a binding: `Kind/name`."""
    ref = obj.get("roleRef") or {}
    return f"{ref.get('kind', '')}/{ref.get('name', '')}"


NAME = Column("Name", "string", 0, name)
AGE = Column("Age", "string", 0, age)
CREATED_AT = Column("Created At", "date", 0, created)
# the wide columns of the workload kinds that hold a pod template
TEMPLATE_WIDE = (
    Column("Containers", "string", 1, lambda o: template_containers(o, "name")),
    Column("Images", "string", 1, lambda o: template_containers(o, "image")),
    Column("Selector", "string", 1, lambda o: match_labels(spec(o).get("selector"))),
)
# DESIRED, CURRENT, READY of the kinds that keep spec.replicas pods (ReplicaSet, RC)
REPLICA_COUNTS = (
    Column("Desired", "integer", 0, lambda o: spec(o).get("replicas", 1)),
    Column("Current", "integer", 0, lambda o: status(o).get("replicas", 0)),
    Column("Ready", "integer", 0, lambda o: status(o).get("readyReplicas", 0)),
)
# READY as ready/desired (Deployments, StatefulSets)
READY_OF_REPLICAS = Column(
    "Ready",
    "string",
    0,
    lambda o: f"{status(o).get('readyReplicas', 0)}/{spec(o).get('replicas', 1)}",
)
ROLE = Column("Role", "string", 0, role_ref)  # of RoleBindings and ClusterRoleBindings
ROLE_REF = {"apiGroup": "", "kind": "", "name": ""}  # a binding's roleRef: no omitempty
