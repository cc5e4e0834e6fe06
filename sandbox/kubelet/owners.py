"""Whether a pod's owners still exist (cached kinds from the caches, others over the API)."""

from __future__ import annotations

from typing import Any

from sandbox.client.api import ApiError
from sandbox.client.objects import Obj
from sandbox.client.view import ClusterView

_CACHED = {
    ("apps/v1", "ReplicaSet"): "replicasets",
    ("batch/v1", "Job"): "jobs",
    ("apps/v1", "Deployment"): "deployments",
}
_plurals: dict[tuple[str, str], str | None] = {}


async def _plural(cluster: ClusterView, api_version: str, kind: str) -> str | None:
    """The resource name of a kind, from discovery (cached)."""
    key = (api_version, kind)
    if key not in _plurals:
        prefix = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        listing = await cluster.api.get_or_none(prefix)
        resources: list[dict[str, Any]] = (listing or {}).get("resources") or []
        _plurals[key] = next(
            (r["name"] for r in resources if r.get("kind") == kind and "/" not in r["name"]), None
        )
    return _plurals[key]


async def _exists(cluster: ClusterView, namespace: str, ref: dict[str, Any]) -> bool:
    """The owner named by ref exists with the same uid."""
    resource = _CACHED.get((ref.get("apiVersion", ""), ref.get("kind", "")))
    if resource is not None:
        obj = cluster.cache(resource).get(namespace, ref.get("name", ""))
        return obj is not None and obj["metadata"].get("uid") == ref.get("uid")
    plural = await _plural(cluster, ref.get("apiVersion", ""), ref.get("kind", ""))
    if plural is None:
        return True  # an unknown kind cannot be checked; leave the pod alone
    prefix = "/api/v1" if ref.get("apiVersion") == "v1" else f"/apis/{ref.get('apiVersion')}"
    for base in (f"{prefix}/namespaces/{namespace}/{plural}", f"{prefix}/{plural}"):
        try:
            obj = await cluster.api.get(f"{base}/{ref.get('name')}")
        except ApiError as exc:
            if exc.status == 404:
                continue
            return True
        return bool(obj.get("metadata", {}).get("uid") == ref.get("uid"))
    return False


async def owners_gone(cluster: ClusterView, pod: Obj) -> bool:
    """True when the pod has owners and none of them exists any more."""
    refs = pod["metadata"].get("ownerReferences") or []
    if not refs:
        return False
    for ref in refs:
        if await _exists(cluster, pod["metadata"]["namespace"], ref):
            return False
    return True
