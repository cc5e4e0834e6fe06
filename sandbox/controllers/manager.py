"""Wiring: the watch caches, one reconcile loop over every controller, and the kubelet."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pathlib
from collections.abc import Awaitable, Callable

import aiohttp

from sandbox.controllers.client import Api, ApiError
from sandbox.controllers.cluster import Cluster
from sandbox.controllers.deployment import sync_deployment
from sandbox.controllers.housekeeping import bind_claim, schedule_pod
from sandbox.controllers.job import expire_finished, sync_job
from sandbox.controllers.meta import Obj
from sandbox.controllers.replicaset import sync_replicaset
from sandbox.controllers.services import NodePorts
from sandbox.kubelet.backoff import BackoffPolicy
from sandbox.kubelet.catalog import load_catalog
from sandbox.kubelet.node import Kubelet

log = logging.getLogger(__name__)
RESYNC_SECONDS = 1.0


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


async def _pass(
    cluster: Cluster, kubelet: Kubelet, node_ports: NodePorts, backoff: BackoffPolicy
) -> None:
    """One reconcile pass over every controller."""
    await _each(cluster.cache("pods").list(), lambda p: schedule_pod(cluster, p))
    await _each(cluster.cache("persistentvolumeclaims").list(), lambda c: bind_claim(cluster, c))
    await _each(cluster.cache("deployments").list(), lambda d: sync_deployment(cluster, d))
    await _each(cluster.cache("replicasets").list(), lambda r: sync_replicaset(cluster, r))
    await _each(cluster.cache("jobs").list(), lambda j: sync_job(cluster, j, backoff))
    await _each(cluster.cache("jobs").list(), lambda j: expire_finished(cluster, j))
    await kubelet.sync()
    await node_ports.sync()


async def _loop(
    cluster: Cluster, kubelet: Kubelet, node_ports: NodePorts, backoff: BackoffPolicy
) -> None:
    """Reconcile after every change (batched), and at least once a second for timers."""
    await cluster.wait_synced()
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(cluster.changed.wait(), RESYNC_SECONDS)
        await asyncio.sleep(0.02)
        cluster.changed.clear()
        try:
            await _pass(cluster, kubelet, node_ports, backoff)
        except Exception:
            log.warning("reconcile pass failed", exc_info=True)
            await asyncio.sleep(0.5)


async def run(
    api_url: str, *, data_dir: pathlib.Path, images: pathlib.Path | None, stopping: asyncio.Event
) -> None:
    """Run the controllers and the kubelet until `stopping` is set; then stop every process."""
    catalog = load_catalog(images)
    backoff = BackoffPolicy.from_env()
    data_dir.mkdir(parents=True, exist_ok=True)
    async with aiohttp.ClientSession() as session:
        cluster = Cluster(Api(api_url, session))
        kubelet = Kubelet(cluster, data_dir, catalog, backoff)
        cluster.node_pods = kubelet.running_pods
        node_ports = NodePorts(cluster)
        tasks = [asyncio.create_task(i.run()) for i in cluster.informers.values()]
        tasks.append(asyncio.create_task(_loop(cluster, kubelet, node_ports, backoff)))
        try:
            await stopping.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await kubelet.shutdown()
            await node_ports.close()
