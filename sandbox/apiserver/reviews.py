"""SelfSubjectAccessReview, SubjectAccessReview and SelfSubjectReview (`kubectl auth can-i`,
`kubectl auth whoami`), answered by the same RBAC evaluator that authorizes requests."""

from __future__ import annotations

from typing import Any

from sandbox.apiserver import rbac
from sandbox.apiserver.errors import bad_request
from sandbox.apiserver.identity import User
from sandbox.apiserver.requestinfo import Attributes
from sandbox.apiserver.store import Obj, Store


def _attributes(spec: Obj) -> Attributes:
    resource = spec.get("resourceAttributes")
    if isinstance(resource, dict):
        return Attributes(
            verb=str(resource.get("verb", "")),
            resource_request=True,
            group=str(resource.get("group", "")),
            version=str(resource.get("version", "")),
            resource=str(resource.get("resource", "")),
            subresource=str(resource.get("subresource", "")),
            namespace=str(resource.get("namespace", "")),
            name=str(resource.get("name", "")),
        )
    other = spec.get("nonResourceAttributes")
    if isinstance(other, dict):
        return Attributes(verb=str(other.get("verb", "")), path=str(other.get("path", "")))
    raise bad_request(
        "exactly one of nonResourceAttributes or resourceAttributes must be specified"
    )


def _subject(spec: Obj) -> User:
    if not spec.get("user") and not spec.get("groups"):
        raise bad_request("at least one of user or group must be specified")
    extra = {k: tuple(v) for k, v in (spec.get("extra") or {}).items()}
    return User(
        str(spec.get("user", "")), tuple(spec.get("groups") or ()), str(spec.get("uid", "")), extra
    )


def access_review(store: Store, body: Any, requester: User) -> Obj:
    """Answer a (Self)SubjectAccessReview: for the requester, or the subject it names."""
    if not isinstance(body, dict):
        raise bad_request("the request body must be an access review object")
    spec = dict(body.get("spec") or {})
    user = _subject(spec) if body.get("kind") == "SubjectAccessReview" else requester
    allowed, reason = rbac.decide(store, user, _attributes(spec))
    status: dict[str, Any] = {"allowed": allowed}
    if reason:
        status["reason"] = reason
    result = {**body, "spec": spec, "status": status}
    result["metadata"] = {"creationTimestamp": None, **(body.get("metadata") or {})}
    return result


def self_review(requester: User) -> Obj:
    """SelfSubjectReview: the requester's user info, as the server sees it."""
    info: dict[str, Any] = {"username": requester.name, "groups": list(requester.groups)}
    if requester.uid:
        info["uid"] = requester.uid
    if requester.extra:
        info["extra"] = {k: list(v) for k, v in requester.extra.items()}
    return {
        "kind": "SelfSubjectReview",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"creationTimestamp": None},
        "status": {"userInfo": info},
    }
