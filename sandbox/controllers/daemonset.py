"""DaemonSet controller: one pod on every node that should run it, as the real controller.

A node should run the pod when the template's nodeSelector matches its labels. Each pod is
pinned to its node with a required node affinity on `metadata.name`, tolerates the node
conditions a daemon must survive, and carries the template's hash (`controller-revision-hash`)
and `pod-template-generation`. A RollingUpdate replaces at most maxUnavailable pods at a time
(or, with maxSurge, starts the new pod before the old one goes); OnDelete waits for deletes.
"""

from __future__ import annotations

from typing import Any

from sandbox.client.objects import Obj, is_pod_available, is_pod_ready, owned
from sandbox.client.view import ClusterView
from sandbox.controllers.replicaset import build_pod
from sandbox.controllers.revisions import HASH_LABEL, Revisions, prune, sync_revisions
from sandbox.controllers.rollout import scaled

COMPONENT = "daemonset-controller"
GENERATION_LABEL = "pod-template-generation"
KEPT = ("currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady")
TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]


def should_run(ds: Obj, node: Obj) -> bool:
    """The template's nodeSelector matches the node's labels."""
    selector = ((ds["spec"].get("template") or {}).get("spec") or {}).get("nodeSelector") or {}
    labels = node["metadata"].get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


