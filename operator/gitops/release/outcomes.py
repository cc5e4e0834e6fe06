"""What a decision means for the outside world: metrics and notifications."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gitops import metrics
from gitops.api import WARNING
from gitops.clock import parse_time
from gitops.notify import Notification
from gitops.release import reasons as R
from gitops.release.actions import Decision, Event
from gitops.release.backup import reasons as B
from gitops.release.state import Phase, Rollout

# Besides a release that ends failed: these are posted once per occurrence (an incident of
# the serving version opens once, however often its pods flap).
ALWAYS_NOTIFY = frozenset(
    r.name
    for r in (
        R.ROLLBACK_FAILED,
        R.RESTORE_FAILED,
        R.INVALID_SPEC,
        R.CONTAINER_RESTARTED,
        R.READINESS_LOST,
    )
)
SNAPSHOT_OUTCOMES = {
    R.SNAPSHOT_TAKEN.name: "succeeded",
    R.SNAPSHOT_FAILED.name: "failed",
    R.SNAPSHOT_SKIPPED.name: "failed",
}
RESTORE_OUTCOMES = {
    R.RESTORE_COMPLETED.name: "succeeded",
    R.RESTORE_SKIPPED.name: "succeeded",
    R.RESTORE_FAILED.name: "failed",
}


def _elapsed(rollout: Rollout | None, now: datetime) -> float | None:
    """Seconds since the rollout started (None when unknown)."""
    started = parse_time(rollout.started_at if rollout else None)
    return None if started is None else max(0.0, (now - started).total_seconds())


def record_metrics(old: Mapping[str, Any], decision: Decision, now: datetime | None = None) -> None:
    """Count snapshots, restores, finished releases and rollbacks this decision reports."""
    now = now or datetime.now(UTC)
    rollout = Rollout.from_status(old)
    reason = decision.event.reason if decision.event else ""
    if reason in SNAPSHOT_OUTCOMES:
        metrics.SNAPSHOTS.labels(SNAPSHOT_OUTCOMES[reason]).inc()
        seconds = _elapsed(rollout, now)
        if reason == R.SNAPSHOT_TAKEN.name and seconds is not None:
            metrics.SNAPSHOT_SECONDS.observe(seconds)
    if reason in RESTORE_OUTCOMES:
        metrics.RESTORES.labels(RESTORE_OUTCOMES[reason]).inc()
    for key, counter in (("preflight", metrics.PREFLIGHTS), ("bake", metrics.BAKES)):
        record = decision.status.get(key)
        if isinstance(record, Mapping) and record != old.get(key):  # just judged
            counter.labels(str(record.get("outcome", "")).lower()).inc()
    phase, before = Phase.parse(decision.status.get("phase")), Phase.parse(old.get("phase"))
    if phase is not None and phase.final and before is not None and before.active:
        metrics.RELEASES.labels(phase.value).inc()
        seconds = _elapsed(rollout, now)
        if seconds is not None:
            metrics.RELEASE_SECONDS.labels(phase.value).observe(seconds)
        if phase is Phase.ROLLED_BACK:
            failure = rollout.failure if rollout else None
            metrics.ROLLBACKS.labels(failure.reason if failure else "Unknown").inc()


def build_notification(
    namespace: str, name: str, old: Mapping[str, Any], decision: Decision
) -> Notification | None:
    """A notification when a release was rolled back or failed (None otherwise)."""
    new, event = decision.status, decision.event
    if event is None or event.type != WARNING:
        return None
    phase = Phase.parse(new.get("phase"))
    failed = phase is not None and phase.final and phase.degraded is True
    entered = failed and old.get("phase") != new.get("phase")
    if not entered and event.reason not in ALWAYS_NOTIFY:
        return None
    fields = {
        "release": f"{namespace}/{name}",
        "phase": str(new.get("phase") or ""),
        "reason": event.reason,
        "serving": str(new.get("image") or ""),
        "failedImage": str(new.get("failedImage") or ""),
    }
    subject = f"Release {namespace}/{name}: {fields['phase']} ({event.reason})"
    return Notification(subject=subject, text=event.message, fields=fields)


BACKUP_OUTCOMES = {
    B.BACKUP_COMPLETED.name: ("local", "succeeded"),
    B.BACKUP_FAILED.name: ("local", "failed"),
    B.OFFSITE_COMPLETED.name: ("offsite", "succeeded"),
    B.OFFSITE_FAILED.name: ("offsite", "failed"),
}
VERIFY_OUTCOMES = {B.VERIFIED.name: "passed", B.VERIFY_FAILED.name: "failed"}


def record_backup_metrics(
    release: str, backup: Mapping[str, Any], events: tuple[Event, ...]
) -> None:
    """Count backups and verifications; the gauges of the newest backups, staleness and disk."""
    for event in events:
        if event.reason in BACKUP_OUTCOMES:
            metrics.BACKUPS.labels(*BACKUP_OUTCOMES[event.reason]).inc()
        if event.reason in VERIFY_OUTCOMES:
            metrics.VERIFICATIONS.labels(VERIFY_OUTCOMES[event.reason]).inc()
    metrics.BACKUP_STALE.labels(release).set(1 if backup.get("stale") else 0)
    stamps = {
        "local": (backup.get("lastBackup") or {}).get("takenAt"),
        "offsite": (backup.get("lastOffsiteBackup") or {}).get("time"),
    }
    for copy, stamp in stamps.items():
        moment = parse_time(stamp)
        if moment is not None:
            metrics.LAST_BACKUP.labels(release, copy).set(moment.timestamp())
    used = (backup.get("disk") or {}).get("usedPercent")
    if isinstance(used, int | float):
        metrics.VOLUME_USED.labels(release).set(used)


def build_backup_notifications(
    namespace: str, name: str, events: tuple[Event, ...]
) -> list[Notification]:
    """One notification per backup Warning (failed, not verified, stale, disk low)."""
    notes = []
    for event in events:
        if event.type != WARNING:
            continue
        fields = {"release": f"{namespace}/{name}", "reason": event.reason}
        subject = f"Release {namespace}/{name}: {event.reason}"
        notes.append(Notification(subject=subject, text=event.message, fields=fields))
    return notes
