"""Custom resources: the types a CRD serves, kept in step with the stored CRDs.

The CRD kind itself (validation, accepted names, conditions) is a kind module of sandbox/kinds/;
a custom object's schema is applied at admission (apiserver/schema.py).
"""

from __future__ import annotations

from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.state import State
from sandbox.apiserver.store import Event, Obj

CRD_KEY = ("apiextensions.k8s.io", "customresourcedefinitions")
CLEANUP = "customresourcecleanup.apiextensions.k8s.io"  # held until its objects are gone


def types_for(crd: Obj) -> list[ResourceType]:
    """The served resource types of a CRD, one per served version."""
    spec, names = crd["spec"], crd["spec"]["names"]
    storage = next(v["name"] for v in spec["versions"] if v.get("storage"))
    found = []
    for version in spec["versions"]:
        if not version.get("served", True):
            continue
        subs = version.get("subresources") or {}
        found.append(
            ResourceType(
                spec["group"],
                version["name"],
                names["kind"],
                names["plural"],
                spec["scope"] == "Namespaced",
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                status="status" in subs,
                scale="scale" in subs,
                generation=True,
                custom=True,
                schema=(version.get("schema") or {}).get("openAPIV3Schema") or {},
                columns=tuple(version.get("additionalPrinterColumns") or ()),
                scale_paths=subs.get("scale") or {},
                storage_version=storage,
            )
        )
    return found


def install(state: State) -> None:
    """Keep the served types in step with the stored CRDs."""

    def on_event(event: Event) -> None:
        if event.key != CRD_KEY:
            return
        spec = event.obj["spec"]
        state.registry.remove_custom(spec["group"], spec["names"]["plural"])
        if event.type != "DELETED":
            for rtype in types_for(event.obj):
                state.registry.add(rtype)

    state.store.listeners.append(on_event)
