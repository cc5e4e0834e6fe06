"""Condition and Event reasons of the Release, each paired with its message template."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gitops.release.model import RETRY_ANNOTATION


@dataclass(frozen=True)
class Reason:
    """A CamelCase reason, its message template, and whether its Event is a Warning."""

    name: str
    template: str
    warning: bool = False

    def message(self, **values: Any) -> str:
        """Fill the template."""
        return self.template.format(**values)


_RETRY_HINT = f"change spec.image, or set the annotation {RETRY_ANNOTATION} to a new value to retry"

INVALID_SPEC = Reason("InvalidSpec", "{error}; fix the Release, nothing was changed", True)
CLAIM_NOT_FOUND = Reason(
    "ClaimNotFound",
    "PersistentVolumeClaim {claim!r} (spec.snapshot.claimName) does not exist; create it or "
    "fix the name. Nothing was rolled out",
    True,
)
AVAILABLE = Reason("Available", "{image} is serving")
UNAVAILABLE = Reason("Unavailable", "{image}: {ready}/{replicas} replicas ready", True)
PAUSED = Reason("Paused", "spec.paused is true: {image} is not rolled out, {serving} keeps serving")
FAILED_IMAGE_HELD = Reason(
    "FailedImageNotRetried", "{image} failed before and is not retried; " + _RETRY_HINT, True
)
SCALING_DOWN = Reason(
    "ScalingDown", "strategy Recreate: stopping {serving} so the snapshot is quiescent"
)
SNAPSHOT_STARTED = Reason("SnapshotStarted", "Job {job} is taking a snapshot of {database}")
SNAPSHOT_TAKEN = Reason(
    "SnapshotTaken", "snapshot {file} taken ({size} bytes, schema version {schema})"
)
SNAPSHOT_FAILED = Reason(
    "SnapshotFailed", "snapshot failed: {error}; nothing was rolled out; " + _RETRY_HINT, True
)
SNAPSHOT_SKIPPED = Reason(
    "SnapshotSkipped",
    "snapshot failed: {error}; spec.snapshot.required is false, rolling out without one",
    True,
)
ROLLOUT_STARTED = Reason("RolloutStarted", "rolling out {image}: {ready}/{replicas} ready{note}")
ROLLOUT_SUCCEEDED = Reason("RolloutSucceeded", "{image} is ready ({replicas} replicas)")
ROLLOUT_SUPERSEDED = Reason("RolloutSuperseded", "{old} superseded by {image} before it was ready")
ROLLOUT_CANCELLED = Reason(
    "RolloutCancelled", "spec.image is back to {image}: rollout of {target} cancelled{detail}"
)
READINESS_FAILED = Reason(
    "ReadinessFailed", "{image} failed readiness: {cause}; rolling back to {previous}", True
)
ROLLOUT_FAILED = Reason(
    "ReadinessFailed",
    "{image} failed readiness: {cause}; not rolled back: {why}; " + _RETRY_HINT,
    True,
)
RESTORE_STARTED = Reason("RestoreStarted", "Job {job} is restoring snapshot {file} ({policy})")
RESTORE_COMPLETED = Reason("RestoreCompleted", "database restored from {file}{detail}")
RESTORE_SKIPPED = Reason("RestoreSkipped", "database kept: {detail}")
RESTORE_FAILED = Reason(
    "RestoreFailed",
    "restoring {file} failed: {error}; the app stays scaled to 0, restore by hand "
    "(see docs/operations.md) then " + _RETRY_HINT,
    True,
)
ROLLED_BACK = Reason(
    "RolledBack", "{image} failed ({cause}); {previous} serves again; {data}", True
)
ROLLBACK_FAILED = Reason(
    "RollbackFailed", "{previous} did not become ready within {timeout}s after the rollback", True
)

BY_NAME = {r.name: r for r in list(globals().values()) if isinstance(r, Reason)}
