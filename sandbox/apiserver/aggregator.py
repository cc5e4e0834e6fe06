"""The aggregator's bookkeeping: an APIService for every group version the server serves.

At start every built-in group version gets a local APIService (label `automanaged: onstart`,
the real priorities); a CRD's served versions get one while a CRD serves them (`automanaged:
"true"`, priorities 1000/100). An APIService that names a Service is reported unavailable:
the sandbox proxies to no extension API server (and keeps no Endpoints).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from sandbox.apiserver import meta
from sandbox.apiserver.crds import CRD_KEY
from sandbox.apiserver.errors import APIError
from sandbox.apiserver.query import Options
from sandbox.apiserver.registry import ResourceType, Target
from sandbox.apiserver.store import Event, Obj
from sandbox.apiserver.verbs import API

KEY = ("apiregistration.k8s.io", "apiservices")
AUTOMANAGED = "kube-aggregator.kubernetes.io/automanaged"
LOCAL = ("True", "Local", "Local APIServices are always available")
# groupPriorityMinimum of the built-in groups (kube-apiserver's table); versionPriority 15
PRIORITIES = {
    "": 18000,
    "apps": 17800,
    "events.k8s.io": 17750,
    "authentication.k8s.io": 17700,
    "authorization.k8s.io": 17600,
    "autoscaling": 17500,
    "batch": 17400,
    "certificates.k8s.io": 17300,
    "networking.k8s.io": 17200,
    "policy": 17100,
    "rbac.authorization.k8s.io": 17000,
    "storage.k8s.io": 16800,
    "apiextensions.k8s.io": 16700,
    "admissionregistration.k8s.io": 16700,
    "scheduling.k8s.io": 16600,
    "coordination.k8s.io": 16500,
    "node.k8s.io": 16300,
    "discovery.k8s.io": 16200,
    "flowcontrol.apiserver.k8s.io": 16100,
    "resource.k8s.io": 15900,
    "storagemigration.k8s.io": 15800,
}
# versionPriority where it is not 15
VERSION_PRIORITIES = {
    ("", "v1"): 1,
    ("autoscaling", "v2"): 30,
    ("flowcontrol.apiserver.k8s.io", "v1"): 21,
}
SELF = "apiregistration.k8s.io"  # served by the aggregator itself, never an APIService


def name_of(group: str, version: str) -> str:
    """`<version>.<group>`, `v1.` for the core group."""
    return f"{version}.{group}"


def built_in(group: str, version: str) -> Obj:
    """The local APIService of a built-in group version."""
    return {
        "metadata": {"name": name_of(group, version), "labels": {AUTOMANAGED: "onstart"}},
        "spec": {
            "group": group,
            "version": version,
            "groupPriorityMinimum": PRIORITIES.get(group, 15000),
            "versionPriority": VERSION_PRIORITIES.get((group, version), 15),
        },
    }


def for_crd(group: str, version: str) -> Obj:
    """The local APIService of a group version a CRD serves."""
    return {
        "metadata": {"name": name_of(group, version), "labels": {AUTOMANAGED: "true"}},
        "spec": {"group": group, "version": version, "groupPriorityMinimum": 1000,
                 "versionPriority": 100},
    }  # fmt: skip


def availability(api: API, obj: Obj) -> dict[str, Any]:
    """The `Available` condition the availability controller would write."""
    ref = (obj.get("spec") or {}).get("service")
    if not ref:
        state, reason, message = LOCAL
    else:
        name, namespace = ref.get("name", ""), ref.get("namespace", "")
        state = "False"
        if api.store.get(("", "services"), namespace, name) is None:
            reason, message = "ServiceNotFound", f'service/{name} in "{namespace}" is not present'
        else:
            reason, message = (
                "EndpointsNotFound",
                f'cannot find endpoints for service/{name} in "{namespace}"',
            )
    old = [c for c in (obj.get("status") or {}).get("conditions") or [] if c["type"] == "Available"]
    same = old and old[0].get("status") == state
    since = old[0].get("lastTransitionTime") if same else meta.rfc3339(meta.now())
    return {"type": "Available", "status": state, "lastTransitionTime": since, "reason": reason,
            "message": message}  # fmt: skip


def _rtype(api: API) -> ResourceType | None:
    """The APIService type (None when the server does not serve it)."""
    return api.registry.lookup(KEY[0], "v1", KEY[1])


def register_built_ins(api: API) -> None:
    """An APIService for every group version served now (the built-in kinds)."""
    served = api.registry.group_versions()
    versions = {("", "v1"), *((g, v) for g, vs in served.items() if g != SELF for v in vs)}
    for group, version in sorted(versions):
        _ensure(api, built_in(group, version))


def _ensure(api: API, body: Obj) -> None:
    rtype = _rtype(api)
    if rtype is None or api.store.get(KEY, "", body["metadata"]["name"]) is not None:
        return
    _mark(api, api.create(rtype, "", body, Options()))


def _mark(api: API, obj: Obj) -> None:
    """Write the availability condition when it changed."""
    rtype = _rtype(api)
    status = {"conditions": [availability(api, obj)]}
    if rtype is None or (obj.get("status") or {}) == status:
        return
    target = Target(rtype, None, obj["metadata"]["name"], "status")
    body = {"metadata": {"name": obj["metadata"]["name"]}, "status": status}
    with contextlib.suppress(APIError):  # gone meanwhile
        api.update(target, body, Options())


class APIServiceRegistration:
    """Keeps APIServices in step with the CRDs the server serves, and their availability."""

    def __init__(self, api: API) -> None:
        """Listen to the store's changes."""
        self.api = api
        api.store.listeners.append(self._on_event)

    def _on_event(self, event: Event) -> None:
        later = asyncio.get_running_loop().call_soon
        if event.key == CRD_KEY:
            later(self._sync_crds)
        elif event.key == KEY and event.type != "DELETED":
            later(self._refresh, event.obj["metadata"]["name"])
        elif event.key == ("", "services") and event.type in ("ADDED", "DELETED"):
            names = [o["metadata"]["name"] for o in self.api.store.items(KEY)]
            for name in names:
                later(self._refresh, name)

    def _refresh(self, name: str) -> None:
        obj = self.api.store.get(KEY, "", name)
        if obj is not None:
            _mark(self.api, obj)

    def _sync_crds(self) -> None:
        """CRD group versions get an APIService while some CRD serves them."""
        served = {
            (crd["spec"]["group"], v["name"])
            for crd in self.api.store.items(CRD_KEY)
            if not crd["metadata"].get("deletionTimestamp")
            for v in crd["spec"].get("versions") or []
            if v.get("served", True)
        }
        for group, version in sorted(served):
            _ensure(self.api, for_crd(group, version))
        for obj in self.api.store.items(KEY):
            spec = obj.get("spec") or {}
            managed = (obj["metadata"].get("labels") or {}).get(AUTOMANAGED) == "true"
            if managed and (spec.get("group"), spec.get("version")) not in served:
                self.api.store.remove(KEY, obj)
