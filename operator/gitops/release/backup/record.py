"""What a finished backup Job's result does to status.backup, and its Events (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gitops.clock import format_time
from gitops.release.actions import Event
from gitops.release.backup import reasons as B
from gitops.release.backup.jobs import SEND, VERIFY
from gitops.release.observed import JobView, job_result

Status = dict[str, Any]
SNAPSHOT_KEYS = ("file", "takenAt", "sizeBytes", "sha256", "schemaVersion", "image")


def _event(reason: Any, **values: object) -> Event:
    """The Event of a backup reason."""
    return Event(reason.event_type, reason.name, reason.message(**values))


def _failure(backup: Status, kind: str, message: str, now: datetime) -> None:
    """Keep the last failure for people (status.backup.lastFailure)."""
    backup["lastFailure"] = {"kind": kind, "time": format_time(now), "message": message}


def record_verify(
    backup: Status, part: Mapping[str, Any], repository: str, now: datetime
) -> list[Event]:
    """status.backup.lastVerified from a verification's result, and its Event."""
    what = f"restic snapshot {part['snapshotId']}" if part.get("snapshotId") else "the snapshot"
    what = f"{what} ({part.get('file') or 'newest'})" if repository else str(part.get("file"))
    entry = {
        "time": format_time(now),
        "snapshotId": part.get("snapshotId"),
        "file": part.get("file"),
    }
    if not part.get("ok"):
        error = str(part.get("error") or "no result")
        backup["lastVerified"] = {**entry, "outcome": "Failed", "message": error}
        return [_event(B.VERIFY_FAILED, what=what, error=error)]
    if repository:
        detail = "restored into a scratch file, integrity_check ok, sha256 as in its sidecar, "
        detail += f"restic check read a sample of {part.get('sample')}"
    else:
        detail = "integrity_check ok, sha256 as in its sidecar"
    backup["lastVerified"] = {**entry, "outcome": "Passed", "message": detail}
    return [_event(B.VERIFIED, what=what, detail=detail)]


def _record_offsite(
    backup: Status, part: Mapping[str, Any], file: str, repository: str, now: datetime
) -> list[Event]:
    """status.backup.lastOffsiteBackup from a send's result, and its Event."""
    if not part.get("ok"):
        error = str(part.get("error") or "no result")
        _failure(backup, "Offsite", error, now)
        return [_event(B.OFFSITE_FAILED, file=file, error=error)]
    backup["lastOffsiteBackup"] = {
        "snapshotId": part.get("snapshotId"),
        "file": part.get("file") or file,
        "time": part.get("time"),
        "repository": repository,
    }
    return [_event(B.OFFSITE_COMPLETED, file=file, id=part.get("snapshotId"))]


def _record_snapshot(
    backup: Status, result: Mapping[str, Any], repository: str, now: datetime
) -> list[Event]:
    """A scheduled or asked-for backup: lastBackup, then its off-site part and check."""
    backup["lastBackup"] = {key: result.get(key) for key in SNAPSHOT_KEYS}
    part = result.get("offsite") or {}
    sent = f", sent off-site as restic snapshot {part['snapshotId']}" if part.get("ok") else ""
    events = [
        _event(
            B.BACKUP_COMPLETED,
            file=result.get("file"),
            size=result.get("sizeBytes"),
            schema=result.get("schemaVersion"),
            offsite=sent,
        )
    ]
    if part:
        events += _record_offsite(backup, part, str(result.get("file")), repository, now)
    if result.get("verify"):
        events += record_verify(backup, result["verify"], repository, now)
    return events


def record_result(
    backup: Status, kind: str, job: JobView, repository: str, now: datetime
) -> list[Event]:
    """Fold a finished backup Job's result into status.backup; return its Events."""
    result, error = job_result(job)
    disk = (job.result or {}).get("disk")
    if isinstance(disk, Mapping):
        backup["disk"] = {**disk, "measuredAt": format_time(now)}
    file = str((job.result or {}).get("file") or backup.get("sentSnapshot") or "")
    if kind == VERIFY:
        failed = {"ok": False, "error": error}
        part = failed if result is None else (result.get("verify") or failed)
        return record_verify(backup, part, repository, now)
    if result is None:
        _failure(backup, kind, error, now)
        if kind == SEND:
            return [_event(B.OFFSITE_FAILED, file=file, error=error)]
        return [_event(B.BACKUP_FAILED, error=error)]
    if kind == SEND:
        events = _record_offsite(backup, result.get("offsite") or {}, file, repository, now)
        return events + record_verify(backup, result.get("verify") or {}, repository, now)
    return _record_snapshot(backup, result, repository, now)
