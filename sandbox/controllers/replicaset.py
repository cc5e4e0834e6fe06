"""ReplicaSet controller: keeps the number of active owned pods at spec.replicas."""

from __future__ import annotations

import copy
import logging
from typing import Any

from sandbox.client.objects import (
    Obj,
    is_pod_active,
    is_pod_available,
    is_pod_ready,
    owned,
    owner_ref,
)
from sandbox.client.view import ClusterView

log = logging.getLogger(__name__)
COMPONENTS = {
    "replicasets": "replicaset-controller",
    "replicationcontrollers": "replication-controller",
}
BURST = 50
_PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


def build_pod(
    owner: Obj,
    template: dict[str, Any],
    generate_name: str,
    extra_labels: dict[str, str] | None = None,
) -> Obj:
    """A Pod from a pod template, controlled by owner."""
    meta = template.get("metadata") or {}
    labels = {**(meta.get("labels") or {}), **(extra_labels or {})}
    pod_meta: dict[str, Any] = {
        "generateName": generate_name,
        "namespace": owner["metadata"]["namespace"],
        "labels": labels,
        "ownerReferences": [owner_ref(owner)],
    }
    if meta.get("annotations"):
        pod_meta["annotations"] = dict(meta["annotations"])
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": pod_meta,
        "spec": copy.deepcopy(template.get("spec") or {}),
    }


def deletion_order(pods: list[Obj]) -> list[Obj]:
    """Pods in the real deletion order: unscheduled, pending, unready, newest first."""
    newest_first = sorted(
        pods, key=lambda p: p["metadata"].get("creationTimestamp", ""), reverse=True
    )

    def rank(pod: Obj) -> tuple[bool, int, bool]:
        phase = (pod.get("status") or {}).get("phase", "Pending")
        return bool(pod["spec"].get("nodeName")), _PHASE_RANK.get(phase, 0), is_pod_ready(pod)

    return sorted(newest_first, key=rank)


def rs_status(rs: Obj, pods: list[Obj]) -> dict[str, Any]:
    """ReplicaSet status from its active pods (zero counters omitted)."""
    labels = ((rs["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
    min_ready = int(rs["spec"].get("minReadySeconds", 0))
    full = [
        p
        for p in pods
        if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in labels.items())
    ]
    status: dict[str, Any] = {
        "replicas": len(pods),
        "fullyLabeledReplicas": len(full),
        "readyReplicas": sum(1 for p in pods if is_pod_ready(p)),
        "availableReplicas": sum(1 for p in pods if is_pod_available(p, min_ready)),
    }
    status = {k: v for k, v in status.items() if v}
    status["replicas"] = len(pods)
    status["observedGeneration"] = rs["metadata"].get("generation", 1)
    if (rs.get("status") or {}).get("conditions"):
        status["conditions"] = rs["status"]["conditions"]
    return status


async def sync_replicaset(cluster: ClusterView, rs: Obj, resource: str = "replicasets") -> None:
    """Create or delete pods toward spec.replicas, then write the status.

    ReplicationControllers (`resource="replicationcontrollers"`) follow the same rules.
    """
    namespace = rs["metadata"]["namespace"]
    pods = [p for p in owned(cluster.cache("pods").list(namespace), rs) if is_pod_active(p)]
    want = int(rs["spec"].get("replicas", 1))
    if not rs["metadata"].get("deletionTimestamp"):
        diff = len(pods) - want
        if diff < 0:
            template = rs["spec"].get("template") or {}
            for _ in range(min(-diff, BURST)):
                pod = await cluster.create(
                    "pods", namespace, build_pod(rs, template, f"{rs['metadata']['name']}-")
                )
                await cluster.event(
                    rs,
                    "SuccessfulCreate",
                    f"Created pod: {pod['metadata']['name']}",
                    component=COMPONENTS[resource],
                )
        elif diff > 0:
            for pod in deletion_order(pods)[:diff]:
                await cluster.delete("pods", pod)
                await cluster.event(
                    rs,
                    "SuccessfulDelete",
                    f"Deleted pod: {pod['metadata']['name']}",
                    component=COMPONENTS[resource],
                )
        pods = [p for p in owned(cluster.cache("pods").list(namespace), rs) if is_pod_active(p)]
    await cluster.write_status(resource, rs, rs_status(rs, pods))
