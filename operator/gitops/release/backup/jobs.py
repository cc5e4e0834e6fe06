"""The Jobs of spec.backup, as JobRequests running `python -m gitops.backup` (pure)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from gitops.release.actions import DATA_MOUNT, RESTIC_MOUNT, SCRATCH_MOUNT, JobRequest
from gitops.release.backup.spec import BackupSpec
from gitops.release.spec import ReleaseSpec

SCHEDULED, REQUESTED, SEND, VERIFY = "Scheduled", "Requested", "Send", "Verify"


def backup_of(spec: ReleaseSpec) -> BackupSpec:
    """spec.backup, or its defaults when absent (a backup asked for by annotation)."""
    return spec.backup or BackupSpec()


def build_job_name(spec: ReleaseSpec, suffix: str) -> str:
    """<release>-backup-<suffix>, deterministic so a restarted operator finds its Job."""
    return f"{spec.name[:30].rstrip('-.')}-backup-{suffix}"


def digest(text: str) -> str:
    """Eight hex characters naming a value in a Job name."""
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def _common(spec: ReleaseSpec) -> list[str]:
    """Arguments every backup Job takes: the folder, the rule, the repository."""
    backup, snap = backup_of(spec), spec.snapshot
    args = ["--directory", f"{DATA_MOUNT}/{snap.directory}", "--release", spec.name]
    args += ["--keep-rule", backup.keep.to_arg(), "--time-zone", backup.time_zone]
    args += ["--scratch", SCRATCH_MOUNT]
    if backup.offsite is not None:
        args += ["--repository", backup.offsite.repository, "--secret-dir", RESTIC_MOUNT]
        args += ["--secret-name", backup.offsite.secret_name]
    return args


def build_backup_request(
    spec: ReleaseSpec, command: str, name: str, node: str, *extra: str
) -> JobRequest:
    """A backup Job: `python -m gitops.backup COMMAND ...` with the claim, Secret and scratch."""
    offsite = backup_of(spec).offsite
    database = ["--database", f"{DATA_MOUNT}/{spec.snapshot.database_path}"]
    needs_db = command in ("scheduled", "fetch")
    args = (command, *_common(spec), *(database if needs_db else []), *extra)
    return JobRequest(
        name=name,
        module="gitops.backup",
        args=args,
        claim_name=spec.snapshot.claim_name,
        node_name=node,
        secret_name=offsite.secret_name if offsite else "",
        scratch=True,
        kind="backup",
    )


def backup_running(status: Mapping[str, Any]) -> str:
    """The backup Job in flight ('' when none)."""
    running = (status.get("backup") or {}).get("running") or {}
    return str(running.get("job") or "")
