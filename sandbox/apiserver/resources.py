"""HTTP handlers for resource paths under /api/v1 and /apis/{group}/{version}."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml
from aiohttp import web

from sandbox.apiserver import deletion, paging, protobuf, tables
from sandbox.apiserver.convert import from_storage
from sandbox.apiserver.errors import APIError, bad_request, method_not_allowed, not_found
from sandbox.apiserver.patch import patch_object
from sandbox.apiserver.query import flag, integer, wants, write_options
from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.scale import get_scale, update_scale
from sandbox.apiserver.selectors import field_selector, label_selector
from sandbox.apiserver.state import State
from sandbox.apiserver.store import Obj
from sandbox.apiserver.watch import WatchStream

FIELD_LABELS = {
    "Event": {
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    },
    "Pod": {
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    },
    "Secret": {"type"},
    "Namespace": {"status.phase"},
    "Node": {"spec.unschedulable"},
    "Job": {"status.successful"},
    "ReplicaSet": {"status.replicas"},
}


@dataclass
class Target:
    """What a resource path names."""

    rtype: ResourceType
    namespace: str | None
    name: str = ""
    sub: str = ""


def parse_path(state: State, group: str, version: str, parts: list[str]) -> Target:
    """Resolve the path segments after the group/version prefix."""
    lookup = state.registry.lookup
    if len(parts) >= 3 and parts[0] == "namespaces":
        rtype = lookup(group, version, parts[2])
        if rtype is not None and rtype.namespaced and len(parts) <= 5:
            return Target(rtype, parts[1], *parts[3:5])
    rtype = lookup(group, version, parts[0]) if parts else None
    if rtype is None or len(parts) > 3:
        gv = f"{group}/{version}" if group else version
        raise APIError(
            404,
            "NotFound",
            f"the server could not find the requested resource ({'/'.join(parts)} in {gv})",
        )
    return Target(rtype, None, *parts[1:3])


async def read_body(request: web.Request) -> Any:
    """Decode a JSON or YAML request body."""
    raw = await request.read()
    if not raw:
        return {}
    if "protobuf" in request.content_type:
        try:
            return protobuf.decode(raw)
        except (ValueError, IndexError, UnicodeDecodeError, KeyError) as error:
            raise bad_request(f"cannot decode the protobuf body: {error}") from None
    try:
        if "yaml" in request.content_type:
            return yaml.safe_load(raw)
        return json.loads(raw)
    except (ValueError, yaml.YAMLError) as error:
        raise bad_request(f"the request body is not valid JSON or YAML: {error}") from None


def respond(data: Any, status: int = 200, warnings: list[str] | None = None) -> web.Response:
    """A JSON response, with `Warning` headers when there are warnings."""
    response = web.json_response(data, status=status, dumps=_dumps)
    for warning in warnings or []:
        response.headers.add("Warning", f'299 - "{warning}"')
    return response


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


class ResourceHandler:
    """Dispatches one request on a resource path to the verb it asks for."""

    def __init__(self, state: State) -> None:
        self.state = state

    def _render(self, request: web.Request, rtype: ResourceType, obj: Obj) -> Any:
        accept = request.headers.get("Accept", "")
        out = from_storage(rtype, obj)
        if wants(accept, "Table"):
            return tables.table(rtype, [out], self.state.store.rv, request.query)
        if wants(accept, "PartialObjectMetadata"):
            return tables.partial(out)
        return out

    def _matcher(self, rtype: ResourceType, query: Any) -> Any:
        allowed = {"metadata.name", "metadata.namespace"} | FIELD_LABELS.get(rtype.kind, set())
        if rtype.custom:
            allowed = {"metadata.name", "metadata.namespace"}
        by_field = field_selector(query.get("fieldSelector"), allowed)
        by_label = label_selector(query.get("labelSelector"))
        return lambda obj: by_label(obj) and by_field(obj)

    async def handle(self, request: web.Request, group: str, version: str) -> web.StreamResponse:
        """Entry point for /api/v1/... and /apis/{g}/{v}/..."""
        prefix = f"/apis/{group}/{version}/" if group else "/api/v1/"
        parts = [p for p in request.path[len(prefix) :].split("/") if p]
        target = parse_path(self.state, group, version, parts)
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
            obj = self.state.api.create(rtype, target.namespace or "", body, opts)
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
        chunk = paging.page(
            self.state.store,
            rtype.key,
            target.namespace,
            query,
            self._matcher(rtype, query),
            filtered,
        )
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
                deleted.append(
                    deletion.delete(
                        self.state.api,
                        rtype,
                        md.get("namespace", ""),
                        md["name"],
                        body,
                        query,
                        opts,
                    )
                )
        return {
            "kind": f"{rtype.kind}List",
            "apiVersion": rtype.api_version,
            "metadata": {"resourceVersion": str(self.state.store.rv)},
            "items": [from_storage(rtype, o) for o in deleted],
        }

    async def _object(self, request: web.Request, target: Target) -> web.StreamResponse:
        rtype, api, query = target.rtype, self.state.api, request.query
        ns, name, sub = target.namespace or "", target.name, target.sub
        if sub == "scale" and rtype.scale:
            return await self._scale(request, target)
        if sub not in ("", "status") or (sub == "status" and not rtype.status):
            if sub == "binding" and rtype.kind == "Pod" and request.method == "POST":
                return respond(self._bind(ns, name, await read_body(request)), 201)
            if sub == "log" and rtype.kind == "Pod" and request.method == "GET":
                return self._log(api.get(rtype, ns, name), request.query)
            raise APIError(404, "NotFound", "the server could not find the requested resource")
        if request.method == "GET":
            return respond(self._render(request, rtype, api.get(rtype, ns, name)))
        opts = write_options(query, query.getall("dryRun", []))
        body = await read_body(request)
        if request.method == "PUT":
            obj = api.update(rtype, ns, name, body, opts, sub)
            return respond(self._render(request, rtype, obj), 200, opts.warnings)
        if request.method == "PATCH":
            obj, created = patch_object(api, rtype, ns, name, request.content_type, body, opts, sub)
            return respond(
                self._render(request, rtype, obj), 201 if created else 200, opts.warnings
            )
        if request.method == "DELETE" and not sub:
            obj = deletion.delete(api, rtype, ns, name, body or {}, query, opts)
            if deletion.answers_status(rtype, obj):
                return respond(deletion.success(rtype, obj))
            return respond(self._render(request, rtype, obj))
        raise method_not_allowed(f"{rtype.plural}/{sub}" if sub else rtype.plural)

    async def _scale(self, request: web.Request, target: Target) -> web.Response:
        api, rtype = self.state.api, target.rtype
        ns, name = target.namespace or "", target.name
        if request.method == "GET":
            return respond(get_scale(rtype, api.get(rtype, ns, name)))
        if request.method not in ("PUT", "PATCH"):
            raise method_not_allowed(f"{rtype.plural}/scale")
        opts = write_options(request.query, request.query.getall("dryRun", []))
        body = await read_body(request)
        obj = update_scale(api, rtype, ns, name, request.method, request.content_type, body, opts)
        return respond(get_scale(rtype, obj))

    def _log(self, pod: Obj, query: Any) -> web.Response:
        """GET pods/{name}/log: what the process kubelet recorded (no follow)."""
        names = [c.get("name") for c in pod["spec"].get("containers") or []]
        container = query.get("container") or (names[0] if len(names) == 1 else None)
        if container not in names:
            which = f"container {container}" if container else "a container name"
            raise bad_request(
                f"{which} is not valid for pod {pod['metadata']['name']}: choose one of "
                f"[{' '.join(str(n) for n in names)}]"
            )
        tail = integer(query, "tailLines")
        text = ""
        if self.state.data_dir is not None:
            from sandbox.kubelet.process.logs import read_log

            text = read_log(self.state.data_dir, pod, container, tail)
        return web.Response(text=text, content_type="text/plain")

    def _bind(self, namespace: str, name: str, body: Any) -> Any:
        pods = self.state.registry.lookup("", "v1", "pods")
        assert pods is not None
        pod = self.state.api.get(pods, namespace, name)
        node = ((body or {}).get("target") or {}).get("name")
        if not node:
            raise bad_request("binding target.name is required")
        new = json.loads(json.dumps(pod))
        new["spec"]["nodeName"] = node
        self.state.api.replace(pods, pod, new, write_options({}, []))
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "code": 201,
        }
