"""The scheduler (binds every pod to the one node) and the PVC binder."""

from __future__ import annotations

from sandbox.client.api import ApiError, obj_path
from sandbox.client.objects import NODE_NAME, Obj
from sandbox.client.view import ClusterView


async def schedule_pod(cluster: ClusterView, pod: Obj) -> None:
    """Bind an unscheduled pod to the node: the binding subresource, or a patch when absent."""
    if pod["spec"].get("nodeName") or pod["metadata"].get("deletionTimestamp"):
        return
    meta = pod["metadata"]
    binding = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
        "target": {"apiVersion": "v1", "kind": "Node", "name": NODE_NAME},
    }
    message = f"Successfully assigned {meta['namespace']}/{meta['name']} to {NODE_NAME}"
    await cluster.event(pod, "Scheduled", message, component="default-scheduler")
    try:
        await cluster.api.create(obj_path("pods", pod, "binding"), binding)
    except ApiError as exc:
        if exc.status not in (404, 405):
            raise
        if await cluster.patch("pods", pod, {"spec": {"nodeName": NODE_NAME}}) is None:
            return


async def bind_claim(cluster: ClusterView, claim: Obj) -> None:
    """Mark a PersistentVolumeClaim Bound (its folder is made when a pod first mounts it)."""
    status = claim.get("status") or {}
    if status.get("phase") == "Bound" or claim["metadata"].get("deletionTimestamp"):
        return
    spec = claim.get("spec") or {}
    storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
    bound = {
        "phase": "Bound",
        "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
        "capacity": {"storage": storage},
    }
    await cluster.write_status("persistentvolumeclaims", claim, bound)
