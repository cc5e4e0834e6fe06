"""PersistentVolumeClaim: Pending until bound, a spec fixed but for its requests."""

from __future__ import annotations

from typing import Any

from sandbox.apiserver.errors import cause
from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Cause, Column, Strategy
from sandbox.kinds.common import AGE, NAME, constant, spec, status

Obj = dict[str, Any]
ACCESS_MODES = {
    "ReadWriteOnce": "RWO",
    "ReadOnlyMany": "ROX",
    "ReadWriteMany": "RWX",
    "ReadWriteOncePod": "RWOP",
}


def defaults(obj: Obj, _old: Obj | None) -> None:
    """Filesystem volume mode; phase Pending."""
    obj.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")
    obj.setdefault("status", {}).setdefault("phase", "Pending")


def immutable(old: Obj, new: Obj) -> list[Cause]:
    """Only resources (and the volume name, until set) may change."""

    def view(obj: Obj) -> Obj:
        claim = dict(spec(obj))
        claim.pop("resources", None)
        claim.pop("volumeAttributesClassName", None)
        if not spec(old).get("volumeName"):
            claim.pop("volumeName", None)
        return claim

    if view(old) == view(new):
        return []
    message = "Forbidden: spec is immutable after creation except resources.requests"
    return [cause("spec", "FieldValueForbidden", message)]


def _modes(obj: Obj) -> str:
    return ",".join(ACCESS_MODES.get(m, m) for m in status(obj).get("accessModes") or [])


KIND = ResourceType(
    "",
    "v1",
    "PersistentVolumeClaim",
    "persistentvolumeclaims",
    short_names=("pvc",),
    status=True,
    strategy=Strategy(
        defaults=defaults,
        immutable=immutable,
        columns=(
            NAME,
            Column("Status", "string", 0, lambda o: status(o).get("phase", "Pending")),
            Column("Volume", "string", 0, lambda o: spec(o).get("volumeName", "")),
            Column(
                "Capacity",
                "string",
                0,
                lambda o: (status(o).get("capacity") or {}).get("storage", ""),
            ),
            Column("Access Modes", "string", 0, _modes),
            Column(
                "StorageClass", "string", 0, lambda o: spec(o).get("storageClassName", "<unset>")
            ),
            Column("VolumeAttributesClass", "string", 0, constant("<unset>")),
            AGE,
        ),
        shape={"spec": {"resources": {}}, "status": {}},
    ),
)
