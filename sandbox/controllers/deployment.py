"""Deployment controller: ReplicaSets per pod-template hash, RollingUpdate and Recreate."""

from __future__ import annotations

import logging
from typing import Any

from sandbox.client.api import ApiError, path
from sandbox.client.objects import Obj, controller_uid, owned, owner_ref
from sandbox.client.view import ClusterView
from sandbox.controllers.deploy_status import compute_status
from sandbox.controllers.rollout import (
    HASH_LABEL,
    REVISION,
    fenceposts,
    new_rs_target,
    old_rs_targets,
    revision_of,
    rs_selector,
    rs_template,
    spec_replicas,
    status_of,
    template_hash,
)

log = logging.getLogger(__name__)
COMPONENT = "deployment-controller"


_NOT_COPIED = ("kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/")


def copied_annotations(deploy: Obj) -> dict[str, str]:
    """The Deployment's annotations a new ReplicaSet inherits (e.g. kubernetes.io/change-cause)."""
    annotations = deploy["metadata"].get("annotations") or {}
    return {k: v for k, v in annotations.items() if not k.startswith(_NOT_COPIED)}


def build_replicaset(deploy: Obj, pod_hash: str, replicas: int, revision: int) -> Obj:
    """The ReplicaSet for the deployment's current template."""
    name = f"{deploy['metadata']['name']}-{pod_hash}"
    template = rs_template(deploy, pod_hash)
    surge, _ = fenceposts(deploy)
    want = int(deploy["spec"].get("replicas", 1))
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": deploy["metadata"]["namespace"],
            "labels": dict(template["metadata"]["labels"]),
            "annotations": {
                **copied_annotations(deploy),
                REVISION: str(revision),
                "deployment.kubernetes.io/desired-replicas": str(want),
                "deployment.kubernetes.io/max-replicas": str(want + surge),
            },
            "ownerReferences": [owner_ref(deploy)],
        },
        "spec": {
            "replicas": replicas,
            "minReadySeconds": int(deploy["spec"].get("minReadySeconds", 0)),
            "selector": rs_selector(deploy, pod_hash),
            "template": template,
        },
    }


async def scale(cluster: ClusterView, deploy: Obj, rs: Obj, replicas: int) -> Obj:
    """Set a ReplicaSet's replicas and record a ScalingReplicaSet event."""
    old = spec_replicas(rs)
    if old == replicas:
        return rs
    updated = await cluster.patch("replicasets", rs, {"spec": {"replicas": replicas}})
    word = "up" if replicas > old else "down"
    message = f"Scaled {word} replica set {rs['metadata']['name']} from {old} to {replicas}"
    await cluster.event(deploy, "ScalingReplicaSet", message, component=COMPONENT)
    return updated or rs


async def ensure_new_rs(
    cluster: ClusterView, deploy: Obj, new_rs: Obj | None, old: list[Obj], replicas: int
) -> tuple[Obj | None, str]:
    """Create the new ReplicaSet or bump its revision; return it and "created"/"found"/""."""
    top = max((revision_of(rs) for rs in old), default=0)
    if new_rs is not None:
        current = new_rs["metadata"].get("annotations") or {}
        wanted = {k: v for k, v in copied_annotations(deploy).items() if current.get(k) != v}
        if revision_of(new_rs) <= top:
            wanted[REVISION] = str(top + 1)
        if wanted:
            patch = {"metadata": {"annotations": wanted}}
            new_rs = await cluster.patch("replicasets", new_rs, patch) or new_rs
        return new_rs, ""
    pod_hash = template_hash(
        deploy["spec"].get("template") or {},
        int((deploy.get("status") or {}).get("collisionCount", 0)),
    )
    body = build_replicaset(deploy, pod_hash, replicas, top + 1)
    try:
        created = await cluster.create("replicasets", deploy["metadata"]["namespace"], body)
    except ApiError as exc:
        if exc.status != 409:
            raise
        await resolve_collision(cluster, deploy, body)
        return None, ""
    message = f"Scaled up replica set {created['metadata']['name']} from 0 to {replicas}"
    await cluster.event(deploy, "ScalingReplicaSet", message, component=COMPONENT)
    return created, "created"


async def resolve_collision(cluster: ClusterView, deploy: Obj, body: Obj) -> None:
    """A ReplicaSet of that name exists: ours (the cache is behind) or a hash collision."""
    meta = body["metadata"]
    existing = await cluster.api.get_or_none(path("replicasets", meta["namespace"], meta["name"]))
    if existing is None or controller_uid(existing) == deploy["metadata"]["uid"]:
        return  # the next pass sees it in the cache
    count = int((deploy.get("status") or {}).get("collisionCount", 0)) + 1
    await cluster.patch("deployments", deploy, {"status": {"collisionCount": count}}, sub="status")


