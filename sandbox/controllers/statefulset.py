"""StatefulSet controller: pods `<set>-<ordinal>`, a claim per template and ordinal, in order.

As the real controller: claims `<template>-<set>-<ordinal>` exist before their pod; with
OrderedReady pods are made one at a time in increasing ordinal order, each Running and Ready
before the next, and removed from the highest ordinal down; Parallel does both at once. A
RollingUpdate replaces one pod at a time from the highest ordinal down to the partition.
Claims are kept (Retain) unless the retention policy says Delete.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from sandbox.client.objects import (
    Obj,
    is_pod_available,
    is_pod_ready,
    owned,
    owner_ref,
)
from sandbox.client.view import ClusterView
from sandbox.controllers.replicaset import build_pod
from sandbox.controllers.revisions import HASH_LABEL, Revisions, prune, sync_revisions

log = logging.getLogger(__name__)
COMPONENT = "statefulset-controller"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
KEPT = ("replicas", "availableReplicas")  # the counters Go writes even when zero
FINISHED = ("Failed", "Succeeded")


def ordinal_of(sts: Obj, pod: Obj) -> int | None:
    """The ordinal in a pod name `<set>-<ordinal>`, None for any other name."""
    prefix, name = f"{sts['metadata']['name']}-", pod["metadata"]["name"]
    rest = name.removeprefix(prefix)
    return int(rest) if name.startswith(prefix) and rest.isdigit() else None


def claim_name(template: Obj, sts: Obj, ordinal: int) -> str:
    """`<claim template>-<set>-<ordinal>`."""
    return f"{template['metadata']['name']}-{sts['metadata']['name']}-{ordinal}"


def build_claims(sts: Obj, ordinal: int) -> list[Obj]:
    """The claims of one ordinal: each template with the set's selector labels added."""
    selector = (sts["spec"].get("selector") or {}).get("matchLabels") or {}
    policy = sts["spec"].get("persistentVolumeClaimRetentionPolicy") or {}
    claims = []
    for template in sts["spec"].get("volumeClaimTemplates") or []:
        meta = copy.deepcopy(template.get("metadata") or {})
        meta.update(name=claim_name(template, sts, ordinal), namespace=sts["metadata"]["namespace"])
        meta["labels"] = {**(meta.get("labels") or {}), **selector}
        if policy.get("whenDeleted") == "Delete":
            meta["ownerReferences"] = [{**owner_ref(sts), "controller": False}]
        claims.append(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": meta,
                "spec": copy.deepcopy(template.get("spec") or {}),
            }
        )
    return claims


def build_set_pod(sts: Obj, revision: Obj, ordinal: int) -> Obj:
    """The pod of one ordinal from a revision's template: stable name, hostname, claims."""
    template = dict(revision["data"]["spec"]["template"])
    template.pop("$patch", None)
    name = f"{sts['metadata']['name']}-{ordinal}"
    labels = {
        POD_NAME_LABEL: name,
        POD_INDEX_LABEL: str(ordinal),
        HASH_LABEL: revision["metadata"]["name"],
    }
    pod = build_pod(sts, template, "", labels)
    del pod["metadata"]["generateName"]
    pod["metadata"]["name"] = name
    spec = pod["spec"]
    spec["hostname"] = name
    if sts["spec"].get("serviceName"):
        spec["subdomain"] = sts["spec"]["serviceName"]
    claims = {
        t["metadata"]["name"]: claim_name(t, sts, ordinal)
        for t in sts["spec"].get("volumeClaimTemplates") or []
    }
    volumes = [v for v in spec.get("volumes") or [] if v.get("name") not in claims]
    volumes += [{"name": k, "persistentVolumeClaim": {"claimName": v}} for k, v in claims.items()]
    if volumes:
        spec["volumes"] = volumes
    return pod


def running_and_ready(pod: Obj) -> bool:
    """Running, Ready and not being deleted."""
    phase = (pod.get("status") or {}).get("phase")
    return phase == "Running" and is_pod_ready(pod) and not pod["metadata"].get("deletionTimestamp")


