"""Every request is authenticated, then authorized by RBAC, before it reaches a handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from sandbox.apiserver import audit, authn, rbac, requestinfo
from sandbox.apiserver.errors import APIError
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
        checked = requestinfo.of_request(request)
        for attrs in checked:
            if not rbac.decide(state.store, user, attrs)[0]:
                raise rbac.forbidden(user, attrs)
        request[USER] = user
        if state.audit_log is None or not checked:
            return await handler(request)
        code = 500
        try:
            response = await handler(request)
            code = response.status
            return response
        except Exception as error:
            code = _code_of(error)
            raise
        finally:
            audit.record(state.audit_log, user, checked[0], code, request.path_qs)

    return secure


def _code_of(error: Exception) -> int:
    """The HTTP code an exception from a handler is answered with (500 when it has none)."""
    if isinstance(error, APIError):
        return error.code
    if isinstance(error, web.HTTPException):
        return error.status
    return 500


def user_of(request: web.Request) -> User:
    """Who made the request (set by the middleware)."""
    return request[USER]