async def rolling_update(
    cluster: ClusterView, deploy: Obj, new_rs: Obj | None, old: list[Obj]
) -> tuple[Obj | None, str]:
    """One RollingUpdate step: grow the new RS within maxSurge, shrink old within maxUnavailable."""
    want = int(deploy["spec"].get("replicas", 1))
    if new_rs is None:
        placeholder: Obj = {"metadata": {}, "spec": {"replicas": 0}}
        first = new_rs_target(deploy, placeholder, old) if old else want
        new_rs, found = await ensure_new_rs(cluster, deploy, None, old, first)
    else:
        new_rs, found = await ensure_new_rs(cluster, deploy, new_rs, old, 0)
        if new_rs is not None:
            new_rs = await scale(
                cluster, deploy, new_rs, new_rs_target(deploy, new_rs, [new_rs, *old])
            )
    if new_rs is not None:
        targets = old_rs_targets(deploy, new_rs, old)
        for rs in old:
            if rs["metadata"]["name"] in targets:
                await scale(cluster, deploy, rs, targets[rs["metadata"]["name"]])
    return new_rs, found


async def recreate(
    cluster: ClusterView, deploy: Obj, new_rs: Obj | None, old: list[Obj]
) -> tuple[Obj | None, str]:
    """Recreate: every old pod gone before the new ReplicaSet gets any replica."""
    for rs in old:
        await scale(cluster, deploy, rs, 0)
    old_uids = {rs["metadata"]["uid"] for rs in old}
    pods = [*cluster.cache("pods").list(deploy["metadata"]["namespace"]), *cluster.node_pods()]
    old_pods = [
        p
        for p in pods
        for ref in p["metadata"].get("ownerReferences") or []
        if ref.get("uid") in old_uids
    ]
    if old_pods or any(status_of(rs, "replicas") for rs in old):
        return new_rs, ""
    want = int(deploy["spec"].get("replicas", 1))
    new_rs, found = await ensure_new_rs(cluster, deploy, new_rs, old, want)
    if new_rs is not None:
        new_rs = await scale(cluster, deploy, new_rs, want)
    return new_rs, found


async def cleanup(cluster: ClusterView, deploy: Obj, old: list[Obj]) -> None:
    """Delete the oldest empty ReplicaSets beyond revisionHistoryLimit."""
    limit = int(deploy["spec"].get("revisionHistoryLimit", 10))
    empty = [rs for rs in old if spec_replicas(rs) == 0 and status_of(rs, "replicas") == 0]
    empty.sort(key=revision_of)
    for rs in empty[: max(0, len(empty) - limit)]:
        await cluster.delete("replicasets", rs)


def find_by_hash(sets: list[Obj], pod_hash: str) -> Obj | None:
    """The ReplicaSet carrying that pod-template-hash label."""
    return next(
        (rs for rs in sets if (rs["metadata"].get("labels") or {}).get(HASH_LABEL) == pod_hash),
        None,
    )


async def roll(
    cluster: ClusterView, deploy: Obj, new_rs: Obj | None, old: list[Obj]
) -> tuple[Obj | None, str]:
    """One step of the strategy; a paused Deployment only follows spec.replicas."""
    if deploy["spec"].get("paused"):  # no rollout; the one active ReplicaSet follows replicas
        active = [rs for rs in [*old, *([new_rs] if new_rs else [])] if spec_replicas(rs)]
        if len(active) == 1:
            await scale(cluster, deploy, active[0], int(deploy["spec"].get("replicas", 1)))
        return new_rs, ""
    if (deploy["spec"].get("strategy") or {}).get("type") == "Recreate":
        return await recreate(cluster, deploy, new_rs, old)
    return await rolling_update(cluster, deploy, new_rs, old)


async def sync_deployment(cluster: ClusterView, deploy: Obj) -> None:
    """Reconcile one Deployment: ReplicaSets, revision annotation, status."""
    if deploy["metadata"].get("deletionTimestamp"):
        return
    namespace = deploy["metadata"]["namespace"]
    all_rs = owned(cluster.cache("replicasets").list(namespace), deploy)
    collisions = int((deploy.get("status") or {}).get("collisionCount", 0))
    pod_hash = template_hash(deploy["spec"].get("template") or {}, collisions)
    new_rs = find_by_hash(all_rs, pod_hash)
    old = [rs for rs in all_rs if rs is not new_rs]
    new_rs, found = await roll(cluster, deploy, new_rs, old)
    if new_rs is not None:
        deploy = await set_revision(cluster, deploy, new_rs)
        if found == "" and not (deploy.get("status") or {}).get("conditions"):
            found = "found"
    await cleanup(cluster, deploy, old)
    all_rs = owned(cluster.cache("replicasets").list(namespace), deploy)
    new_rs = find_by_hash(all_rs, pod_hash)
    await cluster.write_status("deployments", deploy, compute_status(deploy, new_rs, all_rs, found))


async def set_revision(cluster: ClusterView, deploy: Obj, new_rs: Obj) -> Obj:
    """Copy the new ReplicaSet's revision onto the Deployment via /status (generation stays)."""
    revision = (new_rs["metadata"].get("annotations") or {}).get(REVISION)
    current: dict[str, Any] = deploy["metadata"].get("annotations") or {}
    if revision and current.get(REVISION) != revision:
        patch = {"metadata": {"annotations": {REVISION: revision}}}
        return await cluster.patch("deployments", deploy, patch, sub="status") or deploy
    return deploy
