"""ServiceAccount tokens: signed JWTs with the claims Kubernetes puts in them, and their check.

A token names its issuer, audiences, times, a `jti`, the subject
`system:serviceaccount:NS:NAME` and, under `kubernetes.io`, the namespace, the ServiceAccount
(name and uid) and the object it is bound to (a Pod, with its Node, or a Secret). The server
accepts a token only while it is within its times, meant for one of the API server's
audiences, and its ServiceAccount (and bound object) still exist with the same uid.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from sandbox.apiserver.identity import User, service_account_groups, service_account_user
from sandbox.apiserver.store import Obj, Store

ISSUER = "https://kubernetes.default.svc.cluster.local"
AUDIENCES = (ISSUER, "k3s")  # the API server's own audiences, as k3s configures them
ALGORITHM = "ES256"
KUBELET_EXPIRATION = 3607  # what the kubelet asks for a pod's token...
EXTENDED_EXPIRATION = 365 * 24 * 3600  # ...which the server extends, warning after 3607 s
LEEWAY = 60  # seconds of clock skew tolerated, as go-jose's default


class InvalidToken(Exception):
    """The bearer token is not one this server accepts."""


@dataclasses.dataclass(frozen=True)
class Binding:
    """The object a token is bound to: a Pod (and its node) or a Secret."""

    kind: str
    name: str
    uid: str
    node: tuple[str, str] | None = None  # (name, uid) of a Pod's node


def _kid(key: ec.EllipticCurvePrivateKey) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()


class Issuer:
    """Signs and checks the tokens of one server."""

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        """Tokens signed with this key."""
        self.key = key
        self.kid = _kid(key)

    def issue(
        self, account: Obj, audiences: list[str], seconds: int, bound: Binding | None
    ) -> tuple[str, int]:
        """A token for the ServiceAccount object; (token, expiry as seconds since the epoch)."""
        now = int(time.time())
        md = account["metadata"]
        claims: dict[str, Any] = {
            "aud": audiences,
            "exp": now + seconds,
            "iat": now,
            "iss": ISSUER,
            "jti": str(uuid.uuid4()),
            "nbf": now,
            "sub": service_account_user(md["namespace"], md["name"]),
        }
        private: dict[str, Any] = {
            "namespace": md["namespace"],
            "serviceaccount": {"name": md["name"], "uid": md["uid"]},
        }
        if bound is not None:
            private[bound.kind.lower()] = {"name": bound.name, "uid": bound.uid}
            if bound.node is not None:
                private["node"] = {"name": bound.node[0], "uid": bound.node[1]}
            if bound.kind == "Pod" and seconds == KUBELET_EXPIRATION:
                claims["exp"] = now + EXTENDED_EXPIRATION
                private["warnafter"] = now + seconds
        claims["kubernetes.io"] = private
        token = jwt.encode(claims, self.key, ALGORITHM, headers={"kid": self.kid})
        return token, now + seconds

    def _claims(self, token: str) -> dict[str, Any]:
        try:
            claims = jwt.decode(
                token,
                self.key.public_key(),
                algorithms=[ALGORITHM],
                audience=list(AUDIENCES),
                issuer=ISSUER,
                leeway=LEEWAY,
                options={"require": ["exp", "iat", "nbf", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from None
        if not isinstance(claims.get("kubernetes.io"), dict):
            raise InvalidToken("the token carries no kubernetes.io claims")
        return dict(claims)

    def authenticate(self, token: str, store: Store) -> User:
        """The ServiceAccount user of a valid token; InvalidToken otherwise."""
        claims = self._claims(token)
        private = claims["kubernetes.io"]
        namespace = str(private.get("namespace", ""))
        account = private.get("serviceaccount") or {}
        stored = store.get(("", "serviceaccounts"), namespace, str(account.get("name", "")))
        if stored is None or stored["metadata"].get("uid") != account.get("uid"):
            raise InvalidToken("the token's ServiceAccount no longer exists")
        extra: dict[str, tuple[str, ...]] = {}
        if claims.get("jti"):
            extra["authentication.kubernetes.io/credential-id"] = (f"JTI={claims['jti']}",)
        for kind, resource in (("pod", "pods"), ("secret", "secrets")):
            ref = private.get(kind)
            if not isinstance(ref, dict):
                continue
            obj = store.get(("", resource), namespace, str(ref.get("name", "")))
            if obj is None or obj["metadata"].get("uid") != ref.get("uid"):
                raise InvalidToken(f"the {kind} the token is bound to no longer exists")
            extra[f"authentication.kubernetes.io/{kind}-name"] = (str(ref["name"]),)
            extra[f"authentication.kubernetes.io/{kind}-uid"] = (str(ref["uid"]),)
        node = private.get("node")
        if isinstance(node, dict):
            extra["authentication.kubernetes.io/node-name"] = (str(node.get("name", "")),)
            extra["authentication.kubernetes.io/node-uid"] = (str(node.get("uid", "")),)
        name = str(account.get("name"))
        return User(
            service_account_user(namespace, name),
            service_account_groups(namespace),
            str(account.get("uid", "")),
            extra,
        )