def node_of(pod: Obj) -> str:
    """The node a daemon pod runs on (or is pinned to)."""
    if pod["spec"].get("nodeName"):
        return str(pod["spec"]["nodeName"])
    affinity = ((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    for term in affinity.get("nodeSelectorTerms") or []:
        for field in term.get("matchFields") or []:
            if field.get("key") == "metadata.name" and field.get("values"):
                return str(field["values"][0])
    return ""


def build_daemon_pod(ds: Obj, node: str, revisions: Revisions) -> Obj:
    """The daemon pod of one node: pinned to it, tolerating its conditions, labelled."""
    labels = {
        HASH_LABEL: revisions.hash,
        GENERATION_LABEL: str(ds["metadata"].get("generation", 1)),
    }
    pod = build_pod(ds, ds["spec"].get("template") or {}, f"{ds['metadata']['name']}-", labels)
    spec = pod["spec"]
    term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
    required = {"nodeSelectorTerms": [term]}
    affinity = spec.setdefault("affinity", {}).setdefault("nodeAffinity", {})
    affinity["requiredDuringSchedulingIgnoredDuringExecution"] = required
    present = {(t.get("key"), t.get("effect")) for t in spec.get("tolerations") or []}
    extra = [t for t in TOLERATIONS if (t["key"], t["effect"]) not in present]
    spec["tolerations"] = [*(spec.get("tolerations") or []), *extra]
    return pod


def is_updated(ds: Obj, pod: Obj, revisions: Revisions) -> bool:
    """The pod's hash (or template generation) is the current template's."""
    labels = pod["metadata"].get("labels") or {}
    generation = str(ds["metadata"].get("generation", 1))
    return labels.get(HASH_LABEL) == revisions.hash or labels.get(GENERATION_LABEL) == generation


def _oldest_first(pods: list[Obj]) -> list[Obj]:
    return sorted(pods, key=lambda p: p["metadata"].get("creationTimestamp", ""))


class DaemonSync:
    """One pass over one DaemonSet."""

    def __init__(self, cluster: ClusterView, ds: Obj, revisions: Revisions) -> None:
        self.cluster, self.ds, self.revisions = cluster, ds, revisions
        self.nodes = [n for n in cluster.cache("nodes").list() if should_run(ds, n)]
        self.min_ready = int(ds["spec"].get("minReadySeconds", 0))

    def pods_by_node(self) -> dict[str, list[Obj]]:
        """The set's pods that are not being deleted, by node, oldest first."""
        found: dict[str, list[Obj]] = {}
        ns = self.ds["metadata"]["namespace"]
        for pod in owned(self.cluster.cache("pods").list(ns), self.ds):
            if not pod["metadata"].get("deletionTimestamp"):
                found.setdefault(node_of(pod), []).append(pod)
        return {k: _oldest_first(v) for k, v in found.items()}

    async def event(self, reason: str, message: str) -> None:
        """An event on the set from the daemonset controller."""
        await self.cluster.event(self.ds, reason, message, component=COMPONENT)

    async def create(self, node: str) -> None:
        """A daemon pod for a node."""
        body = build_daemon_pod(self.ds, node, self.revisions)
        pod = await self.cluster.create("pods", self.ds["metadata"]["namespace"], body)
        await self.event("SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")

    async def delete(self, pod: Obj) -> None:
        """Delete a daemon pod."""
        await self.cluster.delete("pods", pod)
        await self.event("SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")

    async def manage(self, by_node: dict[str, list[Obj]]) -> None:
        """A pod where one should run, none elsewhere, failed ones replaced, one per node."""
        wanted = {n["metadata"]["name"] for n in self.nodes}
        keep = 2 if self._surging() else 1  # during a surge the old and the new pod
        for node, pods in by_node.items():
            if node not in wanted:
                doomed = pods
            else:
                doomed = [p for p in pods if (p.get("status") or {}).get("phase") == "Failed"]
                doomed += [p for p in pods if p not in doomed][keep:]
            for pod in doomed:
                await self.delete(pod)
        for node in sorted(wanted - set(by_node)):
            await self.create(node)

    def _surging(self) -> bool:
        rolling = (self.ds["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}
        return bool(scaled(rolling.get("maxSurge", 0), len(self.nodes), round_up=True))

    async def roll(self, by_node: dict[str, list[Obj]]) -> None:
        """RollingUpdate: replace old pods, at most maxUnavailable unavailable at a time."""
        strategy = self.ds["spec"].get("updateStrategy") or {}
        if strategy.get("type", "RollingUpdate") != "RollingUpdate":
            return
        rolling = strategy.get("rollingUpdate") or {}
        budget = scaled(rolling.get("maxUnavailable", 1), len(self.nodes), round_up=False)
        budget -= sum(1 for pods in by_node.values() if not self._available(pods[0]))
        for node in sorted(n["metadata"]["name"] for n in self.nodes):
            pods = by_node.get(node) or []
            old = [p for p in pods if not is_updated(self.ds, p, self.revisions)]
            new = [p for p in pods if p not in old]
            if not old:
                continue
            if self._surging():
                if not new:
                    await self.create(node)
                elif self._available(new[0]):
                    await self.delete(old[0])
            elif budget > 0 or not self._available(old[0]):
                await self.delete(old[0])
                budget -= 1

    def _available(self, pod: Obj) -> bool:
        return is_pod_ready(pod) and is_pod_available(pod, self.min_ready)

    def status(self, by_node: dict[str, list[Obj]]) -> dict[str, Any]:
        """The counters the real controller computes, node by node (the oldest pod counts)."""
        wanted = {n["metadata"]["name"] for n in self.nodes}
        scheduled = [by_node[n][0] for n in wanted if by_node.get(n)]
        available = sum(1 for p in scheduled if self._available(p))
        status: dict[str, Any] = {
            "currentNumberScheduled": len(scheduled),
            "numberMisscheduled": sum(1 for n in by_node if n not in wanted),
            "desiredNumberScheduled": len(wanted),
            "numberReady": sum(1 for p in scheduled if is_pod_ready(p)),
            "observedGeneration": self.ds["metadata"].get("generation", 1),
            "updatedNumberScheduled": sum(
                1 for p in scheduled if is_updated(self.ds, p, self.revisions)
            ),
            "numberAvailable": available,
            "numberUnavailable": len(wanted) - available,
        }
        return {k: v for k, v in status.items() if v or k in KEPT}


async def sync_daemonset(cluster: ClusterView, ds: Obj) -> None:
    """Reconcile one DaemonSet: its revision, a pod per node, the rolling update, the status."""
    if ds["metadata"].get("deletionTimestamp"):
        return
    revisions = await sync_revisions(cluster, ds)
    sync = DaemonSync(cluster, ds, revisions)
    await sync.manage(sync.pods_by_node())
    await sync.roll(sync.pods_by_node())
    by_node = sync.pods_by_node()
    await cluster.write_status("daemonsets", ds, sync.status(by_node))
    live = {
        r["metadata"]["name"]
        for r in revisions.history
        for pods in by_node.values()
        for p in pods
        if (p["metadata"].get("labels") or {}).get(HASH_LABEL)
        == r["metadata"]["labels"][HASH_LABEL]
    }
    await prune(cluster, ds, revisions, live)
