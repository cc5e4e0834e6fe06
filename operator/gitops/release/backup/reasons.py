"""Event reasons of a Release's backups, each with its Event type and message template.

They go on Events (and notifications, for the Warnings) and into status.backup; unlike the
reasons of gitops.release.reasons they never set the Release's conditions: a backup that
fails does not make the serving version unready.
"""

from __future__ import annotations

from gitops.api import Reason, index_reasons

BACKUP_COMPLETED = Reason.normal(
    "BackupCompleted", "backup {file} taken ({size} bytes, schema version {schema}){offsite}"
)
BACKUP_FAILED = Reason.warning("BackupFailed", "backup failed: {error}; the database is untouched")
OFFSITE_COMPLETED = Reason.normal(
    "OffsiteBackupCompleted", "{file} is in the repository as restic snapshot {id}"
)
OFFSITE_FAILED = Reason.warning(
    "OffsiteBackupFailed", "sending {file} to the repository failed: {error}"
)
VERIFIED = Reason.normal("BackupVerified", "verified {what}: {detail}")
VERIFY_FAILED = Reason.warning("BackupVerifyFailed", "verifying {what} failed: {error}")
BACKUP_STALE = Reason.warning(
    "BackupStale",
    "the newest {copy} backup is from {when}, older than twice the schedule's period "
    "({period}); status.backup.lastFailure says why",
)
DISK_SPACE_LOW = Reason.warning(
    "DiskSpaceLow",
    "the claim {claim} is {percent}% full ({used} used, {free} free), above "
    "spec.backup.diskWarningPercent ({limit}%): free space, keep fewer snapshots, or grow it",
)

BY_NAME = index_reasons(globals())
