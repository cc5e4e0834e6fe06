"""Every request is authenticated, then authorized by RBAC, before it reaches a handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from sandbox.apiserver import authn, rbac, requestinfo
from sandbox.apiserver.identity import User
from sandbox.apiserver.state import State

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
USER: web.RequestKey[User] = web.RequestKey("user", User)


def security_middleware(state: State) -> Middleware:
    """The middleware for this server's credentials and RBAC objects."""

    @web.middleware
    async def secure(request: web.Request, handler: Handler) -> web.StreamResponse:
        user = authn.authenticate(request, state.issuer, state.store)
        user = authn.impersonate(request, user, state.store)
        for attrs in requestinfo.of_request(request):
            if not rbac.decide(state.store, user, attrs)[0]:
                raise rbac.forbidden(user, attrs)
        request[USER] = user
        return await handler(request)

    return secure


def user_of(request: web.Request) -> User:
    """Who made the request (set by the middleware)."""
    return request[USER]
