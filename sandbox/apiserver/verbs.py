"""The API verbs (create, update, patch) on stored objects, shared by HTTP and controllers."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from sandbox.apiserver import meta
from sandbox.apiserver.admission import admit
from sandbox.apiserver.convert import to_storage
from sandbox.apiserver.errors import (
    already_exists,
    bad_request,
    cause,
    conflict,
    forbidden,
    invalid,
    not_found,
)
from sandbox.apiserver.query import Options
from sandbox.apiserver.registry import Registry, ResourceType, Target
from sandbox.apiserver.store import Obj, Store


class API:
    """Create, update and patch objects with the API server's metadata rules."""

    def __init__(self, registry: Registry, store: Store) -> None:
        """Verbs over this registry's types and this store."""
        self.registry = registry
        self.store = store
        # mutating admission of new objects, before defaults and validation (e.g. a pod's
        # ServiceAccount token volume)
        self.mutating: list[Callable[[ResourceType, Obj], None]] = []

    def get(self, rtype: ResourceType, namespace: str, name: str) -> Obj:
        """The stored object, or 404."""
        obj = self.store.get(rtype.key, namespace if rtype.namespaced else "", name)
        if obj is None:
            raise not_found(rtype.plural, name, rtype.group)
        return obj

    def _check_namespace(self, rtype: ResourceType, namespace: str, name: str) -> None:
        if not rtype.namespaced:
            return
        ns = self.store.get(("", "namespaces"), "", namespace)
        if ns is None:
            raise not_found("namespaces", namespace)
        if ns["metadata"].get("deletionTimestamp"):
            why = (
                f"unable to create new content in namespace {namespace} because it is being "
                "terminated"
            )
            raise forbidden(rtype.plural, name, rtype.group, why)

    def _body(self, rtype: ResourceType, namespace: str, body: Any) -> Obj:
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object")
        obj = copy.deepcopy(body)
        kind = obj.setdefault("kind", rtype.kind)
        api_version = obj.setdefault("apiVersion", rtype.api_version)
        if (kind, api_version) != (rtype.kind, rtype.api_version):
            raise bad_request(
                f"the API version in the data ({api_version}) does not match the expected API "
                f"version ({rtype.api_version}) or kind {kind} is not {rtype.kind}"
            )
        rest = {k: v for k, v in obj.items() if k not in ("kind", "apiVersion", "metadata")}
        obj = {"kind": kind, "apiVersion": api_version, "metadata": obj.get("metadata") or {}}
        obj.update(rest)
        md = obj["metadata"]
        if not isinstance(md, dict):
            raise bad_request("metadata must be an object")
        if rtype.namespaced:
            if md.get("namespace") not in (None, "", namespace):
                raise bad_request(
                    "the namespace of the provided object does not match the namespace sent "
                    "on the request"
                )
            md["namespace"] = namespace
        else:
            md.pop("namespace", None)
        return to_storage(rtype, obj)

    def create(self, rtype: ResourceType, namespace: str, body: Any, opts: Options) -> Obj:
        """POST: a new object with uid, timestamps and resourceVersion."""
        obj = self._body(rtype, namespace, body)
        md = obj["metadata"]
        if not md.get("name"):
            if not md.get("generateName"):
                raise invalid(rtype.kind, "", rtype.group, [meta.cause_required_name()])
            md["name"] = meta.generate_name(md["generateName"])
        self._check_namespace(rtype, namespace, md["name"])
        if self.store.get(rtype.key, md.get("namespace", ""), md["name"]) is not None:
            raise already_exists(rtype.plural, md["name"], rtype.group)
        for key in (
            "resourceVersion",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "selfLink",
        ):
            md.pop(key, None)
        md["uid"] = meta.new_uid()
        md["creationTimestamp"] = meta.rfc3339(meta.now())
        if rtype.generation or rtype.custom:
            md["generation"] = 1
        if rtype.status:
            obj.pop("status", None)
        for plugin in self.mutating:
            plugin(rtype, obj)
        obj = admit(rtype, obj, None, opts)
        return self.commit(rtype, None, obj, opts)

    def update(self, target: Target, body: Any, opts: Options) -> Obj:
        """PUT: replace the object (or its status), honouring resourceVersion."""
        old = self.get(target.rtype, target.ns, target.name)
        new = self._body(target.rtype, target.ns, body)
        return self.replace(target.rtype, old, new, opts, target.sub)

    def replace(
        self, rtype: ResourceType, old: Obj, new: Obj, opts: Options, subresource: str = ""
    ) -> Obj:
        """Turn `old` into `new` with the update rules, then store it."""
        md, old_md = new["metadata"], old["metadata"]
        name = old_md["name"]
        if md.get("name", name) != name:
            raise bad_request(
                f"the name of the object ({md.get('name')}) does not match the name on the URL "
                f"({name})"
            )
        rv = md.get("resourceVersion")
        if rv not in (None, "") and rv != old_md["resourceVersion"]:
            raise conflict(rtype.plural, name, rtype.group)
        if subresource == "status":
            new = _status_update(rtype, old, new)
        else:
            self._keep_system_fields(rtype, old, new)
        md = new["metadata"]
        md["resourceVersion"] = old_md["resourceVersion"]
        self._check_finalizers(rtype, old, new)
        new = admit(rtype, new, old, opts)
        if not subresource:
            causes = rtype.strategy.immutable(old, new)
            if causes:
                raise invalid(rtype.kind, old_md["name"], rtype.group, causes)
            self._bump_generation(rtype, old, new)
        return self.commit(rtype, old, new, opts)

    def _keep_system_fields(self, rtype: ResourceType, old: Obj, new: Obj) -> None:
        md, old_md = new["metadata"], old["metadata"]
        for key in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "namespace",
        ):
            md.pop(key, None)
            if key in old_md:
                md[key] = old_md[key]
        if "managedFields" not in md and "managedFields" in old_md:
            md["managedFields"] = old_md["managedFields"]
        if rtype.status:
            new.pop("status", None)
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
        kept = rtype.strategy.kept_on_update
        if kept:
            spec, old_spec = new.setdefault("spec", {}), old.get("spec", {})
            for key in kept:
                if key in old_spec:
                    spec.setdefault(key, old_spec[key])

    def _check_finalizers(self, rtype: ResourceType, old: Obj, new: Obj) -> None:
        if not old["metadata"].get("deletionTimestamp"):
            return
        added = set(new["metadata"].get("finalizers") or []) - set(
            old["metadata"].get("finalizers") or []
        )
        if added:
            shown = ", ".join(f'"{f}"' for f in sorted(added))
            message = (
                "Forbidden: no new finalizers can be added if the object is being deleted, "
                f"found new finalizers []string{{{shown}}}"
            )
            causes = [cause("metadata.finalizers", "FieldValueForbidden", message)]
            raise invalid(rtype.kind, old["metadata"]["name"], rtype.group, causes)

    def _bump_generation(self, rtype: ResourceType, old: Obj, new: Obj) -> None:
        if "generation" not in old["metadata"]:
            return

        def view(obj: Obj) -> dict[str, Any]:
            out = {k: v for k, v in obj.items() if k not in ("metadata", "apiVersion", "kind")}
            if rtype.status:
                out.pop("status", None)
            if rtype.strategy.annotations_bump_generation:
                out["annotations"] = obj["metadata"].get("annotations")
            return out

        if view(old) != view(new):
            new["metadata"]["generation"] = old["metadata"]["generation"] + 1

    def commit(self, rtype: ResourceType, old: Obj | None, new: Obj, opts: Options) -> Obj:
        """Store the result: ADDED, MODIFIED, DELETED (finalizers done) or nothing (no-op)."""
        md = new["metadata"]
        if md.get("deletionTimestamp") and not _finalizers(new) and old is not None:
            return new if opts.dry_run else self.store.remove(rtype.key, new)
        if old is not None and _same(old, new):
            return old
        if opts.dry_run:
            return new
        return self.store.write(rtype.key, new, "ADDED" if old is None else "MODIFIED")


def _finalizers(obj: Obj) -> list[str]:
    """Finalizers still holding an object (a Namespace also has `spec.finalizers`)."""
    held = list(obj["metadata"].get("finalizers") or [])
    if obj.get("kind") == "Namespace" and obj.get("apiVersion") == "v1":
        held += (obj.get("spec") or {}).get("finalizers") or []
    return held


def _status_update(rtype: ResourceType, old: Obj, body: Obj) -> Obj:
    """A /status write changes status (and, for built-ins, annotations) only."""
    new = copy.deepcopy(old)
    new.pop("status", None)
    if body.get("status") is not None:
        new["status"] = body["status"]
    annotations = body["metadata"].get("annotations")
    if not rtype.custom and annotations is not None:
        new["metadata"]["annotations"] = annotations
    return new


def _same(old: Obj, new: Obj) -> bool:
    def strip(obj: Obj) -> Obj:
        out = dict(obj)
        md = out["metadata"] = dict(obj["metadata"])
        md["managedFields"] = [
            {k: v for k, v in e.items() if k != "time"} for e in md.get("managedFields") or []
        ]
        return out

    return strip(old) == strip(new)
