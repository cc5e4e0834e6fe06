"""Pure predicates and small builders the Release plan is made of (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitops.conditions import format_time, parse_time
from gitops.release.model import (
    DATA_MOUNT,
    FAIL_FAST_REASONS,
    HISTORY_LIMIT,
    EnsureDeployment,
    JobRequest,
    JobView,
    Observed,
    ReleaseSpec,
)

SNAPSHOT_FIELDS = ("file", "takenAt", "sizeBytes", "sha256", "schemaVersion", "image")


def deployment_complete(observed: Observed, image: str, replicas: int) -> bool:
    """True when the Deployment runs `image` on all `replicas`, all ready, no old pods left."""
    d = observed.deployment
    if d is None or d.image != image or d.replicas != replicas:
        return False
    if d.observed_generation < d.generation or d.old_pods:
        return False
    counts = (d.updated_replicas, d.ready_replicas, d.available_replicas)
    return all(count == replicas for count in counts)


def ready_count(observed: Observed, image: str) -> int:
    """How many pods of `image` are ready."""
    return sum(1 for pod in observed.pods if pod.image == image and pod.ready)


def stopped(observed: Observed) -> bool:
    """True when no pod of the Release exists and the Deployment (if any) wants none."""
    d = observed.deployment
    return not observed.pods and (d is None or d.replicas == 0)


def fail_fast_cause(observed: Observed, image: str, max_restarts: int) -> str:
    """Why a pod of `image` cannot become ready ('' when none is failing)."""
    for pod in observed.pods:
        if pod.image != image:
            continue
        if pod.waiting_reason in FAIL_FAST_REASONS:
            return f"container is in {pod.waiting_reason}"
        if pod.restart_count > max_restarts:
            count = pod.restart_count
            return f"container restarted {count} times (readiness.maxRestarts {max_restarts})"
    return ""


def seconds_since(observed: Observed, stamp: str | None) -> float:
    """Seconds elapsed since an RFC 3339 stamp (0 when unknown)."""
    moment = parse_time(stamp)
    return 0.0 if moment is None else (observed.now - moment).total_seconds()


def node_of(observed: Observed) -> str:
    """The node of the first scheduled pod ('' when none is scheduled)."""
    return next((pod.node_name for pod in observed.pods if pod.node_name), "")


def ensure(spec: ReleaseSpec, image: str, replicas: int | None = None) -> EnsureDeployment:
    """The action that makes the Deployment run `image` (on spec.replicas unless given)."""
    count = spec.replicas if replicas is None else replicas
    return EnsureDeployment(image=image, replicas=count, template_hash=spec.template_hash)


def drifted(spec: ReleaseSpec, observed: Observed, image: str, replicas: int) -> bool:
    """True when the Deployment is missing or differs in image, replicas or template."""
    d = observed.deployment
    if d is None:
        return True
    return (d.image, d.replicas, d.template_hash) != (image, replicas, spec.template_hash)


def job_name(spec: ReleaseSpec, kind: str, number: int) -> str:
    """Deterministic Job name, so a restarted operator finds the Job it started (<= 63 chars)."""
    return f"{spec.name[:40].rstrip('-.')}-{kind}-{number}"


def snapshot_request(spec: ReleaseSpec, rollout: Mapping[str, Any], protect: str) -> JobRequest:
    """The snapshot Job for a rollout; `protect` is the snapshot file status points to."""
    snap = spec.snapshot
    args = [
        "--database", f"{DATA_MOUNT}/{snap.database_path}",
        "--directory", f"{DATA_MOUNT}/{snap.directory}",
        "--release", spec.name,
        "--image", str(rollout.get("fromImage", "")),
        "--keep", str(snap.keep),
    ]  # fmt: skip
    if protect:
        args += ["--protect", protect]
    return JobRequest(
        name=str(rollout["snapshotJob"]),
        module="gitops.snapshot",
        args=tuple(args),
        claim_name=snap.claim_name,
        node_name=str(rollout.get("nodeName", "")),
    )


def restore_request(spec: ReleaseSpec, rollout: Mapping[str, Any]) -> JobRequest:
    """The restore Job for a rollback: the Job itself compares schema versions when asked to."""
    snap = spec.snapshot
    file = str(rollout["snapshot"]["file"])
    args = (
        "--database", f"{DATA_MOUNT}/{snap.database_path}",
        "--snapshot", f"{DATA_MOUNT}/{snap.directory}/{file}",
        "--mode", spec.rollback.restore_database,
    )  # fmt: skip
    return JobRequest(
        name=str(rollout["restoreJob"]),
        module="gitops.restore",
        args=args,
        claim_name=snap.claim_name,
        node_name=str(rollout.get("nodeName", "")),
    )


def job_result(job: JobView) -> tuple[Mapping[str, Any] | None, str]:
    """(result, '') for a Job that completed with an ok result, else (None, why it failed)."""
    result = job.result or {}
    if job.outcome == "Complete" and result.get("ok") is True:
        return result, ""
    error = str(result.get("error") or job.message or "the Job reported no result")
    return None, error


def snapshot_summary(result: Mapping[str, Any]) -> dict[str, Any]:
    """The lastSnapshot record kept in status from a snapshot result."""
    return {key: result.get(key) for key in SNAPSHOT_FIELDS}


def history_entry(
    observed: Observed, rollout: Mapping[str, Any], outcome: str, reason: str
) -> dict[str, Any]:
    """One history record for the rollout that just ended."""
    snapshot = rollout.get("snapshot") or {}
    return {
        "image": rollout.get("targetImage", ""),
        "outcome": outcome,
        "startedAt": rollout.get("startedAt"),
        "finishedAt": format_time(observed.now),
        "snapshot": snapshot.get("file"),
        "reason": reason,
    }


def prepend(history: Any, entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """History newest first, bounded."""
    old = [dict(h) for h in history] if isinstance(history, list) else []
    return [dict(entry), *old][:HISTORY_LIMIT]
