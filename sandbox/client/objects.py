"""Object helpers of the controllers and the kubelet: selectors, owners, conditions, times."""

from __future__ import annotations

import datetime
import json
from typing import Any

Obj = dict[str, Any]
NODE_NAME = "sandbox"  # the one node: events come from it, the scheduler binds every pod to it
# Where the kubelet reached each containerPort of a pod (read by the NodePort forwarder).
PORTS_ANNOTATION = "sandbox.myfoodbudget.dev/ports"
# Host ports on 127.0.0.1 a pod of the docker runtime may reach, besides the API server.
HOST_PORTS_ANNOTATION = "sandbox.myfoodbudget.dev/host-ports"


def now() -> datetime.datetime:
    """The current UTC time."""
    return datetime.datetime.now(datetime.UTC)


def timestamp(when: datetime.datetime | None = None) -> str:
    """RFC 3339 in whole seconds with Z, as Kubernetes writes metav1.Time."""
    return (when or now()).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | None) -> datetime.datetime | None:
    """Parse an RFC 3339 timestamp (Z or offset, optional fraction)."""
    if not value:
        return None
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


def age(value: str | None) -> float:
    """Seconds since an RFC 3339 timestamp (0 when missing)."""
    when = parse_time(value)
    return (now() - when).total_seconds() if when else 0.0


def _expression_matches(expr: dict[str, Any], labels: dict[str, str]) -> bool:
    """One matchExpressions entry (In, NotIn, Exists, DoesNotExist)."""
    key, op, values = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return key not in labels or labels[key] not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    return False


def selector_matches(selector: dict[str, Any] | None, labels: dict[str, str] | None) -> bool:
    """A metav1.LabelSelector against labels; an empty selector matches nothing here."""
    if not selector:
        return False
    labels = labels or {}
    match_labels = selector.get("matchLabels") or {}
    exprs = selector.get("matchExpressions") or []
    if not match_labels and not exprs:
        return False
    if any(labels.get(k) != v for k, v in match_labels.items()):
        return False
    return all(_expression_matches(e, labels) for e in exprs)


def controller_uid(obj: Obj) -> str | None:
    """The uid of the object's controlling owner."""
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return str(ref.get("uid"))
    return None


def owner_ref(owner: Obj) -> dict[str, Any]:
    """A controller ownerReference pointing at owner."""
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def owned(objs: list[Obj], owner: Obj) -> list[Obj]:
    """Objects controlled by owner."""
    uid = owner["metadata"]["uid"]
    return [o for o in objs if controller_uid(o) == uid]


def get_condition(status: dict[str, Any], kind: str) -> dict[str, Any] | None:
    """The condition of that type, if present."""
    for cond in status.get("conditions") or []:
        if cond.get("type") == kind:
            return dict(cond)
    return None


def set_condition(
    status: dict[str, Any], cond: dict[str, Any], *, with_update: bool, touch: bool = False
) -> None:
    """Upsert a condition; lastTransitionTime moves only when the status flips.

    with_update keeps a lastUpdateTime (Deployment conditions), unchanged while the reason and
    message stay the same, unless touch says the condition was just re-asserted.
    """
    conditions = list(status.get("conditions") or [])
    old = next((c for c in conditions if c.get("type") == cond["type"]), None)
    stamp = timestamp()
    new = dict(cond)
    if old is not None and old.get("status") == new["status"]:
        new["lastTransitionTime"] = old.get("lastTransitionTime", stamp)
        same_text = old.get("reason") == new.get("reason") and old.get("message") == new.get(
            "message"
        )
        if with_update and same_text and not touch:
            new["lastUpdateTime"] = old.get("lastUpdateTime", stamp)
    else:
        new["lastTransitionTime"] = stamp
    if with_update and "lastUpdateTime" not in new:
        new["lastUpdateTime"] = stamp
    status["conditions"] = (
        [new if c is old else c for c in conditions] if old else [*conditions, new]
    )


def is_pod_ready(pod: Obj) -> bool:
    """The pod's Ready condition is True."""
    cond = get_condition(pod.get("status") or {}, "Ready")
    return bool(cond and cond.get("status") == "True")


def is_pod_active(pod: Obj) -> bool:
    """Not finished and not being deleted."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not pod["metadata"].get("deletionTimestamp")


def is_pod_available(pod: Obj, min_ready_seconds: int) -> bool:
    """Ready for at least min_ready_seconds."""
    if not is_pod_ready(pod):
        return False
    if min_ready_seconds <= 0:
        return True
    cond = get_condition(pod.get("status") or {}, "Ready") or {}
    return age(cond.get("lastTransitionTime")) >= min_ready_seconds


def pod_ports(pod: Obj) -> dict[str, int]:
    """The kubelet's port allocation of a pod: container port name or number -> localhost port."""
    raw = (pod["metadata"].get("annotations") or {}).get(PORTS_ANNOTATION)
    try:
        return {str(k): int(v) for k, v in json.loads(raw).items()} if raw else {}
    except (ValueError, AttributeError):
        return {}
