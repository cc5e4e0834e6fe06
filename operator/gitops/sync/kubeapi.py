"""Any kind by its apiVersion and kind: discovery, server-side apply, get and delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from gitops.api import SYNC_FIELD_MANAGER
from gitops.kube import Kube, KubeError
from gitops.sync.model import ObjectRef

APPLY_PATCH = "application/apply-patch+yaml"


@dataclass(frozen=True)
class Resource:
    """Where a kind lives in the API."""

    plural: str
    namespaced: bool


class Catalog:
    """The kinds the API server serves, asked for one group version at a time."""

    def __init__(self, kube: Kube) -> None:
        self.kube = kube
        self._versions: dict[str, dict[str, Resource]] = {}

    async def resource(self, api_version: str, kind: str) -> Resource | None:
        """The plural and scope of a kind, or None when the server does not serve it."""
        found = (await self._discover(api_version)).get(kind)
        if found is None:
            self._versions.pop(api_version, None)
            found = (await self._discover(api_version)).get(kind)
        return found

    async def _discover(self, api_version: str) -> dict[str, Resource]:
        """The kinds of one group version, cached until a miss."""
        if api_version not in self._versions:
            path = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
            listing = await self.kube.get(path) or {}
            self._versions[api_version] = {
                item["kind"]: Resource(item["name"], bool(item.get("namespaced")))
                for item in listing.get("resources", [])
                if "/" not in item.get("name", "")
            }
        return self._versions[api_version]

    async def scopes(self, refs: list[ObjectRef]) -> dict[tuple[str, str], bool | None]:
        """Namespaced (True), cluster-scoped (False) or unknown (None) for each kind in refs."""
        kinds = {(ref.api_version, ref.kind) for ref in refs}
        found = {kind: await self.resource(*kind) for kind in kinds}
        return {kind: (None if res is None else res.namespaced) for kind, res in found.items()}

    async def path(self, ref: ObjectRef) -> str:
        """The URL path of one object."""
        found = await self.resource(ref.api_version, ref.kind)
        if found is None:
            raise KubeError(404, "NotFound", f"no kind {ref.kind} in {ref.api_version}")
        base = "/api/" if "/" not in ref.api_version else "/apis/"
        where = f"namespaces/{ref.namespace}/" if found.namespaced else ""
        return f"{base}{ref.api_version}/{where}{found.plural}/{ref.name}"

    async def apply(self, obj: dict[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
        """Server-side apply one object as gitops-sync with conflicts forced, or dry-run it."""
        query = {"fieldManager": SYNC_FIELD_MANAGER, "force": "true"}
        if dry_run:
            query["dryRun"] = "All"
        path = f"{await self.path(ObjectRef.of(obj))}?{urlencode(query)}"
        return await self.kube.request("PATCH", path, obj, APPLY_PATCH)

    async def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        """The live object, or None when it does not exist."""
        return await self.kube.get(await self.path(ref))

    async def delete(self, ref: ObjectRef) -> None:
        """Delete one object in the background; a missing one counts as deleted."""
        await self.kube.delete(await self.path(ref))
