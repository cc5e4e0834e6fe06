"""Garbage collection: owner references, foreground/orphan finalizers, namespace cleanup."""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Callable

from sandbox.apiserver import deletion
from sandbox.apiserver.errors import APIError
from sandbox.apiserver.query import Options
from sandbox.apiserver.registry import ResourceType, Target
from sandbox.apiserver.store import Event, Obj
from sandbox.apiserver.verbs import API

log = logging.getLogger(__name__)
FOREGROUND, ORPHAN = "foregroundDeletion", "orphan"
CRD_CLEANUP = "customresourcecleanup.apiextensions.k8s.io"


class Collector:
    """Reacts to store events as the garbage collector and namespace controller do."""

    def __init__(self, api: API) -> None:
        self.api = api
        api.store.listeners.append(self._on_event)

    def _later(self, job: Callable[[], None]) -> None:
        asyncio.get_running_loop().call_soon(self._run, job)

    def _run(self, job: Callable[[], None]) -> None:
        try:
            job()
        except APIError as error:  # the object changed or went away meanwhile: nothing to do
            log.debug("garbage collection step skipped: %s", error.message)

    def _on_event(self, event: Event) -> None:
        obj = event.obj
        md = obj["metadata"]
        if event.type == "DELETED":
            self._later(lambda: self._orphaned(md["uid"]))
            owners = [r.get("uid") for r in md.get("ownerReferences") or []]
            self._later(lambda: self._recheck_owners(owners))
            if md.get("namespace"):
                self._later(lambda: self._drain_namespace(md["namespace"]))
            self._later(lambda: self._recheck_crd(event.key))
        elif event.type == "ADDED" and md.get("ownerReferences"):
            self._later(lambda: self._dangling(event.key, md.get("namespace", ""), md["name"]))
        if event.type != "DELETED" and md.get("deletionTimestamp"):
            self._later(lambda: self._deleting(event.key, md.get("namespace", ""), md["name"]))

    def _rtype(self, key: tuple[str, str]) -> ResourceType | None:
        return self.api.registry.for_key(key)

    def _dependents(self, uid: str) -> list[tuple[tuple[str, str], Obj]]:
        return [
            (key, obj)
            for key, obj in self.api.store.all_objects()
            if any(r.get("uid") == uid for r in obj["metadata"].get("ownerReferences") or [])
        ]

    def _delete(self, key: tuple[str, str], obj: Obj, policy: str = "Background") -> None:
        rtype = self._rtype(key)
        md = obj["metadata"]
        if rtype is not None and not md.get("deletionTimestamp"):
            body = {"propagationPolicy": policy}
            target = Target(rtype, md.get("namespace", ""), md["name"])
            deletion.delete(self.api, target, body, {}, Options())

    def _orphaned(self, uid: str) -> None:
        """Delete dependents whose owners are all gone; drop refs to gone owners otherwise."""
        for key, obj in self._dependents(uid):
            refs = obj["metadata"]["ownerReferences"]
            alive = [r for r in refs if r.get("uid") != uid and self.api.store.by_uid(r["uid"])]
            if alive:
                self._set_refs(key, obj, alive)
            else:
                self._delete(key, obj)

    def _dangling(self, key: tuple[str, str], namespace: str, name: str) -> None:
        """Delete a new object whose owners (all of known kinds) do not exist."""
        obj = self.api.store.get(key, namespace, name)
        if obj is None:
            return
        refs = obj["metadata"].get("ownerReferences") or []
        known = all(
            self.api.registry.by_kind(r.get("apiVersion", ""), r.get("kind", "")) for r in refs
        )
        if refs and known and not any(self.api.store.by_uid(r.get("uid", "")) for r in refs):
            self._delete(key, obj)

    def _set_refs(self, key: tuple[str, str], obj: Obj, refs: list[dict]) -> None:
        rtype = self._rtype(key)
        if rtype is None:
            return
        new = copy.deepcopy(obj)
        new["metadata"]["ownerReferences"] = refs
        self.api.replace(rtype, obj, new, Options())

    def _drop_finalizer(self, key: tuple[str, str], obj: Obj, name: str) -> None:
        rtype = self._rtype(key)
        if rtype is None:
            return
        new = copy.deepcopy(obj)
        new["metadata"]["finalizers"] = [f for f in obj["metadata"]["finalizers"] if f != name]
        self.api.replace(rtype, obj, new, Options())

    def _deleting(self, key: tuple[str, str], namespace: str, name: str) -> None:
        obj = self.api.store.get(key, namespace, name)
        if obj is None:
            return
        finalizers = obj["metadata"].get("finalizers") or []
        uid = obj["metadata"]["uid"]
        if ORPHAN in finalizers:
            for dep_key, dep in self._dependents(uid):
                refs = [r for r in dep["metadata"]["ownerReferences"] if r.get("uid") != uid]
                self._set_refs(dep_key, dep, refs)
            self._drop_finalizer(key, obj, ORPHAN)
        elif FOREGROUND in finalizers:
            for dep_key, dep in self._dependents(uid):
                self._delete(dep_key, dep, "Foreground")
            self._recheck_owner(uid)
        elif key == ("", "namespaces"):
            self._drain_namespace(name)
        elif key == ("apiextensions.k8s.io", "customresourcedefinitions"):
            self._drain_crd(obj)

    def _recheck_owners(self, uids: list[str | None]) -> None:
        for uid in uids:
            self._recheck_owner(uid)

    def _recheck_owner(self, uid: str | None) -> None:
        """Finish a foreground deletion once no blocking dependent remains."""
        owner = self.api.store.by_uid(uid) if uid else None
        if owner is None or FOREGROUND not in (owner["metadata"].get("finalizers") or []):
            return
        blocking = [
            dep
            for _, dep in self._dependents(owner["metadata"]["uid"])
            for ref in dep["metadata"]["ownerReferences"]
            if ref.get("uid") == uid and ref.get("blockOwnerDeletion")
        ]
        if not blocking:
            key = self.api.store.key_of(owner["metadata"]["uid"])
            if key is not None:
                self._drop_finalizer(key, owner, FOREGROUND)

    def _drain_namespace(self, namespace: str) -> None:
        ns = self.api.store.get(("", "namespaces"), "", namespace)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return
        remaining = False
        for key, obj in self.api.store.all_objects():
            if obj["metadata"].get("namespace") == namespace:
                remaining = True
                self._delete(key, obj)
        if not remaining and (ns.get("spec") or {}).get("finalizers"):
            new = copy.deepcopy(ns)
            new["spec"]["finalizers"] = []
            rtype = self._rtype(("", "namespaces"))
            assert rtype is not None
            if new["metadata"].get("finalizers"):
                self.api.replace(rtype, ns, new, Options())
            else:
                self.api.store.remove(rtype.key, new)

    def _recheck_crd(self, key: tuple[str, str]) -> None:
        crd = self.api.store.get(
            ("apiextensions.k8s.io", "customresourcedefinitions"), "", f"{key[1]}.{key[0]}"
        )
        if crd is not None and crd["metadata"].get("deletionTimestamp"):
            self._drain_crd(crd)

    def _drain_crd(self, crd: Obj) -> None:
        spec = crd["spec"]
        key = (spec["group"], spec["names"]["plural"])
        remaining = self.api.store.items(key)
        for obj in remaining:
            self._delete(key, obj)
        if not remaining and CRD_CLEANUP in (crd["metadata"].get("finalizers") or []):
            self._drop_finalizer(
                ("apiextensions.k8s.io", "customresourcedefinitions"), crd, CRD_CLEANUP
            )
