"""The backup plan: (spec, status, observed) -> the next backup Job and status.backup (pure).

It runs beside the release plan, on the status that plan just decided, and acts only while the
release is idle (nothing in flight, nothing to repair): one backup Job at a time, recorded in
status.backup.running before anything else starts, so a rollout, a restore or a VACUUM never
meets a backup Job on the database, and a restarted operator finds the Job it started.

In order: a backup asked for with the backup-requested annotation, the schedule, the newest
pre-deploy snapshot not yet sent off-site, the verification schedule. A schedule runs when its
first slot after its last run has passed (missed slots run once). Besides: the claim's usage
from every Job's result (a Warning above diskWarningPercent) and a stale backup (older than
twice the schedule's period) are Warnings once, when they begin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from gitops.clock import format_time, parse_time
from gitops.release.actions import Event, JobRequest
from gitops.release.backup import reasons as B
from gitops.release.backup.jobs import (
    REQUESTED,
    SCHEDULED,
    SEND,
    VERIFY,
    backup_of,
    build_backup_request,
    build_job_name,
    digest,
)
from gitops.release.backup.record import record_result
from gitops.release.backup.schedule import Cron
from gitops.release.observed import JobView, Observed, node_of
from gitops.release.spec import ReleaseSpec
from gitops.sizes import human

Status = dict[str, Any]
WAIT_FOR_JOB = 2.0


@dataclass(frozen=True)
class BackupDecision:
    """The whole next status (status.backup decided), a Job to start, the Events to emit."""

    status: Status
    job: JobRequest | None = None
    events: tuple[Event, ...] = ()
    requeue_after: float | None = None


@dataclass(frozen=True)
class Start:
    """A backup Job to start and what status.backup records of it."""

    kind: str
    job: JobRequest
    changes: Mapping[str, Any] = field(default_factory=dict)


def decide_backup(
    spec: ReleaseSpec, status: Mapping[str, Any], observed: Observed, idle: bool
) -> BackupDecision:
    """Record a finished backup Job, then start the next one when the release is idle."""
    now, backup = observed.now, dict(status.get("backup") or {})
    events: list[Event] = []
    _anchor(spec, backup, now)
    running = backup.get("running") or {}
    if running:
        job = observed.job(str(running.get("job")))
        if job is not None and job.outcome is None:
            return _decided(spec, status, backup, None, events, WAIT_FOR_JOB)
        if job is None:  # created before status named it, so it was deleted since
            job = _vanished(str(running.get("job")))
        repository = _repository(spec)
        events += record_result(backup, str(running.get("kind")), job, repository, now)
        backup["running"] = None
    _take_disk(backup, observed, now)
    events += _disk_warning(spec, backup) + _stale_warning(spec, backup, now)
    start = _next(spec, status, backup, observed) if idle else None
    if start is not None:
        backup.update(start.changes)
        backup["running"] = {
            "kind": start.kind,
            "job": start.job.name,
            "startedAt": format_time(now),
        }
    requeue = WAIT_FOR_JOB if start else _until_next(spec, backup, now)
    return _decided(spec, status, backup, start.job if start else None, events, requeue)


def _decided(  # noqa: PLR0913, PLR0917 - the fields of one record
    spec: ReleaseSpec,
    status: Mapping[str, Any],
    backup: Status,
    job: JobRequest | None,
    events: list[Event],
    requeue: float | None,
) -> BackupDecision:
    """The decision, with the next scheduled backup written for people."""
    schedule = backup_of(spec).schedule
    anchor = parse_time((backup.get("anchors") or {}).get("schedule"))
    backup["nextBackup"] = format_time(schedule.next_after(anchor)) if schedule and anchor else None
    new = {**status, "backup": backup or None}
    return BackupDecision(new, job, tuple(events), requeue)


def _repository(spec: ReleaseSpec) -> str:
    """The repository, '' without one."""
    offsite = backup_of(spec).offsite
    return offsite.repository if offsite else ""


def _vanished(name: str) -> JobView:
    """A JobView for a Job that no longer exists."""
    return JobView(name, "Failed", None, f"Job {name} was deleted before it reported")


def _schedules(spec: ReleaseSpec) -> dict[str, Cron | None]:
    """The schedules of spec.backup by their anchor's name."""
    backup = spec.backup
    if backup is None:
        return {}
    return {"schedule": backup.schedule, "verify": backup.verify_schedule, "vacuum": backup.vacuum}


def _anchor(spec: ReleaseSpec, backup: Status, now: datetime) -> None:
    """A schedule seen for the first time counts from now (it runs at its next slot)."""
    anchors = dict(backup.get("anchors") or {})
    for name, cron in _schedules(spec).items():
        if cron is not None and not parse_time(anchors.get(name)):
            anchors[name] = format_time(now)
    backup["anchors"] = anchors or None


def _due(spec: ReleaseSpec, backup: Status, name: str, now: datetime) -> datetime | None:
    """The slot of a schedule to run now, if any."""
    cron = _schedules(spec).get(name)
    anchor = parse_time((backup.get("anchors") or {}).get(name))
    return cron.due(anchor, now) if cron is not None else None


