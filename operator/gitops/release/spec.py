"""The Release spec, validated: defaults as in ARCHITECTURE.md, errors naming the field (pure)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops.api import RETRY_ANNOTATION
from gitops.images import IMAGE_MESSAGE, IMAGE_RE

STRATEGIES = ("Recreate", "RollingUpdate")
RESTORE_POLICIES = ("Never", "IfSchemaChanged", "Always")


class SpecError(ValueError):
    """An invalid Release spec, naming the offending field and how to fix it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _get(data: Mapping[str, Any], key: str, path: str, kind: type, default: Any) -> Any:
    """Read one field with a type check (bool is not an int)."""
    value = data.get(key, default)
    wrong_bool = kind is int and isinstance(value, bool)
    if not isinstance(value, kind) or wrong_bool:
        raise SpecError(path, f"must be a {kind.__name__}, got {value!r}")
    return value


def _minimum(value: int, minimum: int, path: str) -> int:
    """Refuse an integer under its minimum."""
    if value < minimum:
        raise SpecError(path, f"must be >= {minimum}, got {value}")
    return value


def _relative(value: str, path: str) -> str:
    """Refuse an empty, absolute or escaping path inside the claim."""
    parts = value.split("/")
    if not value or value.startswith("/") or ".." in parts:
        raise SpecError(
            path, f"must be a relative path inside the claim without '..', got {value!r}"
        )
    return value


def _section(spec: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """Return a nested object of the spec (empty when absent)."""
    section: Mapping[str, Any] = _get(spec, key, f"spec.{key}", dict, {})
    return section


@dataclass(frozen=True)
class ReadinessSpec:
    """How long a new version may take to become ready, and how many restarts it may have."""

    timeout_seconds: int = 300
    max_restarts: int = 2

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReadinessSpec:
        """Validate spec.readiness."""
        timeout = _get(data, "timeoutSeconds", "spec.readiness.timeoutSeconds", int, 300)
        restarts = _get(data, "maxRestarts", "spec.readiness.maxRestarts", int, 2)
        return cls(
            _minimum(timeout, 1, "spec.readiness.timeoutSeconds"),
            _minimum(restarts, 0, "spec.readiness.maxRestarts"),
        )


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
        claim = _get(data, "claimName", "spec.snapshot.claimName", str, "")
        if not claim:
            raise SpecError("spec.snapshot.claimName", "is required: the PVC holding the database")
        db = _get(data, "databasePath", "spec.snapshot.databasePath", str, "myfoodbudget.db")
        directory = _get(data, "directory", "spec.snapshot.directory", str, "snapshots")
        keep = _get(data, "keep", "spec.snapshot.keep", int, 10)
        return cls(
            claim_name=claim,
            database_path=_relative(db, "spec.snapshot.databasePath"),
            directory=_relative(directory, "spec.snapshot.directory"),
            keep=_minimum(keep, 1, "spec.snapshot.keep"),
            required=_get(data, "required", "spec.snapshot.required", bool, True),
        )


@dataclass(frozen=True)
class RollbackSpec:
    """Whether a failed version is rolled back, and when the snapshot is restored."""

    automatic: bool = True
    restore_database: str = "IfSchemaChanged"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RollbackSpec:
        """Validate spec.rollback."""
        policy = _get(
            data, "restoreDatabase", "spec.rollback.restoreDatabase", str, "IfSchemaChanged"
        )
        if policy not in RESTORE_POLICIES:
            raise SpecError(
                "spec.rollback.restoreDatabase", f"must be one of {', '.join(RESTORE_POLICIES)}"
            )
        return cls(_get(data, "automatic", "spec.rollback.automatic", bool, True), policy)


def _containers(template: Mapping[str, Any]) -> list[str]:
    """Names of the containers in a PodTemplateSpec."""
    pod = template.get("spec")
    containers = pod.get("containers") if isinstance(pod, dict) else None
    if not isinstance(containers, list) or not containers:
        raise SpecError("spec.template.spec.containers", "must list at least one container")
    return [str(c.get("name", "")) for c in containers if isinstance(c, dict)]


def _image(spec: Mapping[str, Any]) -> str:
    """spec.image, checked against the image reference grammar."""
    image: str = _get(spec, "image", "spec.image", str, "")
    if not IMAGE_RE.match(image):
        raise SpecError("spec.image", f"{IMAGE_MESSAGE}; got {image!r}")
    return image


def _container(spec: Mapping[str, Any], template: Mapping[str, Any]) -> str:
    """spec.container, which must name a container of the template."""
    container: str = _get(spec, "container", "spec.container", str, "app")
    names = _containers(template)
    if container not in names:
        have = ", ".join(names)
        message = f"{container!r} is not in spec.template.spec.containers ({have})"
        raise SpecError("spec.container", message)
    return container


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
    paused: bool = False
    name: str = "release"
    generation: int = 0
    retry_token: str = ""  # value of the retry annotation ("" when absent)
    template_hash: str = ""

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
        template = _section(spec, "template")
        container = _container(spec, template)
        strategy = _get(spec, "strategy", "spec.strategy", str, "Recreate")
        if strategy not in STRATEGIES:
            raise SpecError("spec.strategy", f"must be one of {', '.join(STRATEGIES)}")
        replicas = _minimum(_get(spec, "replicas", "spec.replicas", int, 1), 0, "spec.replicas")
        return cls(
            image=image,
            template=template,
            snapshot=SnapshotSpec.from_dict(_section(spec, "snapshot")),
            replicas=replicas,
            container=container,
            strategy=strategy,
            readiness=ReadinessSpec.from_dict(_section(spec, "readiness")),
            rollback=RollbackSpec.from_dict(_section(spec, "rollback")),
            paused=_get(spec, "paused", "spec.paused", bool, False),
            name=name,
            generation=generation,
            retry_token=str((annotations or {}).get(RETRY_ANNOTATION, "")),
            template_hash=_template_hash(template, container, strategy),
        )
