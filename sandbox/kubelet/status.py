"""Pure computation of a pod's phase and conditions from its container statuses."""

from __future__ import annotations

from typing import Any

from sandbox.client.objects import set_condition

NODE_IP = "127.0.0.1"


def pod_phase(restart_policy: str, statuses: list[dict[str, Any]]) -> str:
    """The pod phase by the kubelet's rules (getPhase)."""
    running = stopped = succeeded = waiting = 0
    for status in statuses:
        state = status.get("state") or {}
        if "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            succeeded += int(state["terminated"].get("exitCode", 1) == 0)
        elif (status.get("lastState") or {}).get("terminated"):
            stopped += 1
        else:
            waiting += 1
    if waiting or not statuses:
        return "Pending"
    if running:
        return "Running"
    if restart_policy == "Always":
        return "Running"
    if stopped == succeeded:
        return "Succeeded"
    return "Failed" if restart_policy == "Never" else "Running"


def _condition(kind: str, ok: bool, reason: str = "", message: str = "") -> dict[str, Any]:
    """A PodCondition."""
    cond: dict[str, Any] = {
        "type": kind,
        "status": "True" if ok else "False",
        "lastProbeTime": None,
    }
    if not ok and reason:
        cond.update(reason=reason, message=message)
    return cond


def init_phase(restart_policy: str, inits: list[dict[str, Any]]) -> str | None:
    """Pending while init containers run, Failed when one failed for good, else None."""
    codes = [(s.get("state") or {}).get("terminated", {}).get("exitCode") for s in inits]
    if all(code == 0 for code in codes):
        return None
    failed = any(code not in (None, 0) for code in codes)
    return "Failed" if failed and restart_policy == "Never" else "Pending"


def pod_conditions(
    old: dict[str, Any], phase: str, statuses: list[dict[str, Any]], initialized: bool = True
) -> list[dict[str, Any]]:
    """PodReadyToStartContainers, Initialized, Ready, ContainersReady, PodScheduled."""
    unready = [s["name"] for s in statuses if not s.get("ready")]
    finished = phase in ("Succeeded", "Failed")
    if finished:
        reason, message = "PodCompleted", ""
    else:
        reason, message = (
            "ContainersNotReady",
            f"containers with unready status: [{' '.join(unready)}]",
        )
    ready = not unready and not finished and bool(statuses)
    status: dict[str, Any] = {"conditions": list(old.get("conditions") or [])}
    wanted = [
        _condition("PodReadyToStartContainers", not finished),
        _condition(
            "Initialized",
            initialized,
            "ContainersNotInitialized",
            "containers with incomplete status: [init]",
        ),
        _condition("Ready", ready, reason, message),
        _condition("ContainersReady", ready, reason, message),
        _condition("PodScheduled", True),
    ]
    for cond in wanted:
        set_condition(status, cond, with_update=False)
    order = [c["type"] for c in wanted]
    return sorted(
        status["conditions"],
        key=lambda c: order.index(c["type"]) if c["type"] in order else len(order),
    )


def pod_status(
    old: dict[str, Any],
    restart_policy: str,
    statuses: list[dict[str, Any]],
    start_time: str,
    inits: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The whole pod status the kubelet reports."""
    blocked = init_phase(restart_policy, inits or [])
    phase = blocked or pod_phase(restart_policy, statuses)
    status: dict[str, Any] = {
        "phase": phase,
        "conditions": pod_conditions(old, phase, statuses, initialized=blocked is None),
        "hostIP": NODE_IP,
        "hostIPs": [{"ip": NODE_IP}],
        "podIP": NODE_IP,
        "podIPs": [{"ip": NODE_IP}],
        "startTime": start_time,
        "containerStatuses": statuses,
        "qosClass": old.get("qosClass", "BestEffort"),
    }
    if inits:
        status["initContainerStatuses"] = inits
    return status
