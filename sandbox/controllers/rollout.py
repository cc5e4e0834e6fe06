"""Pure Deployment rollout arithmetic, following the real deployment controller's rules."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

from sandbox.client.objects import Obj

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
_SAFE = "bcdfghjklmnpqrstvwxz2456789"


def template_hash(template: dict[str, Any], collision_count: int = 0) -> str:
    """FNV-1a of the pod template, encoded with Kubernetes' safe alphabet."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    value = 0x811C9DC5
    for byte in data + (str(collision_count).encode() if collision_count else b""):
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return "".join(_SAFE[ord(c) % len(_SAFE)] for c in str(value))


def scaled(value: Any, total: int, round_up: bool) -> int:
    """An IntOrString (e.g. 25%) against total replicas."""
    if isinstance(value, str) and value.endswith("%"):
        amount = int(value[:-1]) * total / 100
        return math.ceil(amount) if round_up else math.floor(amount)
    return int(value)


def fenceposts(deploy: Obj) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) resolved as integers; both zero becomes unavailable 1."""
    spec = deploy["spec"]
    replicas = int(spec.get("replicas", 1))
    rolling = (spec.get("strategy") or {}).get("rollingUpdate") or {}
    surge = scaled(rolling.get("maxSurge", "25%"), replicas, round_up=True)
    unavailable = scaled(rolling.get("maxUnavailable", "25%"), replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def spec_replicas(rs: Obj) -> int:
    """A ReplicaSet's desired replicas."""
    return int(rs.get("spec", {}).get("replicas", 0))


def status_of(rs: Obj, field: str) -> int:
    """A ReplicaSet status counter (0 when omitted)."""
    return int((rs.get("status") or {}).get(field, 0))


def new_rs_target(deploy: Obj, new_rs: Obj, all_rs: list[Obj]) -> int:
    """The replica count the new ReplicaSet should have now (RollingUpdate)."""
    replicas = int(deploy["spec"].get("replicas", 1))
    current = spec_replicas(new_rs)
    if current >= replicas:
        return replicas
    surge, _ = fenceposts(deploy)
    total = sum(spec_replicas(rs) for rs in all_rs)
    room = replicas + surge - total
    if room <= 0:
        return current
    return current + min(room, replicas - current)


def old_rs_targets(deploy: Obj, new_rs: Obj, old_rs: list[Obj]) -> dict[str, int]:
    """New replica counts for old ReplicaSets to scale down (RollingUpdate), by name."""
    replicas = int(deploy["spec"].get("replicas", 1))
    _, unavailable = fenceposts(deploy)
    active_old = [rs for rs in old_rs if spec_replicas(rs) > 0]
    all_count = sum(spec_replicas(rs) for rs in [*active_old, new_rs])
    min_available = replicas - unavailable
    new_unavailable = spec_replicas(new_rs) - status_of(new_rs, "availableReplicas")
    budget = all_count - min_available - new_unavailable
    targets: dict[str, int] = {}
    if budget <= 0:
        return targets
    oldest_first = sorted(active_old, key=lambda rs: rs["metadata"].get("creationTimestamp", ""))
    for rs in oldest_first:  # first drop pods that are not available anyway
        unhealthy = spec_replicas(rs) - status_of(rs, "availableReplicas")
        cut = min(max(unhealthy, 0), budget)
        if cut:
            targets[rs["metadata"]["name"]] = spec_replicas(rs) - cut
            budget -= cut
    available = sum(status_of(rs, "availableReplicas") for rs in [*active_old, new_rs])
    room = available - min_available
    for rs in oldest_first:
        if room <= 0:
            break
        name = rs["metadata"]["name"]
        current = targets.get(name, spec_replicas(rs))
        cut = min(current, room)
        if cut:
            targets[name] = current - cut
            room -= cut
    return targets


def rs_template(deploy: Obj, pod_hash: str) -> dict[str, Any]:
    """The deployment's pod template with the pod-template-hash label added."""
    template = copy.deepcopy(deploy["spec"].get("template") or {})
    meta = template.setdefault("metadata", {})
    meta["labels"] = {**(meta.get("labels") or {}), HASH_LABEL: pod_hash}
    return template


def rs_selector(deploy: Obj, pod_hash: str) -> dict[str, Any]:
    """The deployment's selector narrowed to one pod-template hash."""
    selector = copy.deepcopy(deploy["spec"].get("selector") or {})
    selector["matchLabels"] = {**(selector.get("matchLabels") or {}), HASH_LABEL: pod_hash}
    return selector


def revision_of(obj: Obj) -> int:
    """The deployment.kubernetes.io/revision annotation as a number."""
    try:
        return int((obj["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0
