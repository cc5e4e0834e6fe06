"""Pod: PodSpec defaults, what an update may change, graceful deletion, `kubectl get pods`."""

from __future__ import annotations

from typing import Any

from sandbox.apiserver import tables
from sandbox.apiserver.errors import cause
from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Cause, Column, Strategy, Subresource
from sandbox.apiserver.structs import POD_SPEC
from sandbox.kinds.common import AGE, NAME, spec, status
from sandbox.kinds.podspec import pod_spec_causes, pod_spec_defaults

Obj = dict[str, Any]
# ContainerStatus: states are structs; name, ready, restartCount, image and imageID no omitempty
CONTAINER_STATUS = {
    "name": "",
    "state": {},
    "lastState": {},
    "ready": False,
    "restartCount": 0,
    "image": "",
    "imageID": "",
}
SHAPE = {
    "spec": POD_SPEC,
    "status": {
        "conditions[]": {"lastProbeTime": None, "lastTransitionTime": None},
        "containerStatuses[]": CONTAINER_STATUS,
        "initContainerStatuses[]": CONTAINER_STATUS,
        "ephemeralContainerStatuses[]": CONTAINER_STATUS,
    },
}
MUTABLE = ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds")
FORBIDDEN = (
    "Forbidden: pod updates may not change fields other than `spec.containers[*].image`, "
    "`spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` "
    "(only additions to existing tolerations) or `spec.terminationGracePeriodSeconds`"
)


def defaults(obj: Obj, old: Obj | None) -> None:
    """PodSpec defaults; a new pod starts Pending with the BestEffort QoS class."""
    pod_spec_defaults(obj.setdefault("spec", {}))
    if old is None:
        obj.setdefault("status", {}).setdefault("phase", "Pending")
        obj["status"].setdefault("qosClass", "BestEffort")


def validate(obj: Obj) -> list[Cause]:
    """The PodSpec's causes."""
    return pod_spec_causes(obj.get("spec"), "spec")


def _spec_view(pod_spec: Obj) -> Obj:
    view = {k: v for k, v in pod_spec.items() if k not in (*MUTABLE, "nodeName")}
    for key in ("containers", "initContainers"):
        view[key] = [{k: v for k, v in c.items() if k != "image"} for c in pod_spec.get(key) or []]
    return view


def immutable(old: Obj, new: Obj) -> list[Cause]:
    """Only images, the deadline, tolerations and the grace period change; nodeName once."""
    old_spec, new_spec = spec(old), spec(new)
    changed = _spec_view(old_spec) != _spec_view(new_spec)
    if old_spec.get("nodeName") and new_spec.get("nodeName") != old_spec.get("nodeName"):
        changed = True
    return [cause("spec", "FieldValueForbidden", FORBIDDEN)] if changed else []


def deletion_grace(obj: Obj) -> int | None:
    """A pod bound to a node and not finished goes gracefully (terminationGracePeriodSeconds)."""
    phase = status(obj).get("phase")
    if not spec(obj).get("nodeName") or phase in ("Succeeded", "Failed"):
        return None
    return obj["spec"].get("terminationGracePeriodSeconds", 30)


def pod_state(obj: Obj) -> tuple[int, int, str, int]:
    """(ready containers, total, STATUS text, restarts) as `kubectl get pods` shows them."""
    pod_status = status(obj)
    reason = pod_status.get("reason") or pod_status.get("phase") or "Pending"
    ready = restarts = 0
    running = False
    for cs in reversed(pod_status.get("containerStatuses") or []):
        restarts += cs.get("restartCount", 0)
        state = cs.get("state") or {}
        waiting, terminated = state.get("waiting"), state.get("terminated")
        if waiting and waiting.get("reason"):
            reason = waiting["reason"]
        elif terminated and terminated.get("reason"):
            reason = terminated["reason"]
        elif terminated:
            signal = terminated.get("signal")
            reason = f"Signal:{signal}" if signal else f"ExitCode:{terminated.get('exitCode', 0)}"
        elif cs.get("ready") and "running" in state:
            running = True
            ready += 1
    if reason == "Completed" and running:
        ready_cond = any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in pod_status.get("conditions") or []
        )
        reason = "Running" if ready_cond else "NotReady"
    if obj["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    return ready, len(spec(obj).get("containers") or []), reason, restarts


def _restarts(obj: Obj) -> str:
    restarts = pod_state(obj)[3]
    last = [
        ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        for cs in status(obj).get("containerStatuses") or []
    ]
    last = sorted(t for t in last if t)
    return f"{restarts} ({tables.age(last[-1])} ago)" if restarts and last else str(restarts)


KIND = ResourceType(
    "",
    "v1",
    "Pod",
    "pods",
    short_names=("po",),
    status=True,
    generation=True,
    categories=("all",),
    strategy=Strategy(
        defaults=defaults,
        validate=validate,
        immutable=immutable,
        columns=(
            NAME,
            Column("Ready", "string", 0, lambda o: "{}/{}".format(*pod_state(o)[:2])),
            Column("Status", "string", 0, lambda o: pod_state(o)[2]),
            Column("Restarts", "string", 0, _restarts),
            AGE,
            Column("IP", "string", 1, lambda o: status(o).get("podIP", "<none>")),
            Column("Node", "string", 1, lambda o: spec(o).get("nodeName", "<none>")),
        ),
        field_labels=frozenset(
            {
                "spec.nodeName",
                "spec.restartPolicy",
                "spec.schedulerName",
                "spec.serviceAccountName",
                "status.phase",
                "status.podIP",
                "status.nominatedNodeName",
            }
        ),
        returns_deleted=True,
        deletion_grace=deletion_grace,
        subresources=(Subresource("binding", "Binding", ("create",)),),
        shape=SHAPE,
    ),
)
