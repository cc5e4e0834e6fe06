"""Who makes a request: a user name, groups, uid and extra values, as Kubernetes' user.Info."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

SA_PREFIX = "system:serviceaccount:"
AUTHENTICATED = "system:authenticated"
MASTERS = "system:masters"


@dataclasses.dataclass(frozen=True)
class User:
    """An authenticated user."""

    name: str
    groups: tuple[str, ...] = ()
    uid: str = ""
    extra: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)

    @property
    def privileged(self) -> bool:
        """Members of system:masters may do anything (no RBAC rule is consulted)."""
        return MASTERS in self.groups


def service_account(username: str) -> tuple[str, str] | None:
    """(namespace, name) of a `system:serviceaccount:NS:NAME` user name, else None."""
    if not username.startswith(SA_PREFIX):
        return None
    namespace, sep, name = username[len(SA_PREFIX) :].partition(":")
    return (namespace, name) if sep and namespace and name and ":" not in name else None


def service_account_user(namespace: str, name: str) -> str:
    """The user name of a ServiceAccount."""
    return f"{SA_PREFIX}{namespace}:{name}"


def service_account_groups(namespace: str) -> tuple[str, ...]:
    """The groups every token of a ServiceAccount in this namespace carries."""
    return ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", AUTHENTICATED)