def _partition(sts: Obj) -> int | None:
    strategy = sts["spec"].get("updateStrategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return None
    return int((strategy.get("rollingUpdate") or {}).get("partition") or 0)


class SetSync:
    """One pass over one StatefulSet."""

    def __init__(self, cluster: ClusterView, sts: Obj, revisions: Revisions) -> None:
        self.cluster, self.sts, self.revisions = cluster, sts, revisions
        status = sts.get("status") or {}
        self.current = revisions.named(status.get("currentRevision")) or revisions.update
        self.start = int((sts["spec"].get("ordinals") or {}).get("start") or 0)
        self.wanted = range(self.start, self.start + int(sts["spec"].get("replicas", 1)))
        self.ordered = sts["spec"].get("podManagementPolicy", "OrderedReady") != "Parallel"

    def pods(self) -> dict[int, Obj]:
        """The set's pods by ordinal."""
        found = owned(self.cluster.cache("pods").list(self.sts["metadata"]["namespace"]), self.sts)
        return {o: p for p in found if (o := ordinal_of(self.sts, p)) is not None}

    def revision_for(self, ordinal: int) -> Obj:
        """Below the partition a pod keeps the current revision, from it on the update one."""
        partition = _partition(self.sts)
        if partition is None:  # OnDelete: new pods beyond the current ones get the update
            current = int((self.sts.get("status") or {}).get("currentReplicas") or 0)
            keep = ordinal - self.start < current
        else:
            keep = ordinal - self.start < partition
        return self.current if keep else self.revisions.update

    async def event(self, reason: str, message: str) -> None:
        """An event on the set from the statefulset controller."""
        await self.cluster.event(self.sts, reason, message, component=COMPONENT)

    @property
    def in_set(self) -> str:
        """`in StatefulSet <name>`, as the controller's event messages say."""
        return f"in StatefulSet {self.sts['metadata']['name']}"

    async def create(self, ordinal: int) -> None:
        """The ordinal's missing claims, then its pod."""
        namespace = self.sts["metadata"]["namespace"]
        pod = build_set_pod(self.sts, self.revision_for(ordinal), ordinal)
        pod_name = pod["metadata"]["name"]
        for claim in build_claims(self.sts, ordinal):
            name = claim["metadata"]["name"]
            if self.cluster.cache("persistentvolumeclaims").get(namespace, name) is None:
                await self.cluster.create("persistentvolumeclaims", namespace, claim)
                message = f"create Claim {name} Pod {pod_name} {self.in_set} success"
                await self.event("SuccessfulCreate", message)
        await self.cluster.create("pods", namespace, pod)
        await self.event("SuccessfulCreate", f"create Pod {pod_name} {self.in_set} successful")

    async def delete(self, pod: Obj) -> None:
        """Delete a pod (its claims follow it when the policy says whenScaled: Delete)."""
        ordinal = ordinal_of(self.sts, pod)
        policy = self.sts["spec"].get("persistentVolumeClaimRetentionPolicy") or {}
        if (
            ordinal not in self.wanted
            and ordinal is not None
            and policy.get("whenScaled") == "Delete"
        ):
            await self._hand_claims_to(pod, ordinal)
        await self.cluster.delete("pods", pod)
        message = f"delete Pod {pod['metadata']['name']} {self.in_set} successful"
        await self.event("SuccessfulDelete", message)

    async def _hand_claims_to(self, pod: Obj, ordinal: int) -> None:
        """The claims of a pod scaled away get it as their owner: they go with it."""
        for claim in build_claims(self.sts, ordinal):
            name, namespace = claim["metadata"]["name"], claim["metadata"]["namespace"]
            found = self.cluster.cache("persistentvolumeclaims").get(namespace, name)
            if found is not None:
                refs = {"ownerReferences": [{**owner_ref(pod), "controller": False}]}
                await self.cluster.patch("persistentvolumeclaims", found, {"metadata": refs})

    async def _remove_finished(self, pods: dict[int, Obj]) -> bool:
        """Delete the pods that ended (each is made again once it is gone); any there?"""
        ended = [p for p in pods.values() if (p.get("status") or {}).get("phase") in FINISHED]
        for pod in ended:
            if not pod["metadata"].get("deletionTimestamp"):
                await self.delete(pod)
        return bool(ended)

    async def scale(self, pods: dict[int, Obj]) -> bool:
        """Create and remove pods toward the wanted ordinals; True once nothing is left to do."""
        if await self._remove_finished(pods):
            return False
        for ordinal in self.wanted:
            found = pods.get(ordinal)
            if found is None:
                await self.create(ordinal)
                if self.ordered:
                    return False
            elif self.ordered and not running_and_ready(found):
                return False
        for ordinal in sorted((o for o in pods if o not in self.wanted), reverse=True):
            pod = pods[ordinal]
            if not pod["metadata"].get("deletionTimestamp"):
                await self.delete(pod)
            if self.ordered:
                return False
        return all(running_and_ready(pods[o]) for o in self.wanted if o in pods)

    async def roll(self, pods: dict[int, Obj]) -> None:
        """RollingUpdate: replace the highest pod not at the update revision (one at a time)."""
        partition = _partition(self.sts)
        if partition is None:
            return
        update = self.revisions.update["metadata"]["name"]
        for ordinal in sorted(self.wanted, reverse=True):
            if ordinal - self.start < partition:
                return
            pod = pods[ordinal]
            if (pod["metadata"].get("labels") or {}).get(HASH_LABEL) != update:
                await self.delete(pod)
                return

    def status(self, pods: dict[int, Obj]) -> dict[str, Any]:
        """The status the real controller computes from the pods that exist."""
        current, update = (
            self.current["metadata"]["name"],
            self.revisions.update["metadata"]["name"],
        )
        min_ready = int(self.sts["spec"].get("minReadySeconds", 0))
        live = [p for p in pods.values() if not p["metadata"].get("deletionTimestamp")]

        def at(revision: str) -> int:
            return sum(
                1 for p in live if (p["metadata"].get("labels") or {}).get(HASH_LABEL) == revision
            )

        status: dict[str, Any] = {
            "observedGeneration": self.sts["metadata"].get("generation", 1),
            "replicas": len(pods),
            "readyReplicas": sum(1 for p in pods.values() if running_and_ready(p)),
            "currentReplicas": at(current),
            "updatedReplicas": at(update),
            "currentRevision": current,
            "updateRevision": update,
            "collisionCount": int((self.sts.get("status") or {}).get("collisionCount") or 0),
            "availableReplicas": sum(
                1 for p in pods.values() if running_and_ready(p) and is_pod_available(p, min_ready)
            ),
        }
        if (
            _partition(self.sts) is not None
            and status["updatedReplicas"] == status["replicas"]
            and status["readyReplicas"] == status["replicas"]
        ):
            status["currentReplicas"], status["currentRevision"] = status["updatedReplicas"], update
        return {k: v for k, v in status.items() if v or k in KEPT or k == "collisionCount"}


async def sync_statefulset(cluster: ClusterView, sts: Obj) -> None:
    """Reconcile one StatefulSet: revisions, claims and pods, rolling update, status."""
    if sts["metadata"].get("deletionTimestamp"):
        return
    revisions = await sync_revisions(cluster, sts)
    sync = SetSync(cluster, sts, revisions)
    if await sync.scale(sync.pods()):
        await sync.roll(sync.pods())
    pods = sync.pods()
    status = sync.status(pods)
    await cluster.write_status("statefulsets", sts, status)
    live = {str((p["metadata"].get("labels") or {}).get(HASH_LABEL)) for p in pods.values()}
    await prune(cluster, sts, revisions, live | {status["currentRevision"]})
