"""Authentication and impersonation: who a request is from.

A client certificate signed by the sandbox's CA names the user (CN) and groups (O), as
kube-apiserver's x509 authenticator does; otherwise a `Bearer` ServiceAccount token. A request
with neither, or with a token the server does not accept, answers 401 (anonymous requests are
off, as on k3s). `Impersonate-*` headers then change the user when RBAC lets the requester
`impersonate` that user (or ServiceAccount), each group, the uid and each extra value.
"""

from __future__ import annotations

import logging

from aiohttp import web

from sandbox.apiserver import rbac
from sandbox.apiserver.errors import APIError, bad_request
from sandbox.apiserver.identity import (
    AUTHENTICATED,
    User,
    service_account,
    service_account_groups,
)
from sandbox.apiserver.requestinfo import Attributes
from sandbox.apiserver.store import Store
from sandbox.apiserver.tokens import InvalidToken, Issuer

log = logging.getLogger(__name__)
ANONYMOUS = "system:anonymous"
EXTRA_PREFIX = "impersonate-extra-"


def unauthorized() -> APIError:
    """401 as kube-apiserver answers it."""
    return APIError(401, "Unauthorized", "Unauthorized")


def _from_certificate(request: web.Request) -> User | None:
    """The user of a verified client certificate (the TLS layer checked it against the CA)."""
    peer = request.transport.get_extra_info("peercert") if request.transport else None
    if not peer:
        return None
    name, groups = "", []
    for rdn in peer.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                name = value
            elif key == "organizationName":
                groups.append(value)
    return User(name, (*groups, AUTHENTICATED)) if name else None


def authenticate(request: web.Request, issuer: Issuer, store: Store) -> User:
    """The request's user; 401 without valid credentials."""
    user = _from_certificate(request)
    if user is not None:
        return user
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        try:
            return issuer.authenticate(token.strip(), store)
        except InvalidToken as error:
            log.debug("token refused: %s", error)
    raise unauthorized()


def _checks(
    name: str, groups: list[str], uid: str, extra: dict[str, list[str]]
) -> list[Attributes]:
    """What the requester must be allowed to impersonate."""
    account = service_account(name)
    if account is not None:
        checks = [Attributes("impersonate", True, resource="serviceaccounts",
                             namespace=account[0], name=account[1])]  # fmt: skip
    else:
        checks = [Attributes("impersonate", True, resource="users", name=name)]
    checks += [Attributes("impersonate", True, resource="groups", name=g) for g in groups]
    if uid:
        checks.append(
            Attributes("impersonate", True, "authentication.k8s.io", resource="uids", name=uid)
        )
    for key, values in extra.items():
        checks += [
            Attributes("impersonate", True, "authentication.k8s.io", resource="userextras",
                       subresource=key, name=v)
            for v in values
        ]  # fmt: skip
    return checks


def impersonate(request: web.Request, user: User, store: Store) -> User:
    """The user the `Impersonate-*` headers ask for, when RBAC allows it; else `user`."""
    headers = request.headers
    name = headers.get("Impersonate-User", "")
    groups = list(headers.getall("Impersonate-Group", []))
    uid = headers.get("Impersonate-Uid", "")
    extra: dict[str, list[str]] = {}
    for key, value in headers.items():
        if key.lower().startswith(EXTRA_PREFIX):
            extra.setdefault(key[len(EXTRA_PREFIX) :].lower(), []).append(value)
    if not name:
        if groups or uid or extra:
            raise bad_request(f"requested {groups} without impersonating a user")
        return user
    for attrs in _checks(name, groups, uid, extra):
        if not rbac.decide(store, user, attrs)[0]:
            raise rbac.forbidden(user, attrs)
    account = service_account(name)
    if account is not None and not groups:
        groups = list(service_account_groups(account[0]))
    if name != ANONYMOUS and AUTHENTICATED not in groups:
        groups.append(AUTHENTICATED)
    return User(name, tuple(groups), uid, {k: tuple(v) for k, v in extra.items()})
