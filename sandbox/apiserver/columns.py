"""Table columns of the built-in kinds, computed as kubectl's server-side printers do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Obj = dict[str, Any]
Column = tuple[str, str, int, Callable[[Obj], Any]]


def _age(obj: Obj, key: str = "creationTimestamp") -> Any:
    from sandbox.apiserver.tables import age

    return age(obj["metadata"].get(key))


def _name(obj: Obj) -> str:
    return obj["metadata"]["name"]


def _status(obj: Obj) -> dict[str, Any]:
    return obj.get("status") or {}


def _spec(obj: Obj) -> dict[str, Any]:
    return obj.get("spec") or {}


def pod_state(obj: Obj) -> tuple[int, int, str, int]:
    """(ready containers, total, STATUS text, restarts) as `kubectl get pods` shows them."""
    status = _status(obj)
    reason = status.get("reason") or status.get("phase") or "Pending"
    ready = restarts = 0
    running = False
    for cs in reversed(status.get("containerStatuses") or []):
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
            for c in status.get("conditions") or []
        )
        reason = "Running" if ready_cond else "NotReady"
    if obj["metadata"].get("deletionTimestamp"):
        reason = "Terminating"
    return ready, len(_spec(obj).get("containers") or []), reason, restarts


def _restarts(obj: Obj) -> str:
    from sandbox.apiserver.tables import age

    restarts = pod_state(obj)[3]
    last = [
        ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        for cs in _status(obj).get("containerStatuses") or []
    ]
    last = sorted(t for t in last if t)
    return f"{restarts} ({age(last[-1])} ago)" if restarts and last else str(restarts)


def _job_status(obj: Obj) -> str:
    conditions = {c.get("type"): c.get("status") for c in _status(obj).get("conditions") or []}
    for kind in ("Complete", "Failed"):
        if conditions.get(kind) == "True":
            return kind
    if obj["metadata"].get("deletionTimestamp"):
        return "Terminating"
    for kind in ("SuccessCriteriaMet", "FailureTarget", "Suspended"):
        if conditions.get(kind) == "True":
            return kind
    return "Running"


def _job_duration(obj: Obj) -> str:
    from sandbox.apiserver.tables import human_duration, since

    start = since(_status(obj).get("startTime"))
    end = since(_status(obj).get("completionTime"))
    if start is None:
        return ""
    return human_duration((start - (end or start * 0)).total_seconds())


def _ports(obj: Obj) -> str:
    parts = []
    for port in _spec(obj).get("ports") or []:
        node = f":{port['nodePort']}" if port.get("nodePort") else ""
        parts.append(f"{port.get('port')}{node}/{port.get('protocol', 'TCP')}")
    return ",".join(parts) or "<none>"


def _last_seen(obj: Obj) -> Any:
    from sandbox.apiserver.tables import age

    series = (obj.get("series") or {}).get("lastObservedTime")
    when = series or obj.get("lastTimestamp") or obj.get("eventTime")
    first = obj.get("firstTimestamp") or obj.get("eventTime")
    count = obj.get("count", 1)
    if count and count > 1 and first:
        return f"{age(when)} (x{count} over {age(first)})"
    return age(when)


def _event_object(obj: Obj) -> str:
    ref = obj.get("involvedObject") or {}
    return f"{str(ref.get('kind', '')).lower()}/{ref.get('name', '')}"


def _containers(obj: Obj, key: str) -> str:
    template = _spec(obj).get("template") or {}
    return ",".join(c.get(key, "") for c in (template.get("spec") or {}).get("containers") or [])


def _selector(obj: Obj) -> str:
    labels = (_spec(obj).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in labels.items()) or "<none>"


def _node_ready(obj: Obj) -> str:
    ready = [c for c in _status(obj).get("conditions") or [] if c.get("type") == "Ready"]
    return "Ready" if ready and ready[0].get("status") == "True" else "NotReady"


BUILTIN_COLUMNS: dict[str, list[Column]] = {
    "Pod": [
        ("Name", "string", 0, _name),
        ("Ready", "string", 0, lambda o: "{}/{}".format(*pod_state(o)[:2])),
        ("Status", "string", 0, lambda o: pod_state(o)[2]),
        ("Restarts", "string", 0, _restarts),
        ("Age", "string", 0, _age),
        ("IP", "string", 1, lambda o: _status(o).get("podIP", "<none>")),
        ("Node", "string", 1, lambda o: _spec(o).get("nodeName", "<none>")),
    ],
    "Deployment": [
        ("Name", "string", 0, _name),
        (
            "Ready",
            "string",
            0,
            lambda o: f"{_status(o).get('readyReplicas', 0)}/{_spec(o).get('replicas', 1)}",
        ),
        ("Up-to-date", "integer", 0, lambda o: _status(o).get("updatedReplicas", 0)),
        ("Available", "integer", 0, lambda o: _status(o).get("availableReplicas", 0)),
        ("Age", "string", 0, _age),
        ("Containers", "string", 1, lambda o: _containers(o, "name")),
        ("Images", "string", 1, lambda o: _containers(o, "image")),
        ("Selector", "string", 1, _selector),
    ],
    "ReplicaSet": [
        ("Name", "string", 0, _name),
        ("Desired", "integer", 0, lambda o: _spec(o).get("replicas", 1)),
        ("Current", "integer", 0, lambda o: _status(o).get("replicas", 0)),
        ("Ready", "integer", 0, lambda o: _status(o).get("readyReplicas", 0)),
        ("Age", "string", 0, _age),
        ("Containers", "string", 1, lambda o: _containers(o, "name")),
        ("Images", "string", 1, lambda o: _containers(o, "image")),
        ("Selector", "string", 1, _selector),
    ],
    "Job": [
        ("Name", "string", 0, _name),
        ("Status", "string", 0, _job_status),
        (
            "Completions",
            "string",
            0,
            lambda o: f"{_status(o).get('succeeded', 0)}/{_spec(o).get('completions', 1)}",
        ),
        ("Duration", "string", 0, _job_duration),
        ("Age", "string", 0, _age),
    ],
    "CronJob": [
        ("Name", "string", 0, _name),
        ("Schedule", "string", 0, lambda o: _spec(o).get("schedule", "")),
        ("Timezone", "string", 0, lambda o: _spec(o).get("timeZone", "<none>")),
        ("Suspend", "boolean", 0, lambda o: _spec(o).get("suspend", False)),
        ("Active", "integer", 0, lambda o: len(_status(o).get("active") or [])),
        (
            "Last Schedule",
            "string",
            0,
            lambda o: _age({"metadata": {"t": _status(o).get("lastScheduleTime")}}, "t"),
        ),
        ("Age", "string", 0, _age),
    ],
    "Service": [
        ("Name", "string", 0, _name),
        ("Type", "string", 0, lambda o: _spec(o).get("type", "ClusterIP")),
        ("Cluster-IP", "string", 0, lambda o: _spec(o).get("clusterIP", "<none>")),
        ("External-IP", "string", 0, lambda o: "<none>"),
        ("Port(s)", "string", 0, _ports),
        ("Age", "string", 0, _age),
        (
            "Selector",
            "string",
            1,
            lambda o: (
                ",".join(f"{k}={v}" for k, v in (_spec(o).get("selector") or {}).items())
                or "<none>"
            ),
        ),
    ],
    "Event": [
        ("Last Seen", "string", 0, _last_seen),
        ("Type", "string", 0, lambda o: o.get("type", "")),
        ("Reason", "string", 0, lambda o: o.get("reason", "")),
        ("Object", "string", 0, _event_object),
        ("Message", "string", 0, lambda o: o.get("message", "")),
        ("Name", "string", 1, _name),
    ],
    "Namespace": [
        ("Name", "string", 0, _name),
        ("Status", "string", 0, lambda o: _status(o).get("phase", "Active")),
        ("Age", "string", 0, _age),
    ],
    "ConfigMap": [
        ("Name", "string", 0, _name),
        ("Data", "integer", 0, lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {})),
        ("Age", "string", 0, _age),
    ],
    "Secret": [
        ("Name", "string", 0, _name),
        ("Type", "string", 0, lambda o: o.get("type", "Opaque")),
        ("Data", "integer", 0, lambda o: len(o.get("data") or {})),
        ("Age", "string", 0, _age),
    ],
    "PersistentVolumeClaim": [
        ("Name", "string", 0, _name),
        ("Status", "string", 0, lambda o: _status(o).get("phase", "Pending")),
        ("Volume", "string", 0, lambda o: _spec(o).get("volumeName", "")),
        ("Capacity", "string", 0, lambda o: (_status(o).get("capacity") or {}).get("storage", "")),
        (
            "Access Modes",
            "string",
            0,
            lambda o: ",".join(
                {
                    "ReadWriteOnce": "RWO",
                    "ReadOnlyMany": "ROX",
                    "ReadWriteMany": "RWX",
                    "ReadWriteOncePod": "RWOP",
                }.get(m, m)
                for m in _status(o).get("accessModes") or []
            ),
        ),
        ("StorageClass", "string", 0, lambda o: _spec(o).get("storageClassName", "<unset>")),
        ("VolumeAttributesClass", "string", 0, lambda o: "<unset>"),
        ("Age", "string", 0, _age),
    ],
    "Node": [
        ("Name", "string", 0, _name),
        ("Status", "string", 0, _node_ready),
        ("Roles", "string", 0, lambda o: "control-plane"),
        ("Age", "string", 0, _age),
        (
            "Version",
            "string",
            0,
            lambda o: (_status(o).get("nodeInfo") or {}).get("kubeletVersion", ""),
        ),
    ],
    "ServiceAccount": [
        ("Name", "string", 0, _name),
        ("Secrets", "integer", 0, lambda o: len(o.get("secrets") or [])),
        ("Age", "string", 0, _age),
    ],
    "CustomResourceDefinition": [
        ("Name", "string", 0, _name),
        ("Created At", "date", 0, lambda o: o["metadata"].get("creationTimestamp")),
    ],
}
