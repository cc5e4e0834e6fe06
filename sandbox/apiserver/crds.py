"""CustomResourceDefinitions: validation, status, and serving their custom resources."""

from __future__ import annotations

from sandbox.apiserver import meta, schema
from sandbox.apiserver.errors import bad_request, cause, invalid
from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.state import State
from sandbox.apiserver.store import Event, Obj
from sandbox.apiserver.verbs import Options

CRD_KEY = ("apiextensions.k8s.io", "customresourcedefinitions")
CLEANUP = "customresourcecleanup.apiextensions.k8s.io"
NODE = {
    "metadata": {
        "name": "sandbox",
        "labels": {
            "kubernetes.io/hostname": "sandbox",
            "kubernetes.io/os": "linux",
            "node-role.kubernetes.io/control-plane": "true",
        },
    },
    "spec": {},
    "status": {
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "message": "sandbox process kubelet is ready",
            }
        ],
        "addresses": [
            {"type": "InternalIP", "address": "127.0.0.1"},
            {"type": "Hostname", "address": "sandbox"},
        ],
        "capacity": {"cpu": "2", "memory": "4Gi", "pods": "110"},
        "allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110"},
        "nodeInfo": {
            "kubeletVersion": "v1.37.0+sandbox",
            "operatingSystem": "linux",
            "architecture": "amd64",
            "containerRuntimeVersion": "sandbox://1.0",
        },
    },
}


def _spec_causes(crd: Obj) -> list[dict[str, str]]:
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    causes = [
        cause(f"spec.{path}", "FieldValueRequired", "Required value")
        for path, value in (
            ("group", spec.get("group")),
            ("names.plural", names.get("plural")),
            ("names.kind", names.get("kind")),
            ("versions", spec.get("versions")),
        )
        if not value
    ]
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        message = (
            f'Unsupported value: "{spec.get("scope")}": supported values: "Cluster", "Namespaced"'
        )
        causes.append(cause("spec.scope", "FieldValueNotSupported", message))
    if causes:
        return causes
    expected = f"{names['plural']}.{spec['group']}"
    if crd["metadata"]["name"] != expected:
        message = (
            f'Invalid value: "{crd["metadata"]["name"]}": must be spec.names.plural+"."+spec.group'
        )
        causes.append(cause("metadata.name", "FieldValueInvalid", message))
    versions = spec["versions"]
    if sum(bool(v.get("storage")) for v in versions) != 1:
        message = "Invalid value: must have exactly one version marked as storage version"
        causes.append(cause("spec.versions", "FieldValueInvalid", message))
    for index, version in enumerate(versions):
        if not ((version.get("schema") or {}).get("openAPIV3Schema")):
            path = f"spec.versions[{index}].schema.openAPIV3Schema"
            causes.append(cause(path, "FieldValueRequired", "Required value: schemas are required"))
    return causes


def admit_crd(rtype: ResourceType, crd: Obj, old: Obj | None, opts: Options) -> Obj:
    """Validate a CRD, fill its defaults and mark it accepted and Established."""
    causes = _spec_causes(crd)
    if causes:
        raise invalid(rtype.kind, crd["metadata"]["name"], rtype.group, causes)
    spec, names = crd["spec"], crd["spec"]["names"]
    names.setdefault("singular", names["kind"].lower())
    names.setdefault("listKind", f"{names['kind']}List")
    spec.setdefault("conversion", {"strategy": "None"})
    if old is None:
        crd["metadata"].setdefault("finalizers", [])
        if CLEANUP not in crd["metadata"]["finalizers"]:
            crd["metadata"]["finalizers"].append(CLEANUP)
    previous = {c["type"]: c for c in ((old or {}).get("status") or {}).get("conditions") or []}
    stamp = meta.rfc3339(meta.now())
    conditions = []
    for kind, reason, message in (
        ("NamesAccepted", "NoConflicts", "no conflicts found"),
        ("Established", "InitialNamesAccepted", "the initial names have been accepted"),
    ):
        since = (previous.get(kind) or {}).get("lastTransitionTime", stamp)
        conditions.append(
            {
                "type": kind,
                "status": "True",
                "reason": reason,
                "message": message,
                "lastTransitionTime": since,
            }
        )
    storage = next(v["name"] for v in spec["versions"] if v.get("storage"))
    stored = ((old or {}).get("status") or {}).get("storedVersions") or []
    crd["status"] = {
        "conditions": conditions,
        "acceptedNames": dict(names),
        "storedVersions": sorted({*stored, storage}),
    }
    return crd


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


def admit_custom(rtype: ResourceType, obj: Obj, old: Obj | None, opts: Options) -> Obj:
    """Prune, default and validate a custom object against its version's schema."""
    result, unknown, causes = schema.process(obj, rtype.schema or {})
    if unknown and opts.field_validation == "Strict":
        shown = ", ".join(f'unknown field "{u}"' for u in unknown)
        raise bad_request(f"strict decoding error: {shown}")
    if opts.field_validation == "Warn":
        opts.warnings.extend(f'unknown field "{u}"' for u in unknown)
    if causes:
        raise invalid(rtype.kind, obj["metadata"]["name"], rtype.group, causes)
    return result


def install(state: State) -> None:
    """Hook CRD admission into the API and keep the served types in step with CRDs."""
    state.api.kind_admit["CustomResourceDefinition"] = admit_crd
    state.api.custom_admit = admit_custom

    def on_event(event: Event) -> None:
        if event.key != CRD_KEY:
            return
        spec = event.obj["spec"]
        state.registry.remove_custom(spec["group"], spec["names"]["plural"])
        if event.type != "DELETED":
            for rtype in types_for(event.obj):
                state.registry.add(rtype)

    state.store.listeners.append(on_event)