def _next(
    spec: ReleaseSpec, status: Mapping[str, Any], backup: Status, observed: Observed
) -> Start | None:
    """The backup Job to start now, if any."""
    now, node, anchors = observed.now, node_of(observed), dict(backup.get("anchors") or {})
    if spec.backup_token and spec.backup_token != backup.get("requestToken"):
        name = build_job_name(spec, f"req-{digest(spec.backup_token)}")
        job = build_backup_request(spec, "scheduled", name, node, "--image", _serving(status))
        return Start(REQUESTED, job, {"requestToken": spec.backup_token})
    slot = _due(spec, backup, "schedule", now)
    if slot is not None:
        name = build_job_name(spec, slot.strftime("%Y%m%d%H%M"))
        job = build_backup_request(spec, "scheduled", name, node, "--image", _serving(status))
        return Start(SCHEDULED, job, {"anchors": {**anchors, "schedule": format_time(now)}})
    snapshot = str((status.get("lastSnapshot") or {}).get("file") or "")
    if _repository(spec) and snapshot and snapshot != backup.get("sentSnapshot"):
        name = build_job_name(spec, f"send-{digest(snapshot)}")
        job = build_backup_request(spec, "send", name, node, "--file", snapshot)
        return Start(SEND, job, {"sentSnapshot": snapshot})
    slot = _due(spec, backup, "verify", now)
    if slot is not None and (_repository(spec) or backup.get("lastBackup") or snapshot):
        name = build_job_name(spec, f"verify-{slot.strftime('%Y%m%d%H%M')}")
        job = build_backup_request(spec, "verify", name, node)
        return Start(VERIFY, job, {"anchors": {**anchors, "verify": format_time(now)}})
    return None


def _serving(status: Mapping[str, Any]) -> str:
    """The image serving now (what wrote the data)."""
    return str(status.get("image") or "")


def _take_disk(backup: Status, observed: Observed, now: datetime) -> None:
    """The claim's figures from a release Job that just reported them."""
    for job in (observed.snapshot_job, observed.restore_job, *observed.jobs.values()):
        disk = (job.result or {}).get("disk") if job is not None and job.outcome else None
        old = {k: v for k, v in (backup.get("disk") or {}).items() if k != "measuredAt"}
        if isinstance(disk, Mapping) and dict(disk) != old and job is not None:
            backup["disk"] = {**disk, "measuredAt": format_time(now)}


def _disk_warning(spec: ReleaseSpec, backup: Status) -> list[Event]:
    """DiskSpaceLow once when usage crosses diskWarningPercent (cleared below it)."""
    disk, limit = backup.get("disk") or {}, backup_of(spec).disk_warning_percent
    percent = float(disk.get("usedPercent") or 0)
    low = percent >= limit
    was, backup["diskLow"] = bool(backup.get("diskLow")), low or None
    if not low or was:
        return []
    reason = B.DISK_SPACE_LOW
    values = {
        "claim": spec.snapshot.claim_name,
        "percent": f"{percent:.0f}",
        "used": human(int(disk.get("usedBytes") or 0)),
        "free": human(int(disk.get("freeBytes") or 0)),
        "limit": limit,
    }
    return [Event(reason.event_type, reason.name, reason.message(**values))]


def _stale_warning(spec: ReleaseSpec, backup: Status, now: datetime) -> list[Event]:
    """BackupStale once when the newest backup gets older than twice the schedule's period."""
    schedule = backup_of(spec).schedule
    since = parse_time((backup.get("anchors") or {}).get("schedule"))
    if schedule is None or since is None:
        backup["stale"] = None
        return []
    copies = {"local": (backup.get("lastBackup") or {}).get("takenAt")}
    if _repository(spec):
        copies["off-site"] = (backup.get("lastOffsiteBackup") or {}).get("time")
    stale, period = None, schedule.period(since)
    for copy, stamp in copies.items():
        newest = parse_time(stamp) or since
        if now - newest > 2 * period:
            stale = (copy, stamp or "never", period)
            break
    was, backup["stale"] = backup.get("stale"), stale[0] if stale else None
    if stale is None or was:
        return []
    copy, when, span = stale
    reason = B.BACKUP_STALE
    message = reason.message(copy=copy, when=when, period=_span(span))
    return [Event(reason.event_type, reason.name, message)]


def _span(delta: timedelta) -> str:
    """A period for people: 1 day, 6 hours, 15 minutes."""
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count > 1 else ''}"
    return f"{seconds} seconds"


def _until_next(spec: ReleaseSpec, backup: Status, now: datetime) -> float | None:
    """Seconds until the first schedule's next slot (None without schedules)."""
    waits = []
    for name, cron in _schedules(spec).items():
        anchor = parse_time((backup.get("anchors") or {}).get(name))
        if cron is not None and anchor is not None:
            waits.append(max((cron.next_after(anchor) - now).total_seconds(), 0.5))
    return min(waits) if waits else None
