"""ReplicaSet: one replica by default, its pod template, `kubectl get replicasets`."""

from __future__ import annotations

from typing import Any

from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Cause, Strategy, immutable_fields
from sandbox.apiserver.structs import POD_TEMPLATE
from sandbox.kinds.common import AGE, NAME, REPLICA_COUNTS, TEMPLATE_WIDE
from sandbox.kinds.podspec import template_causes, template_defaults

Obj = dict[str, Any]


def defaults(obj: Obj, _old: Obj | None) -> None:
    """One replica, and the pod template's defaults."""
    obj.setdefault("spec", {}).setdefault("replicas", 1)
    template_defaults(obj)


def validate(obj: Obj) -> list[Cause]:
    """A pod template its selector matches, restarted Always."""
    return template_causes(obj, ("Always",), selector_required=True)


KIND = ResourceType(
    "apps",
    "v1",
    "ReplicaSet",
    "replicasets",
    short_names=("rs",),
    status=True,
    scale=True,
    generation=True,
    categories=("all",),
    strategy=Strategy(
        defaults=defaults,
        validate=validate,
        immutable=immutable_fields("spec.selector"),
        columns=(
            NAME,
            *REPLICA_COUNTS,
            AGE,
            *TEMPLATE_WIDE,
        ),
        field_labels=frozenset({"status.replicas"}),
        omit_zero_status=(
            "fullyLabeledReplicas",
            "readyReplicas",
            "availableReplicas",
            "observedGeneration",
        ),
        shape={"spec": {"template": POD_TEMPLATE}, "status": {"replicas": 0}},
    ),
)
