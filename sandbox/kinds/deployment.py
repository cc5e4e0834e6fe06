"""Deployment: defaults (RollingUpdate 25%/25%), its pod template, `kubectl get deployments`."""

from __future__ import annotations

from typing import Any

from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Cause, Column, Strategy, immutable_fields
from sandbox.apiserver.structs import POD_TEMPLATE
from sandbox.kinds.common import AGE, NAME, READY_OF_REPLICAS, TEMPLATE_WIDE, status
from sandbox.kinds.podspec import template_causes, template_defaults

Obj = dict[str, Any]


def defaults(obj: Obj, _old: Obj | None) -> None:
    """Replicas, history, progress deadline, the strategy and the pod template's defaults."""
    deploy_spec = obj.setdefault("spec", {})
    deploy_spec.setdefault("replicas", 1)
    deploy_spec.setdefault("revisionHistoryLimit", 10)
    deploy_spec.setdefault("progressDeadlineSeconds", 600)
    strategy = deploy_spec.setdefault("strategy", {"type": "RollingUpdate"})
    if strategy.setdefault("type", "RollingUpdate") == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxSurge", "25%")
        rolling.setdefault("maxUnavailable", "25%")
    template_defaults(obj)


def validate(obj: Obj) -> list[Cause]:
    """A pod template its selector matches, restarted Always."""
    return template_causes(obj, ("Always",), selector_required=True)


KIND = ResourceType(
    "apps",
    "v1",
    "Deployment",
    "deployments",
    short_names=("deploy",),
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
            READY_OF_REPLICAS,
            Column("Up-to-date", "integer", 0, lambda o: status(o).get("updatedReplicas", 0)),
            Column("Available", "integer", 0, lambda o: status(o).get("availableReplicas", 0)),
            AGE,
            *TEMPLATE_WIDE,
        ),
        omit_zero_status=(
            "replicas",
            "updatedReplicas",
            "readyReplicas",
            "availableReplicas",
            "unavailableReplicas",
            "observedGeneration",
            "collisionCount",
        ),
        annotations_bump_generation=True,
        shape={"spec": {"template": POD_TEMPLATE, "strategy": {}}, "status": {}},
    ),
)
