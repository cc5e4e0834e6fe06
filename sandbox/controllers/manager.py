"""The controller manager: one reconcile loop over every controller, after each batch of changes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

import aiohttp

from sandbox.client.api import ApiError
from sandbox.client.backoff import BackoffPolicy
from sandbox.client.objects import Obj
from sandbox.client.view import ClusterView
from sandbox.controllers.daemonset import sync_daemonset
from sandbox.controllers.deployment import sync_deployment
from sandbox.controllers.housekeeping import bind_claim, schedule_pod
from sandbox.controllers.job import expire_finished, sync_job
from sandbox.controllers.replicaset import sync_replicaset
from sandbox.controllers.statefulset import sync_statefulset

log = logging.getLogger(__name__)
RESYNC_SECONDS = 1.0
Step = Callable[[], Awaitable[None]]


async def _each(objs: list[Obj], sync: Callable[[Obj], Awaitable[None]]) -> None:
    """Run sync on every object; one object's failure does not stop the others."""
    for obj in objs:
        try:
            await sync(obj)
        except (ApiError, aiohttp.ClientError) as exc:  # transient: the next pass retries
            where = f"{obj['metadata'].get('namespace')}/{obj['metadata']['name']}"
            log.info("sync of %s %s: %s; retrying", obj.get("kind"), where, exc)
        except Exception:  # a bug must not stop the other controllers
            log.warning(
                "sync of %s/%s failed; retrying",
                obj["metadata"].get("namespace"),
                obj["metadata"]["name"],
                exc_info=True,
            )


async def reconcile(cluster: ClusterView, backoff: BackoffPolicy) -> None:
    """One pass of every controller: scheduler, claims, then the workload controllers."""
    await _each(cluster.cache("pods").list(), lambda p: schedule_pod(cluster, p))
    await _each(cluster.cache("persistentvolumeclaims").list(), lambda c: bind_claim(cluster, c))
    await _each(cluster.cache("deployments").list(), lambda d: sync_deployment(cluster, d))
    await _each(cluster.cache("replicasets").list(), lambda r: sync_replicaset(cluster, r))
    await _each(
        cluster.cache("replicationcontrollers").list(),
        lambda r: sync_replicaset(cluster, r, "replicationcontrollers"),
    )
    await _each(cluster.cache("statefulsets").list(), lambda s: sync_statefulset(cluster, s))
    await _each(cluster.cache("daemonsets").list(), lambda d: sync_daemonset(cluster, d))
    await _each(cluster.cache("jobs").list(), lambda j: sync_job(cluster, j, backoff))
    await _each(cluster.cache("jobs").list(), lambda j: expire_finished(cluster, j))


async def run_loop(cluster: ClusterView, steps: Sequence[Step]) -> None:
    """Run the steps in order after every change (batched), and at least once a second."""
    await cluster.wait_synced()
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(cluster.changed.wait(), RESYNC_SECONDS)
        await asyncio.sleep(0.02)
        cluster.changed.clear()
        try:
            for step in steps:
                await step()
        except Exception:
            log.warning("reconcile pass failed", exc_info=True)
            await asyncio.sleep(0.5)
