"""The Release spec, validated: defaults as in ARCHITECTURE.md, errors naming the field (pure)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops.api import BACKUP_REQUEST_ANNOTATION, RESTORE_ANNOTATION, RETRY_ANNOTATION
from gitops.images import IMAGE_MESSAGE, IMAGE_RE
from gitops.release.backup.spec import BackupSpec, BackupSpecError
from gitops.release.fields import SpecError, minimum, read, relative, section
from gitops.release.gates import PreflightSpec, ReadinessSpec, VerifyCheck, parse_verify

__all__ = ["ReadinessSpec", "ReleaseSpec", "SpecError"]

STRATEGIES = ("Recreate", "RollingUpdate")
RESTORE_POLICIES = ("Never", "IfSchemaChanged", "Always")


@dataclass(frozen=True)
class SnapshotSpec:
    """Where the SQLite database lives on the claim and how snapshots are kept."""

    claim_name: str
    database_path: str = "myfoodbudget.db"
    directory: str = "snapshots"
    keep: int = 10
    required: bool = True

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SnapshotSpec:
        """Validate spec.snapshot."""
        claim = read(data, "claimName", "spec.snapshot.claimName", str, "")
        if not claim:
            raise SpecError("spec.snapshot.claimName", "is required: the PVC holding the database")
        db = read(data, "databasePath", "spec.snapshot.databasePath", str, "myfoodbudget.db")
        directory = read(data, "directory", "spec.snapshot.directory", str, "snapshots")
        keep = read(data, "keep", "spec.snapshot.keep", int, 10)
        return cls(
            claim_name=claim,
            database_path=relative(db, "spec.snapshot.databasePath"),
            directory=relative(directory, "spec.snapshot.directory"),
            keep=minimum(keep, 1, "spec.snapshot.keep"),
            required=read(data, "required", "spec.snapshot.required", bool, True),
        )


@dataclass(frozen=True)
class RollbackSpec:
    """Whether a failed version is rolled back, and when the snapshot is restored."""

    automatic: bool = True
    restore_database: str = "IfSchemaChanged"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RollbackSpec:
        """Validate spec.rollback."""
        policy = read(
            data, "restoreDatabase", "spec.rollback.restoreDatabase", str, "IfSchemaChanged"
        )
        if policy not in RESTORE_POLICIES:
            raise SpecError(
                "spec.rollback.restoreDatabase", f"must be one of {', '.join(RESTORE_POLICIES)}"
            )
        return cls(read(data, "automatic", "spec.rollback.automatic", bool, True), policy)


def _containers(template: Mapping[str, Any]) -> list[str]:
    """Names of the containers in a PodTemplateSpec."""
    pod = template.get("spec")
    containers = pod.get("containers") if isinstance(pod, dict) else None
    if not isinstance(containers, list) or not containers:
        raise SpecError("spec.template.spec.containers", "must list at least one container")
    return [str(c.get("name", "")) for c in containers if isinstance(c, dict)]


def _image(spec: Mapping[str, Any]) -> str:
    """spec.image, checked against the image reference grammar."""
    image: str = read(spec, "image", "spec.image", str, "")
    if not IMAGE_RE.match(image):
        raise SpecError("spec.image", f"{IMAGE_MESSAGE}; got {image!r}")
    return image


def _container(spec: Mapping[str, Any], template: Mapping[str, Any]) -> str:
    """spec.container, which must name a container of the template."""
    container: str = read(spec, "container", "spec.container", str, "app")
    names = _containers(template)
    if container not in names:
        have = ", ".join(names)
        message = f"{container!r} is not in spec.template.spec.containers ({have})"
        raise SpecError("spec.container", message)
    return container


def data_volume(template: Mapping[str, Any], container: str, claim: str) -> str:
    """The volume of the template that holds `claim` and `container` mounts ('' when none)."""
    pod = template.get("spec") or {}
    volumes = [v for v in pod.get("volumes") or [] if isinstance(v, Mapping)]
    holding = {
        str(v.get("name"))
        for v in volumes
        if (v.get("persistentVolumeClaim") or {}).get("claimName") == claim
    }
    target: Mapping[str, Any] = next(
        (c for c in pod.get("containers") or [] if c.get("name") == container), {}
    )
    mounted = [
        str(m.get("name")) for m in target.get("volumeMounts") or [] if isinstance(m, Mapping)
    ]
    return next((name for name in mounted if name in holding), "")


def _preflight(
    data: Mapping[str, Any], template: Mapping[str, Any], container: str, claim: str
) -> tuple[PreflightSpec, str]:
    """spec.preflight, and the volume whose mount the preflight pod points at its copy."""
    preflight = PreflightSpec.from_dict(data)
    volume = data_volume(template, container, claim)
    if preflight.enabled and not volume:
        message = (
            f"container {container!r} of spec.template mounts no volume of claim {claim!r}, so "
            "the new image cannot be given a copy of the database; mount the claim or set "
            "spec.preflight.enabled to false"
        )
        raise SpecError("spec.preflight", message)
    return preflight, volume


def _backup(spec: Mapping[str, Any]) -> BackupSpec | None:
    """spec.backup, validated (None when absent)."""
    if "backup" not in spec:
        return None
    try:
        return BackupSpec.from_dict(section(spec, "backup"))
    except BackupSpecError as error:
        raise SpecError(error.field, error.message) from None


def _strategy(spec: Mapping[str, Any]) -> str:
    """spec.strategy, one of STRATEGIES."""
    strategy: str = read(spec, "strategy", "spec.strategy", str, "Recreate")
    if strategy not in STRATEGIES:
        raise SpecError("spec.strategy", f"must be one of {', '.join(STRATEGIES)}")
    return strategy


def _template_hash(template: Mapping[str, Any], container: str, strategy: str) -> str:
    """Stable short hash of everything in the Deployment except image and replicas."""
    blob = json.dumps([template, container, strategy], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ReleaseSpec:
    """A validated Release spec (defaults as in ARCHITECTURE.md), plus name, generation, retry."""

    image: str
    template: Mapping[str, Any]
    snapshot: SnapshotSpec
    replicas: int = 1
    container: str = "app"
    strategy: str = "Recreate"
    readiness: ReadinessSpec = field(default_factory=ReadinessSpec)
    rollback: RollbackSpec = field(default_factory=RollbackSpec)
    preflight: PreflightSpec = field(default_factory=PreflightSpec)
    verify: tuple[VerifyCheck, ...] = ()
    data_volume: str = ""  # the template's volume of the claim (the preflight's copy goes there)
    paused: bool = False
    name: str = "release"
    generation: int = 0
    retry_token: str = ""  # value of the retry annotation ("" when absent)
    template_hash: str = ""
    backup: BackupSpec | None = None
    restore_request: str = ""  # value of the restore annotation ("" when absent)
    backup_token: str = ""  # value of the backup-requested annotation

    @classmethod
    def from_dict(
        cls,
        spec: Mapping[str, Any],
        annotations: Mapping[str, str] | None = None,
        *,
        name: str = "release",
        generation: int = 0,
    ) -> ReleaseSpec:
        """Validate a Release's spec; raise SpecError naming the first bad field."""
        image = _image(spec)
        template = section(spec, "template")
        container = _container(spec, template)
        strategy = _strategy(spec)
        replicas = minimum(read(spec, "replicas", "spec.replicas", int, 1), 0, "spec.replicas")
        snapshot = SnapshotSpec.from_dict(section(spec, "snapshot"))
        preflight, volume = _preflight(
            section(spec, "preflight"), template, container, snapshot.claim_name
        )
        notes = annotations or {}
        return cls(
            image=image,
            template=template,
            snapshot=snapshot,
            replicas=replicas,
            container=container,
            strategy=strategy,
            readiness=ReadinessSpec.from_dict(section(spec, "readiness")),
            rollback=RollbackSpec.from_dict(section(spec, "rollback")),
            preflight=preflight,
            verify=parse_verify(spec),
            data_volume=volume,
            paused=read(spec, "paused", "spec.paused", bool, False),
            name=name,
            generation=generation,
            retry_token=str(notes.get(RETRY_ANNOTATION, "")),
            template_hash=_template_hash(template, container, strategy),
            backup=_backup(spec),
            restore_request=str(notes.get(RESTORE_ANNOTATION, "")).strip(),
            backup_token=str(notes.get(BACKUP_REQUEST_ANNOTATION, "")),
        )
