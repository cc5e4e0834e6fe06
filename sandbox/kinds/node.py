"""Node: cluster-scoped, `kubectl get nodes` (the sandbox has one, created at start)."""

from __future__ import annotations

from typing import Any

from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Column, Strategy
from sandbox.kinds.common import AGE, NAME, status

Obj = dict[str, Any]
ROLE_PREFIX = "node-role.kubernetes.io/"
NODE_INFO = (  # NodeSystemInfo: ten strings without omitempty, in Go's order
    "machineID",
    "systemUUID",
    "bootID",
    "kernelVersion",
    "osImage",
    "containerRuntimeVersion",
    "kubeletVersion",
    "kubeProxyVersion",
    "operatingSystem",
    "architecture",
)
SHAPE = {
    "spec": {},
    "status": {
        "conditions[]": {"lastHeartbeatTime": None, "lastTransitionTime": None},
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 0}},
        "nodeInfo": dict.fromkeys(NODE_INFO, ""),
    },
}


def _ready(obj: Obj) -> str:
    ready = [c for c in status(obj).get("conditions") or [] if c.get("type") == "Ready"]
    state = "Ready" if ready and ready[0].get("status") == "True" else "NotReady"
    return f"{state},SchedulingDisabled" if (obj.get("spec") or {}).get("unschedulable") else state


def _roles(obj: Obj) -> str:
    labels = obj["metadata"].get("labels") or {}
    roles = sorted(k.removeprefix(ROLE_PREFIX) for k in labels if k.startswith(ROLE_PREFIX))
    return ",".join(r for r in roles if r) or "<none>"


def _info(key: str) -> Column:
    return Column(key, "string", 0, lambda o: (status(o).get("nodeInfo") or {}).get(key, ""))


def _address(kind: str) -> Any:
    def cell(obj: Obj) -> str:
        found = [a for a in status(obj).get("addresses") or [] if a.get("type") == kind]
        return str(found[0].get("address", "")) if found else "<none>"

    return cell


KIND = ResourceType(
    "",
    "v1",
    "Node",
    "nodes",
    namespaced=False,
    short_names=("no",),
    status=True,
    strategy=Strategy(
        columns=(
            NAME,
            Column("Status", "string", 0, _ready),
            Column("Roles", "string", 0, _roles),
            AGE,
            _info("kubeletVersion")._replace(name="Version"),
            Column("Internal-IP", "string", 1, _address("InternalIP")),
            Column("External-IP", "string", 1, _address("ExternalIP")),
            _info("osImage")._replace(name="OS-Image", priority=1),
            _info("kernelVersion")._replace(name="Kernel-Version", priority=1),
            _info("containerRuntimeVersion")._replace(name="Container-Runtime", priority=1),
        ),
        field_labels=frozenset({"spec.unschedulable"}),
        returns_deleted=True,
        shape=SHAPE,
    ),
)
