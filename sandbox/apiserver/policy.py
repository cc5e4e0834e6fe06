"""The bootstrap RBAC policy (bootstrap-rbac.yaml) and the ClusterRole aggregation controller.

At start the server creates the roles and bindings a real 1.37 server has (cluster-admin,
admin, edit, view, the `system:aggregate-to-*` roles, discovery for every authenticated user),
labelled `kubernetes.io/bootstrapping: rbac-defaults`. A ClusterRole with an `aggregationRule`
gets, in its `rules`, every rule of the ClusterRoles its selectors match, kept up to date as
those change (the clusterrole-aggregation controller).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import pathlib
from typing import Any

import yaml

from sandbox.apiserver.errors import APIError
from sandbox.apiserver.query import Options
from sandbox.apiserver.rbac import CLUSTER_BINDINGS, CLUSTER_ROLES, GROUP
from sandbox.apiserver.selectors import match_label_selector
from sandbox.apiserver.store import Event, Obj
from sandbox.apiserver.verbs import API

log = logging.getLogger(__name__)
POLICY = pathlib.Path(__file__).with_name("bootstrap-rbac.yaml")
BOOTSTRAP_META: dict[str, dict[str, str]] = {
    "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
    "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"},
}


def _bootstrap_meta(name: str) -> dict[str, Any]:
    meta: dict[str, Any] = {key: dict(value) for key, value in BOOTSTRAP_META.items()}
    meta["name"] = name
    return meta


def _objects() -> tuple[list[Obj], list[Obj]]:
    data = yaml.safe_load(POLICY.read_text())
    roles = []
    for name, role in data["clusterRoles"].items():
        md = _bootstrap_meta(name)
        md["labels"].update(role.get("labels") or {})
        obj: Obj = {"metadata": md, "rules": role.get("rules") or []}
        if "aggregationRule" in role:
            obj["aggregationRule"] = role["aggregationRule"]
        roles.append(obj)
    bindings = [
        {
            "metadata": _bootstrap_meta(name),
            "roleRef": {"apiGroup": GROUP, "kind": "ClusterRole", "name": name},
            "subjects": [{"apiGroup": GROUP, **s} for s in subjects],
        }
        for name, subjects in data["clusterRoleBindings"].items()
    ]
    return roles, bindings


def seed_policy(api: API) -> None:
    """Create the bootstrap ClusterRoles and ClusterRoleBindings, then aggregate."""
    roles, bindings = _objects()
    for key, objects in ((CLUSTER_ROLES, roles), (CLUSTER_BINDINGS, bindings)):
        rtype = api.registry.for_key(key)
        assert rtype is not None
        for obj in objects:
            api.create(rtype, "", obj, Options())
    aggregate(api)


def _aggregated_rules(api: API, role: Obj) -> list[Obj]:
    selectors = (role.get("aggregationRule") or {}).get("clusterRoleSelectors") or []
    rules: list[Obj] = []
    for other in sorted(api.store.items(CLUSTER_ROLES), key=lambda o: o["metadata"]["name"]):
        if other["metadata"]["name"] == role["metadata"]["name"]:
            continue
        labels = other["metadata"].get("labels") or {}
        if any(match_label_selector(s, labels) for s in selectors):
            rules += [r for r in other.get("rules") or [] if r not in rules]
    return rules


def aggregate(api: API) -> None:
    """Bring the rules of every aggregated ClusterRole up to date (until nothing changes)."""
    rtype = api.registry.for_key(CLUSTER_ROLES)
    assert rtype is not None
    for _ in range(10):  # aggregated roles may feed others (view -> edit -> admin)
        changed = False
        for role in api.store.items(CLUSTER_ROLES):
            if not role.get("aggregationRule"):
                continue
            rules = _aggregated_rules(api, role)
            if rules != (role.get("rules") or []):
                new = copy.deepcopy(role)
                new["rules"] = rules
                api.replace(rtype, role, new, Options())
                changed = True
        if not changed:
            return


class Aggregator:
    """Re-aggregates after any ClusterRole changes."""

    def __init__(self, api: API) -> None:
        """React to the store's events."""
        self.api = api
        self._pending = False
        api.store.listeners.append(self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.obj.get("kind") == "ClusterRole" and not self._pending:
            self._pending = True
            asyncio.get_running_loop().call_soon(self._run)

    def _run(self) -> None:
        self._pending = False
        try:
            aggregate(self.api)
        except APIError as error:
            log.debug("aggregation skipped: %s", error.message)
