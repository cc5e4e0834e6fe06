"""The aiohttp application: discovery, resource routes, faults and `kind: Status` errors."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from sandbox.apiserver import crds, discovery, openapi, reviews
from sandbox.apiserver.aggregator import APIServiceRegistration
from sandbox.apiserver.errors import APIError, no_route, status_body
from sandbox.apiserver.gc import Collector
from sandbox.apiserver.policy import Aggregator
from sandbox.apiserver.registry import Registry
from sandbox.apiserver.resources import ResourceHandler
from sandbox.apiserver.security import security_middleware, user_of
from sandbox.apiserver.serviceaccounts import AccountsController, admit_pod
from sandbox.apiserver.state import State
from sandbox.apiserver.wire import PRETTY, encode, read_body, respond, wants_pretty

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Never faulted: the fault endpoint itself, and the probes used to see that the server is up.
UNFAULTED = ("/sandbox/", "/version", "/healthz", "/readyz", "/livez")
STATE: web.AppKey[State] = web.AppKey("state", State)


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Inject faults, and answer every error as a `kind: Status`."""
    PRETTY.set(wants_pretty(request))
    try:
        if not request.path.startswith(UNFAULTED):
            await request.app[STATE].faults.before(request)
        return await handler(request)
    except APIError as error:
        return respond(error.status(), error.code, headers=error.headers)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return respond(_routing_error(error.status), error.status)


def _routing_error(code: int) -> dict[str, object]:
    """What the server answers when no handler owns a path, or no route takes its method."""
    if code == 404:
        return no_route(False).status()
    if code == 405:
        message = "the server does not allow this method on the requested resource"
        return status_body(405, "MethodNotAllowed", message, {})
    return status_body(code, "InternalError", f"the request failed with HTTP {code}")


def _not_found() -> APIError:
    """No group, group version or document there: the end of the server's handler chain."""
    return no_route(False)


def _registry(request: web.Request) -> Registry:
    return request.app[STATE].registry


async def version(_request: web.Request) -> web.Response:
    """GET /version: written raw, as the server's WriteRawJSON does (always indented)."""
    body = encode(discovery.VERSION, pretty=True)
    return web.Response(body=body, content_type="application/json")


async def core_api(request: web.Request) -> web.Response:
    """GET /api."""
    return respond(discovery.api_versions(request.host))


async def apis(request: web.Request) -> web.Response:
    """GET /apis."""
    return respond(discovery.api_groups(_registry(request)))


async def api_group(request: web.Request) -> web.Response:
    """GET /apis/{group}."""
    found = discovery.api_group(_registry(request), request.match_info["group"])
    if found is None:
        raise _not_found()
    return respond(found)


async def resource_list(request: web.Request) -> web.Response:
    """GET /api/v1 and /apis/{group}/{version}."""
    group, ver = request.match_info.get("group", ""), request.match_info.get("version", "v1")
    found = discovery.resource_list(_registry(request), group, ver)
    if found is None:
        raise _not_found()
    return respond(found)


async def access_review(request: web.Request) -> web.Response:
    """POST (self)subjectaccessreviews: what RBAC answers for this user (or the subject)."""
    body = await read_body(request)
    store = request.app[STATE].store
    return respond(reviews.access_review(store, body, user_of(request)), 201)


async def self_subject_review(request: web.Request) -> web.Response:
    """POST selfsubjectreviews (`kubectl auth whoami`): who the server takes the caller for."""
    return respond(reviews.self_review(user_of(request)), 201)


async def healthz(_request: web.Request) -> web.Response:
    """GET /healthz, /readyz, /livez."""
    return web.Response(text="ok")


async def openapi_v3(request: web.Request) -> web.Response:
    """GET /openapi/v3 and /openapi/v3/{api/v1|apis/g/v}: the index and one document."""
    tail = request.match_info.get("tail", "")
    if not tail:
        return respond(openapi.index(_registry(request)))
    parts = tail.split("/")
    if parts[0] == "api" and len(parts) == 2:
        group, ver = "", parts[1]
    else:
        group, ver = [*parts[1:3], ""][:2]
    found = None
    if parts[0] in ("api", "apis") and len(parts) in (2, 3) and ver:
        found = openapi.document(_registry(request), group, ver)
    if found is None:
        raise _not_found()
    return respond(found)


async def not_served(_request: web.Request) -> web.Response:
    """The OpenAPI v2 document is not served (kubectl falls back)."""
    raise _not_found()


async def faults_get(request: web.Request) -> web.Response:
    """GET /sandbox/faults: the current fault settings."""
    return respond(request.app[STATE].faults.as_dict())


async def faults_set(request: web.Request) -> web.Response:
    """POST /sandbox/faults: replace the fault settings (`{}` clears them)."""
    faults = request.app[STATE].faults
    try:
        faults.update(await read_body(request))
    except (ValueError, TypeError) as error:
        raise APIError(400, "BadRequest", f"invalid fault settings: {error}") from None
    return respond(faults.as_dict())


async def compact(request: web.Request) -> web.Response:
    """POST /sandbox/compact: forget the watch history (older versions answer 410)."""
    store = request.app[STATE].store
    store.compact()
    return respond({"compactedTo": str(store.rv)})


def _resources(handler: ResourceHandler, core: bool) -> Handler:
    async def serve(request: web.Request) -> web.StreamResponse:
        if core:
            return await handler.handle(request, "", "v1")
        info = request.match_info
        return await handler.handle(request, info["group"], info["version"])

    return serve


def make_app(state: State) -> web.Application:
    """The API server's application over this state (its registry holds the built-in kinds)."""
    middlewares = [errors_middleware, security_middleware(state)]
    app = web.Application(middlewares=middlewares, client_max_size=64 * 1024**2)
    app[STATE] = state
    crds.install(state)
    Collector(state.api)
    Aggregator(state.api)
    APIServiceRegistration(state.api)
    AccountsController(state.api, state.pki.ca)
    state.api.mutating.append(lambda rtype, obj: admit_pod(state.api, rtype, obj))
    handler = ResourceHandler(state)
    r = app.router
    # The real server's router ignores one trailing slash (it never redirects).
    r.add_get("/version{_:/?}", version)
    r.add_get("/api{_:/?}", core_api)
    r.add_get("/apis{_:/?}", apis)
    for path in ("/healthz", "/readyz", "/livez"):
        r.add_get(path, healthz)
    r.add_get("/openapi/v3", openapi_v3)
    r.add_get("/openapi/v3/{tail:.+}", openapi_v3)
    r.add_route("*", "/openapi/{tail:.*}", not_served)
    r.add_get("/sandbox/faults", faults_get)
    r.add_post("/sandbox/faults", faults_set)
    r.add_post("/sandbox/compact", compact)
    r.add_get("/api/v1{_:/?}", resource_list)
    r.add_route("*", "/api/v1/{tail:.+}", _resources(handler, True))
    for kind in ("selfsubjectaccessreviews", "subjectaccessreviews"):
        r.add_post(f"/apis/authorization.k8s.io/v1/{kind}", access_review)
    r.add_post("/apis/authentication.k8s.io/v1/selfsubjectreviews", self_subject_review)
    r.add_get("/apis/{group}{_:/?}", api_group)
    r.add_get("/apis/{group}/{version}{_:/?}", resource_list)
    r.add_route("*", "/apis/{group}/{version}/{tail:.+}", _resources(handler, False))
    return app
