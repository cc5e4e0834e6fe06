"""DaemonSet: one pod per node that should run it, `kubectl get daemonsets`."""

from __future__ import annotations

from typing import Any

from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Cause, Column, Strategy, immutable_fields
from sandbox.apiserver.structs import POD_TEMPLATE
from sandbox.kinds.common import AGE, NAME, TEMPLATE_WIDE, spec, status
from sandbox.kinds.podspec import template_causes, template_defaults

Obj = dict[str, Any]
COUNTERS = ("currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady")
SHAPE = {
    "spec": {"template": POD_TEMPLATE, "updateStrategy": {}},
    "status": dict.fromkeys(COUNTERS, 0),
}


def defaults(obj: Obj, _old: Obj | None) -> None:
    """RollingUpdate one node at a time without surge; ten revisions kept."""
    ds_spec = template_defaults(obj)
    ds_spec.setdefault("revisionHistoryLimit", 10)
    strategy = ds_spec.setdefault("updateStrategy", {})
    if strategy.setdefault("type", "RollingUpdate") == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", 1)
        rolling.setdefault("maxSurge", 0)


def validate(obj: Obj) -> list[Cause]:
    """A pod template its selector matches, restarted Always."""
    return template_causes(obj, ("Always",), selector_required=True)


def _node_selector(obj: Obj) -> str:
    template = spec(obj).get("template") or {}
    selector = (template.get("spec") or {}).get("nodeSelector") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "<none>"


def _count(key: str) -> Any:
    return lambda o: status(o).get(key, 0)


KIND = ResourceType(
    "apps",
    "v1",
    "DaemonSet",
    "daemonsets",
    short_names=("ds",),
    status=True,
    generation=True,
    categories=("all",),
    strategy=Strategy(
        defaults=defaults,
        validate=validate,
        immutable=immutable_fields("spec.selector"),
        columns=(
            NAME,
            Column("Desired", "integer", 0, _count("desiredNumberScheduled")),
            Column("Current", "integer", 0, _count("currentNumberScheduled")),
            Column("Ready", "integer", 0, _count("numberReady")),
            Column("Up-to-date", "integer", 0, _count("updatedNumberScheduled")),
            Column("Available", "integer", 0, _count("numberAvailable")),
            Column("Node Selector", "string", 0, _node_selector),
            AGE,
            *TEMPLATE_WIDE,
        ),
        omit_zero_status=(
            "numberAvailable",
            "numberUnavailable",
            "updatedNumberScheduled",
            "observedGeneration",
        ),
        shape=SHAPE,
    ),
)
