"""What a decision means for the outside world: metrics and notifications."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gitops import metrics
from gitops.conditions import parse_time
from gitops.notify import Notification
from gitops.release.model import Decision

ACTIVE = ("Snapshotting", "RollingOut", "RollingBack")
FINAL = ("Ready", "RolledBack", "Failed")
ALWAYS_NOTIFY = ("RollbackFailed", "RestoreFailed", "InvalidSpec")
SNAPSHOT_OUTCOMES = {
    "SnapshotTaken": "succeeded",
    "SnapshotFailed": "failed",
    "SnapshotSkipped": "failed",
}
RESTORE_OUTCOMES = {
    "RestoreCompleted": "succeeded",
    "RestoreSkipped": "succeeded",
    "RestoreFailed": "failed",
}


def _elapsed(rollout: Mapping[str, Any] | None, now: datetime) -> float | None:
    """Seconds since the rollout started (None when unknown)."""
    started = parse_time((rollout or {}).get("startedAt"))
    return None if started is None else max(0.0, (now - started).total_seconds())


def record_metrics(old: Mapping[str, Any], decision: Decision, now: datetime | None = None) -> None:
    """Count snapshots, restores, finished releases and rollbacks this decision reports."""
    now = now or datetime.now(UTC)
    new = decision.status
    reason = decision.event.reason if decision.event else ""
    if reason in SNAPSHOT_OUTCOMES:
        metrics.SNAPSHOTS.labels(SNAPSHOT_OUTCOMES[reason]).inc()
        seconds = _elapsed(old.get("rollout"), now)
        if reason == "SnapshotTaken" and seconds is not None:
            metrics.SNAPSHOT_SECONDS.observe(seconds)
    if reason in RESTORE_OUTCOMES:
        metrics.RESTORES.labels(RESTORE_OUTCOMES[reason]).inc()
    phase, before = new.get("phase"), old.get("phase")
    if phase in FINAL and before in ACTIVE:
        metrics.RELEASES.labels(phase).inc()
        seconds = _elapsed(old.get("rollout"), now)
        if seconds is not None:
            metrics.RELEASE_SECONDS.labels(phase).observe(seconds)
        if phase == "RolledBack":
            failure = (old.get("rollout") or {}).get("failure") or {}
            metrics.ROLLBACKS.labels(str(failure.get("reason") or "Unknown")).inc()


def notification_for(
    namespace: str, name: str, old: Mapping[str, Any], decision: Decision
) -> Notification | None:
    """A notification when a release was rolled back or failed (None otherwise)."""
    new, event = decision.status, decision.event
    if event is None or event.type != "Warning":
        return None
    phase = str(new.get("phase") or "")
    entered = phase in ("RolledBack", "Failed") and old.get("phase") != phase
    if not entered and event.reason not in ALWAYS_NOTIFY:
        return None
    fields = {
        "release": f"{namespace}/{name}",
        "phase": phase,
        "reason": event.reason,
        "serving": str(new.get("image") or ""),
        "failedImage": str(new.get("failedImage") or ""),
    }
    subject = f"Release {namespace}/{name}: {phase} ({event.reason})"
    return Notification(subject=subject, text=event.message, fields=fields)
