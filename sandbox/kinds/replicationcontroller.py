"""ReplicationController: a ReplicaSet with a map selector (core/v1), `kubectl get rc`."""

from __future__ import annotations

from typing import Any

from sandbox.apiserver.errors import cause
from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Cause, Column, Strategy
from sandbox.apiserver.structs import POD_TEMPLATE
from sandbox.kinds.common import AGE, NAME, REPLICA_COUNTS, TEMPLATE_WIDE, required, spec
from sandbox.kinds.podspec import pod_spec_causes, pod_spec_defaults

Obj = dict[str, Any]


def _labels(obj: Obj) -> dict[str, str]:
    template = spec(obj).get("template") or {}
    return dict((template.get("metadata") or {}).get("labels") or {})


def defaults(obj: Obj, _old: Obj | None) -> None:
    """One replica; selector and labels from the template's labels when left out."""
    rc_spec = obj.setdefault("spec", {})
    rc_spec.setdefault("replicas", 1)
    if not rc_spec.get("selector") and _labels(obj):
        rc_spec["selector"] = _labels(obj)
    if not obj["metadata"].get("labels") and _labels(obj):
        obj["metadata"]["labels"] = _labels(obj)
    template = rc_spec.get("template")
    if isinstance(template, dict):
        pod_spec_defaults(template.setdefault("spec", {}))


def validate(obj: Obj) -> list[Cause]:
    """A selector, a template whose labels it matches (restarted Always)."""
    rc_spec = spec(obj)
    selector = rc_spec.get("selector") or {}
    if not selector:
        return [required("spec.selector")]
    template = rc_spec.get("template")
    if template is None:
        return [required("spec.template")]
    causes = pod_spec_causes(template.get("spec"), "spec.template.spec")
    labels = _labels(obj)
    if any(labels.get(k) != v for k, v in selector.items()):
        message = f"Invalid value: {labels}: `selector` does not match template `labels`"
        causes.append(cause("spec.template.metadata.labels", "FieldValueInvalid", message))
    policy = (template.get("spec") or {}).get("restartPolicy", "Always")
    if policy != "Always":
        message = f'Unsupported value: "{policy}": supported values: "Always"'
        causes.append(cause("spec.template.spec.restartPolicy", "FieldValueNotSupported", message))
    return causes


def selector_text(obj: Obj) -> str:
    """The map selector as `k=v,...` (the Scale's status.selector, the SELECTOR column)."""
    return ",".join(f"{k}={v}" for k, v in sorted((spec(obj).get("selector") or {}).items()))


KIND = ResourceType(
    "",
    "v1",
    "ReplicationController",
    "replicationcontrollers",
    short_names=("rc",),
    status=True,
    scale=True,
    generation=True,
    categories=("all",),
    strategy=Strategy(
        defaults=defaults,
        validate=validate,
        columns=(
            NAME,
            *REPLICA_COUNTS,
            AGE,
            *TEMPLATE_WIDE[:2],
            Column("Selector", "string", 1, lambda o: selector_text(o) or "<none>"),
        ),
        field_labels=frozenset({"status.replicas"}),
        omit_zero_status=(
            "fullyLabeledReplicas",
            "readyReplicas",
            "availableReplicas",
            "observedGeneration",
        ),
        scale_selector=selector_text,
        shape={"spec": {"template?": POD_TEMPLATE}, "status": {"replicas": 0}},
    ),
)
