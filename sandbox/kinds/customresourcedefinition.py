"""CustomResourceDefinition: validated, its names accepted and Established at once.

Serving the custom resources a CRD defines is the API server's part (apiserver/crds.py).
"""

from __future__ import annotations

from typing import Any

from sandbox.apiserver import meta
from sandbox.apiserver.crds import CLEANUP
from sandbox.apiserver.errors import cause
from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Cause, Strategy
from sandbox.kinds.common import CREATED_AT, NAME, required

Obj = dict[str, Any]
NAMES = {"plural": "", "kind": ""}  # CustomResourceDefinitionNames: no omitempty
CONDITIONS = (
    ("NamesAccepted", "NoConflicts", "no conflicts found"),
    ("Established", "InitialNamesAccepted", "the initial names have been accepted"),
)


def validate(crd: Obj) -> list[Cause]:
    """Group, names, scope, its name, one storage version and a schema per version."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    causes = [
        required(f"spec.{path}")
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
    return causes or _version_causes(crd)


def _version_causes(crd: Obj) -> list[Cause]:
    spec, names = crd["spec"], crd["spec"]["names"]
    causes = []
    if crd["metadata"]["name"] != f"{names['plural']}.{spec['group']}":
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


def _conditions(old: Obj | None) -> list[dict[str, Any]]:
    previous = {c["type"]: c for c in ((old or {}).get("status") or {}).get("conditions") or []}
    stamp = meta.rfc3339(meta.now())
    return [
        {
            "type": kind,
            "status": "True",
            "reason": reason,
            "message": message,
            "lastTransitionTime": (previous.get(kind) or {}).get("lastTransitionTime", stamp),
        }
        for kind, reason, message in CONDITIONS
    ]


def admit(crd: Obj, old: Obj | None) -> Obj:
    """Fill the names' defaults, hold it for cleanup, mark it accepted and Established."""
    spec, names = crd["spec"], crd["spec"]["names"]
    names.setdefault("singular", names["kind"].lower())
    names.setdefault("listKind", f"{names['kind']}List")
    spec.setdefault("conversion", {"strategy": "None"})
    if old is None:
        crd["metadata"].setdefault("finalizers", [])
        if CLEANUP not in crd["metadata"]["finalizers"]:
            crd["metadata"]["finalizers"].append(CLEANUP)
    storage = next(v["name"] for v in spec["versions"] if v.get("storage"))
    stored = ((old or {}).get("status") or {}).get("storedVersions") or []
    crd["status"] = {
        "conditions": _conditions(old),
        "acceptedNames": dict(names),
        "storedVersions": sorted({*stored, storage}),
    }
    return crd


KIND = ResourceType(
    "apiextensions.k8s.io",
    "v1",
    "CustomResourceDefinition",
    "customresourcedefinitions",
    namespaced=False,
    short_names=("crd", "crds"),
    status=True,
    generation=True,
    categories=("api-extensions",),
    strategy=Strategy(
        validate=validate,
        admit=admit,
        columns=(NAME, CREATED_AT),
        check_unknown_fields=False,  # JSONSchemaProps are too loose to check against a schema
        shape={
            "spec": {
                "names": NAMES,
                "versions[]": {"name": "", "served": False, "storage": False},
            },
            "status": {"acceptedNames": NAMES, "storedVersions": None},
        },
    ),
)
