"""HTTP handlers for resource paths under /api/v1 and /apis/{group}/{version}."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.apiserver import deletion, paging, pods, proxy, streaming, tables
from sandbox.apiserver.convert import from_storage
from sandbox.apiserver.errors import APIError, method_not_allowed, no_route, not_found
from sandbox.apiserver.patch import patch_object
from sandbox.apiserver.query import flag, wants, write_options
from sandbox.apiserver.registry import ResourceType, Target
from sandbox.apiserver.scale import get_scale, update_scale
from sandbox.apiserver.selectors import field_selector, label_selector
from sandbox.apiserver.serviceaccounts import create_token
from sandbox.apiserver.state import State
from sandbox.apiserver.store import Obj
from sandbox.apiserver.watch import WatchStream
from sandbox.apiserver.wire import as_go_map, read_body, respond

ALWAYS_SELECTABLE = frozenset({"metadata.name", "metadata.namespace"})


def parse_path(state: State, group: str, version: str, parts: list[str]) -> Target:
    """Resolve the path segments after the group/version prefix."""
    lookup = state.registry.lookup
    if len(parts) >= 3 and parts[0] == "namespaces":
        rtype = lookup(group, version, parts[2])
        if rtype is not None and rtype.namespaced and len(parts) <= 5:
            return Target(rtype, parts[1], *parts[3:5])
        if rtype is not None and rtype.kind == "Pod" and parts[4] == "proxy":  # .../proxy/{path}
            return Target(rtype, parts[1], parts[3], "proxy")
    rtype = lookup(group, version, parts[0]) if parts else None
    if rtype is None or len(parts) > 3:
        raise no_route(True)
    return Target(rtype, None, *parts[1:3])


def path_parts(path: str, prefix: str) -> list[str]:
    """The segments after the group version; one trailing slash is ignored, as the real
    router does, while an empty segment inside the path matches no route (404)."""
    rest = path[len(prefix) :]
    parts = rest.removesuffix("/").split("/")
    if not all(parts):
        raise no_route(True)
    return parts


class ResourceHandler:
    """Dispatches one request on a resource path to the verb it asks for."""

    def __init__(self, state: State) -> None:
        """Serve the objects of this state."""
        self.state = state

    def _render(self, request: web.Request, rtype: ResourceType, obj: Obj) -> Any:
        accept = request.headers.get("Accept", "")
        out = from_storage(rtype, obj)
        if wants(accept, "Table"):
            return tables.table(rtype, [out], self.state.store.rv, request.query)
        if wants(accept, "PartialObjectMetadata"):
            return tables.partial(out)
        return as_go_map(out) if rtype.custom else out

    def _matcher(self, rtype: ResourceType, query: Any) -> Any:
        allowed = ALWAYS_SELECTABLE | rtype.strategy.field_labels
        by_field = field_selector(query.get("fieldSelector"), set(allowed))
        by_label = label_selector(query.get("labelSelector"))
        return lambda obj: by_label(obj) and by_field(obj)

    async def handle(self, request: web.Request, group: str, version: str) -> web.StreamResponse:
        """Entry point for /api/v1/... and /apis/{g}/{v}/..."""
        prefix = f"/apis/{group}/{version}/" if group else "/api/v1/"
        if not self.state.registry.in_group_version(group, version):
            raise no_route(False)  # no server has this group version: the end of the chain
        target = parse_path(self.state, group, version, path_parts(request.path, prefix))
        if target.rtype.namespaced and target.namespace is None and target.name:
            raise not_found(target.rtype.plural, target.name, target.rtype.group)
        if not target.name:
            return await self._collection(request, target)
        return await self._object(request, target)

    async def _collection(self, request: web.Request, target: Target) -> web.StreamResponse:
        rtype, query = target.rtype, request.query
        if request.method == "GET" and flag(query, "watch"):
            stream = WatchStream(
                self.state.store,
                rtype,
                target.namespace,
                self._matcher(rtype, query),
                lambda obj: self._render(request, rtype, obj),
            )
            return await stream.serve(request, query, self.state.faults.drop_watch_after)
        if request.method == "GET":
            return respond(self._list(request, target))
        if request.method == "POST":
            opts = write_options(query, query.getall("dryRun", []))
            body = await read_body(request)
            obj = self.state.api.create(rtype, target.ns, body, opts)
            return respond(self._render(request, rtype, obj), 201, opts.warnings)
        if request.method == "DELETE":
            return respond(await self._delete_collection(request, target))
        raise method_not_allowed(rtype.plural)

    def _list(self, request: web.Request, target: Target) -> Any:
        rtype, query = target.rtype, request.query
        rv_text = query.get("resourceVersion", "")
        if (
            rv_text.isdigit()
            and 0 < int(rv_text) < self.state.store.oldest
            and query.get("resourceVersionMatch") == "Exact"
        ):
            raise APIError(410, "Expired", f"too old resource version: {rv_text}")
        filtered = bool(query.get("fieldSelector") or query.get("labelSelector"))
        match = self._matcher(rtype, query)
        chunk = paging.page(self.state.store, target, query, match, filtered)
        items = [from_storage(rtype, o) for o in chunk.items]
        accept = request.headers.get("Accept", "")
        if wants(accept, "Table"):
            found = tables.table(rtype, items, chunk.rv, query)
        elif wants(accept, "PartialObjectMetadataList"):
            found = tables.partial_list(items, chunk.rv)
        else:
            found = {"kind": f"{rtype.kind}List", "apiVersion": rtype.api_version}
            found.update(metadata={"resourceVersion": str(chunk.rv)}, items=items)
        found["metadata"].update(chunk.meta)
        if rtype.custom and "items" in found and found["kind"] != "PartialObjectMetadataList":
            return as_go_map(found)  # an UnstructuredList: a map, its keys sorted
        return found

    async def _delete_collection(self, request: web.Request, target: Target) -> Any:
        rtype, query = target.rtype, request.query
        opts = write_options(query, query.getall("dryRun", []))
        body = await read_body(request)
        match = self._matcher(rtype, query)
        deleted = []
        for obj in self.state.store.items(rtype.key, target.namespace):
            if match(obj):
                md = obj["metadata"]
                one = Target(rtype, md.get("namespace", ""), md["name"])
                deleted.append(deletion.delete(self.state.api, one, body, query, opts))
        return {
            "kind": f"{rtype.kind}List",
            "apiVersion": rtype.api_version,
            "metadata": {"resourceVersion": str(self.state.store.rv)},
            "items": [from_storage(rtype, o) for o in deleted],
        }

    async def _object(self, request: web.Request, target: Target) -> web.StreamResponse:
        rtype, sub = target.rtype, target.sub
        if sub == "scale" and rtype.scale:
            return await self._scale(request, target)
        if sub not in ("", "status") or (sub == "status" and not rtype.status):
            return await self._pod_subresource(request, target)
        if request.method == "GET":
            obj = self.state.api.get(rtype, target.ns, target.name)
            return respond(self._render(request, rtype, obj))
        return await self._write(request, target)

    async def _write(self, request: web.Request, target: Target) -> web.StreamResponse:
        """PUT, PATCH or DELETE of one object (or PUT and PATCH of its status)."""
        rtype, api, query, sub = target.rtype, self.state.api, request.query, target.sub
        opts = write_options(query, query.getall("dryRun", []))
        body = await read_body(request)
        if request.method == "PUT":
            obj = api.update(target, body, opts)
            return respond(self._render(request, rtype, obj), 200, opts.warnings)
        if request.method == "PATCH":
            obj, created = patch_object(api, target, request.content_type, body, opts)
            status = 201 if created else 200
            return respond(self._render(request, rtype, obj), status, opts.warnings)
        if request.method == "DELETE" and not sub:
            obj = deletion.delete(api, target, body or {}, query, opts)
            if deletion.answers_status(rtype, obj):
                return respond(deletion.success(rtype, obj))
            return respond(self._render(request, rtype, obj))
        raise method_not_allowed(f"{rtype.plural}/{sub}" if sub else rtype.plural)

    async def _pod_subresource(self, request: web.Request, target: Target) -> web.StreamResponse:
        """pods/{name}/binding, log, exec, attach, portforward and proxy;
        serviceaccounts/{name}/token; any other subresource is not served."""
        kind, sub, method = target.rtype.kind, target.sub, request.method
        if kind == "Pod" and sub == "binding" and method == "POST":
            return respond(pods.bind(self.state, target, await read_body(request)), 201)
        if kind == "Pod" and sub == "log" and method == "GET":
            pod = self.state.api.get(target.rtype, target.ns, target.name)
            return await pods.logs(self.state, pod, request.query)
        if kind == "Pod" and sub == "proxy":
            return await proxy.serve(self.state, request, target)
        if kind == "Pod" and sub in streaming.SUBRESOURCES and method in ("GET", "POST"):
            return await streaming.serve(self.state, request, target)
        if kind == "ServiceAccount" and sub == "token" and method == "POST":
            body = await read_body(request)
            token = create_token(self.state.api, self.state.issuer, target, body)
            return respond(token, 201)
        raise no_route(True)

    async def _scale(self, request: web.Request, target: Target) -> web.Response:
        api, rtype = self.state.api, target.rtype
        if request.method == "GET":
            return respond(get_scale(rtype, api.get(rtype, target.ns, target.name)))
        if request.method not in ("PUT", "PATCH"):
            raise method_not_allowed(f"{rtype.plural}/scale")
        opts = write_options(request.query, request.query.getall("dryRun", []))
        body = await read_body(request)
        patch_type = request.content_type if request.method == "PATCH" else None
        obj = update_scale(api, target, body, opts, patch_type)
        return respond(get_scale(rtype, obj))
