"""Condition and Event reasons of the Release, each with its Event type and message template."""

from __future__ import annotations

from gitops.api import RETRY_ANNOTATION, Reason, index_reasons

RETRY_HINT = f"change spec.image, or set the annotation {RETRY_ANNOTATION} to a new value to retry"

INVALID_SPEC = Reason.warning("InvalidSpec", "{error}; fix the Release, nothing was changed")
CLAIM_NOT_FOUND = Reason.warning(
    "ClaimNotFound",
    "PersistentVolumeClaim {claim!r} (spec.snapshot.claimName) does not exist; create it or "
    "fix the name. Nothing was rolled out",
)
AVAILABLE = Reason.normal("Available", "{image} is serving")
UNAVAILABLE = Reason.warning(
    "Unavailable",
    "{image}: {ready}/{replicas} replicas ready for {seconds}s, Degraded after {limit}s",
)
# The serving version failing after it was ready: one Warning per incident, never a rollback.
NOT_ROLLED_BACK = "not rolled back, it served before: look at its logs, or release a fix"
CONTAINER_RESTARTED = Reason.warning(
    "ContainerRestarted",
    "{image} is degraded: pod {pod} restarted (restart count {count}), last termination "
    "{termination}; " + NOT_ROLLED_BACK,
)
READINESS_LOST = Reason.warning(
    "ReadinessLost",
    "{image} is degraded: {ready}/{replicas} replicas ready for {seconds}s "
    "(spec.readiness.degradedAfterSeconds {limit}), last termination {termination}; "
    + NOT_ROLLED_BACK,
)
RECOVERED = Reason.normal(
    "Recovered",
    "{image} is healthy again: every replica ready and no restart for {seconds}s "
    "(degraded since {since}, {incident})",
)
PAUSED = Reason.normal(
    "Paused", "spec.paused is true: {image} is not rolled out, {serving} keeps serving"
)
FAILED_IMAGE_HELD = Reason.warning(
    "FailedImageNotRetried", "{image} failed before and is not retried; " + RETRY_HINT
)
SCALING_DOWN = Reason.normal(
    "ScalingDown", "strategy Recreate: stopping {serving} so the snapshot is quiescent"
)
SNAPSHOT_STARTED = Reason.normal("SnapshotStarted", "Job {job} is taking a snapshot of {database}")
SNAPSHOT_TAKEN = Reason.normal(
    "SnapshotTaken", "snapshot {file} taken ({size} bytes, schema version {schema})"
)
SNAPSHOT_FAILED = Reason.warning(
    "SnapshotFailed", "snapshot failed: {error}; nothing was rolled out; " + RETRY_HINT
)
SNAPSHOT_SKIPPED = Reason.warning(
    "SnapshotSkipped",
    "snapshot failed: {error}; spec.snapshot.required is false, rolling out without one",
)
PREFLIGHT_STARTED = Reason.normal(
    "PreflightStarted",
    "pod {pod} runs {image} on a copy of the database (at most {timeout}s); {serving} keeps "
    "serving",
)
PREFLIGHT_PASSED = Reason.normal(
    "PreflightPassed",
    "{image} passed the preflight in {seconds}s on a copy of the database{detail}",
)
# {next_step}: why the serving version is untouched and how to retry, or "rolling back to <x>"
PREFLIGHT_FAILED = Reason.warning(
    "PreflightFailed",
    "{image} failed the preflight on a copy of the database: {cause}; {next_step}",
)
ROLLOUT_STARTED = Reason.normal(
    "RolloutStarted", "rolling out {image}: {ready}/{replicas} ready{note}"
)
ROLLOUT_SUCCEEDED = Reason.normal(
    "RolloutSucceeded", "{image} is ready ({replicas} replicas){detail}"
)
ROLLOUT_SUPERSEDED = Reason.normal(
    "RolloutSuperseded", "{old} superseded by {image} before it was ready"
)
ROLLOUT_CANCELLED = Reason.normal(
    "RolloutCancelled", "spec.image is back to {image}: rollout of {target} cancelled{detail}"
)
# {next_step}: "rolling back to <previous>", or why it is not rolled back and how to retry.
READINESS_FAILED = Reason.warning(
    "ReadinessFailed", "{image} failed readiness: {cause}; {next_step}"
)
VERIFY_FAILED = Reason.warning(
    "VerifyFailed", "{image} failed its smoke checks (spec.verify): {cause}; {next_step}"
)
BAKE_STARTED = Reason.normal(
    "BakeStarted", "{image} is ready; watching it for {seconds}s before it serves ({watch})"
)
BAKE_FAILED = Reason.warning("BakeFailed", "{image} failed its bake window: {cause}; {next_step}")
RESTORE_STARTED = Reason.normal(
    "RestoreStarted", "Job {job} is restoring snapshot {file} ({policy})"
)
RESTORE_COMPLETED = Reason.normal("RestoreCompleted", "database restored from {file}{detail}")
RESTORE_SKIPPED = Reason.normal("RestoreSkipped", "database kept: {detail}")
# {next_step}: in a rollback, what to do by hand; for a restore asked for, what serves now.
RESTORE_FAILED = Reason.warning("RestoreFailed", "restoring {file} failed: {error}; {next_step}")
ROLLBACK_RESTORE_HAND = (
    "the app stays scaled to 0, restore a snapshot with the annotation "
    "gitops.myfoodbudget.dev/restore (docs/operations.md), then " + RETRY_HINT
)
WAITING_FOR_BACKUP = Reason.normal(
    "WaitingForBackup", "{image} waits for the backup Job {job} to finish"
)
# A restore asked for with the restore annotation, and spec.backup.vacuum.
RESTORE_REQUESTED = Reason.normal(
    "RestoreRequested", "restore of {ref} asked for: Job {job} checks it while {serving} serves"
)
STOPPING_APP = Reason.normal("StoppingApp", "stopping {serving} for the {work}")
STARTING_APP = Reason.normal(
    "StartingApp", "{done}: starting {serving} again ({ready}/{replicas} ready)"
)
RESTORE_REVERTING = Reason.warning(
    "RestoreReverting",
    "{serving} did not become ready on {file} within {timeout}s: putting the database kept "
    "as {aside} back",
)
VACUUM_STARTED = Reason.normal("VacuumStarted", "Job {job} runs VACUUM on {database}")
VACUUM_COMPLETED = Reason.normal("VacuumCompleted", "{detail}")
VACUUM_FAILED = Reason.warning("VacuumFailed", "VACUUM failed: {error}; {serving} serves again")
ROLLED_BACK = Reason.warning(
    "RolledBack", "{image} failed ({cause}); {previous} serves again; {data}"
)
ROLLBACK_FAILED = Reason.warning(
    "RollbackFailed", "{previous} did not become ready within {timeout}s after the rollback"
)

# The Serving condition: whether some version serves, which, and why (a condition, no Event).
SPEC_IMAGE_SERVES = Reason.normal("SpecImageServes", "{image} serves, as spec.image asks")
PREVIOUS_IMAGE_SERVES = Reason.normal(
    "PreviousImageServes", "{image} serves; {failed} was rolled back: {cause}"
)
SERVES_WHILE_HELD = Reason.normal(
    "ServesWhileHeld", "{image} serves; {wanted} is not rolled out ({why})"
)
SERVES_DURING_RELEASE = Reason.normal(
    "ServesDuringRelease", "{image} serves during phase {phase}{detail}"
)
NOTHING_SERVES = Reason.warning("NothingServes", "no version serves: {why}")

BY_NAME = index_reasons(globals())
