"""StatefulSet: ordered pods with stable names and claims, `kubectl get statefulsets`."""

from __future__ import annotations

from typing import Any

from sandbox.apiserver.errors import cause
from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Cause, Strategy
from sandbox.apiserver.structs import POD_TEMPLATE
from sandbox.kinds.common import AGE, NAME, READY_OF_REPLICAS, TEMPLATE_WIDE, required, spec
from sandbox.kinds.podspec import template_causes, template_defaults

Obj = dict[str, Any]
MUTABLE = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)
FORBIDDEN = (
    "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', "
    "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
    "'minReadySeconds' are forbidden"
)
SHAPE = {
    "spec": {
        "template": POD_TEMPLATE,
        "serviceName": "",
        "updateStrategy": {},
        "volumeClaimTemplates[]": {"metadata": {}, "spec": {"resources": {}}, "status": {}},
    },
    "status": {"replicas": 0, "availableReplicas": 0},
}


def defaults(obj: Obj, _old: Obj | None) -> None:
    """One replica, OrderedReady, RollingUpdate from partition 0, claims kept (Retain)."""
    set_spec = template_defaults(obj)
    set_spec.setdefault("replicas", 1)
    set_spec.setdefault("podManagementPolicy", "OrderedReady")
    set_spec.setdefault("revisionHistoryLimit", 10)
    strategy = set_spec.setdefault("updateStrategy", {})
    if strategy.setdefault("type", "RollingUpdate") == "RollingUpdate":
        strategy.setdefault("rollingUpdate", {}).setdefault("partition", 0)
    policy = set_spec.setdefault("persistentVolumeClaimRetentionPolicy", {})
    policy.setdefault("whenDeleted", "Retain")
    policy.setdefault("whenScaled", "Retain")
    for claim in set_spec.get("volumeClaimTemplates") or []:
        claim.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")
        claim.setdefault("status", {}).setdefault("phase", "Pending")


def validate(obj: Obj) -> list[Cause]:
    """A pod template its selector matches, restarted Always; every claim template named."""
    causes = template_causes(obj, ("Always",), selector_required=True)
    for index, claim in enumerate(spec(obj).get("volumeClaimTemplates") or []):
        if not (claim.get("metadata") or {}).get("name"):
            causes.append(required(f"spec.volumeClaimTemplates[{index}].metadata.name"))
    return causes


def immutable(old: Obj, new: Obj) -> list[Cause]:
    """Only replicas, ordinals, template, updateStrategy, claim retention and minReadySeconds."""

    def view(obj: Obj) -> Obj:
        return {k: v for k, v in spec(obj).items() if k not in MUTABLE}

    return [] if view(old) == view(new) else [cause("spec", "FieldValueForbidden", FORBIDDEN)]


KIND = ResourceType(
    "apps",
    "v1",
    "StatefulSet",
    "statefulsets",
    short_names=("sts",),
    status=True,
    scale=True,
    generation=True,
    categories=("all",),
    strategy=Strategy(
        defaults=defaults,
        validate=validate,
        immutable=immutable,
        columns=(NAME, READY_OF_REPLICAS, AGE, *TEMPLATE_WIDE[:2]),
        omit_zero_status=(
            "readyReplicas",
            "currentReplicas",
            "updatedReplicas",
            "observedGeneration",
        ),
        shape=SHAPE,
    ),
)
