"""Pure computation of a Deployment's status, as the real deployment controller does it."""

from __future__ import annotations

from typing import Any

from sandbox.client.objects import Obj, age, get_condition, set_condition, timestamp
from sandbox.controllers.rollout import fenceposts, spec_replicas, status_of

COUNTERS = (
    "replicas",
    "updatedReplicas",
    "readyReplicas",
    "availableReplicas",
    "unavailableReplicas",
)


def max_unavailable(deploy: Obj) -> int:
    """maxUnavailable for the Available condition: 0 for Recreate, capped at replicas."""
    replicas = int(deploy["spec"].get("replicas", 1))
    strategy = (deploy["spec"].get("strategy") or {}).get("type", "RollingUpdate")
    if strategy != "RollingUpdate" or replicas == 0:
        return 0
    return min(fenceposts(deploy)[1], replicas)


def counters(new_rs: Obj | None, all_rs: list[Obj]) -> dict[str, int]:
    """The replica counters summed over the ReplicaSets."""
    available = sum(status_of(rs, "availableReplicas") for rs in all_rs)
    return {
        "replicas": sum(status_of(rs, "replicas") for rs in all_rs),
        "updatedReplicas": status_of(new_rs, "replicas") if new_rs else 0,
        "readyReplicas": sum(status_of(rs, "readyReplicas") for rs in all_rs),
        "availableReplicas": available,
        "unavailableReplicas": max(0, sum(spec_replicas(rs) for rs in all_rs) - available),
    }


def is_complete(deploy: Obj, status: dict[str, Any]) -> bool:
    """Every replica updated and available, nothing old left, generation observed."""
    want = int(deploy["spec"].get("replicas", 1))
    return (
        status.get("updatedReplicas", 0) == want
        and status.get("replicas", 0) == want
        and status.get("availableReplicas", 0) == want
        and status.get("observedGeneration", 0) >= deploy["metadata"].get("generation", 1)
    )


def made_progress(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Counts moved toward the goal since the last status."""
    old_old = old.get("replicas", 0) - old.get("updatedReplicas", 0)
    new_old = new.get("replicas", 0) - new.get("updatedReplicas", 0)
    return (
        new.get("updatedReplicas", 0) > old.get("updatedReplicas", 0)
        or new_old < old_old
        or new.get("readyReplicas", 0) > old.get("readyReplicas", 0)
        or new.get("availableReplicas", 0) > old.get("availableReplicas", 0)
    )


def _progressing(status: str, reason: str, message: str) -> dict[str, Any]:
    """A Progressing condition with a fresh lastUpdateTime."""
    return {
        "type": "Progressing",
        "status": status,
        "reason": reason,
        "message": message,
        "lastUpdateTime": timestamp(),
    }


def update_progressing(deploy: Obj, status: dict[str, Any], rs_name: str, found: str) -> None:
    """Set Progressing per the real rules; `found` is "created"/"found" for a new RS."""
    old = deploy.get("status") or {}
    cond = get_condition(status, "Progressing")
    deadline = deploy["spec"].get("progressDeadlineSeconds", 600)
    if found == "created":
        set_condition(
            status,
            _progressing("True", "NewReplicaSetCreated", f'Created new replica set "{rs_name}"'),
            with_update=True,
            touch=True,
        )
    elif found == "found" and cond is None:
        set_condition(
            status,
            _progressing("True", "FoundNewReplicaSet", f'Found new replica set "{rs_name}"'),
            with_update=True,
        )
    elif is_complete(deploy, status):
        if cond is None or cond.get("reason") != "NewReplicaSetAvailable":
            message = f'ReplicaSet "{rs_name}" has successfully progressed.'
            set_condition(
                status, _progressing("True", "NewReplicaSetAvailable", message), with_update=True
            )
    elif made_progress(old, status) or cond is None:
        message = f'ReplicaSet "{rs_name}" is progressing.'
        progressing = _progressing("True", "ReplicaSetUpdated", message)
        set_condition(status, progressing, with_update=True, touch=True)
    elif cond.get("reason") not in ("NewReplicaSetAvailable", "ProgressDeadlineExceeded") and (
        age(cond.get("lastUpdateTime")) > deadline
    ):
        message = f'ReplicaSet "{rs_name}" has timed out progressing.'
        set_condition(
            status, _progressing("False", "ProgressDeadlineExceeded", message), with_update=True
        )


def compute_status(
    deploy: Obj, new_rs: Obj | None, all_rs: list[Obj], found: str = ""
) -> dict[str, Any]:
    """The full status to write: counters (zeros omitted), observedGeneration, conditions."""
    old = deploy.get("status") or {}
    status: dict[str, Any] = {k: v for k, v in old.items() if k not in COUNTERS}
    status.update({k: v for k, v in counters(new_rs, all_rs).items() if v})
    status["observedGeneration"] = deploy["metadata"].get("generation", 1)
    want = int(deploy["spec"].get("replicas", 1))
    if status.get("availableReplicas", 0) >= want - max_unavailable(deploy):
        available = {
            "type": "Available",
            "status": "True",
            "reason": "MinimumReplicasAvailable",
            "message": "Deployment has minimum availability.",
        }
    else:
        available = {
            "type": "Available",
            "status": "False",
            "reason": "MinimumReplicasUnavailable",
            "message": "Deployment does not have minimum availability.",
        }
    set_condition(status, available, with_update=True)
    cond = get_condition(status, "Progressing") or {}
    if deploy["spec"].get("paused"):
        paused = _progressing("Unknown", "DeploymentPaused", "Deployment is paused")
        set_condition(status, paused, with_update=True)
    elif cond.get("reason") == "DeploymentPaused":
        resumed = _progressing("Unknown", "DeploymentResumed", "Deployment is resumed")
        set_condition(status, resumed, with_update=True, touch=True)
    elif new_rs is not None:
        update_progressing(deploy, status, new_rs["metadata"]["name"], found)
    return status
