"""The backup plan with an injected clock: when Jobs start, what their results record, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from gitops.release.backup.plan import BackupDecision, decide_backup
from gitops.release.observed import JobView, Observed
from gitops.release.spec import ReleaseSpec
from planhelpers import SNAPSHOT_RESULT, V1, make_spec, pods, ready_status, serving

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OFFSITE = {"repository": "sftp:u@nas:/b", "secretRef": {"name": "restic"}}
DISK = {"usedBytes": 100, "freeBytes": 900, "sizeBytes": 1000, "usedPercent": 10.0}
BACKUP_RESULT = {
    **SNAPSHOT_RESULT,
    "file": "mfb-scheduled-20260302T030000Z-v1.db",
    "takenAt": "2026-03-02T12:00:00Z",
    "disk": DISK,
    "offsite": {"ok": True, "snapshotId": "1a2b3c4d", "file": "x", "time": "2026-03-02T03:00:00Z"},
    "verify": {"ok": True, "snapshotId": "1a2b3c4d", "file": "x", "sample": "100M"},
}


def spec_with(annotations: dict[str, str] | None = None, **backup: Any) -> ReleaseSpec:
    """A Release spec V1 with spec.backup (and annotations)."""
    spec = make_spec(V1, backup={"schedule": "0 3 * * *", "verifySchedule": "", **backup})
    if annotations:
        return ReleaseSpec.from_dict(
            {"image": V1, "template": spec.template, "snapshot": {"claimName": "data"},
             "backup": {"schedule": "0 3 * * *", "verifySchedule": "", **backup}},
            annotations, name="mfb",
        )  # fmt: skip
    return spec


def run(
    spec: ReleaseSpec, status: dict[str, Any], now: datetime, jobs: dict[str, JobView] | None = None
) -> BackupDecision:
    """One backup decision with V1 serving on node n1."""
    world = Observed(
        now=now, deployment=serving(spec, V1, now).deployment, pods=pods(V1), jobs=jobs or {}
    )
    return decide_backup(spec, status, world, idle=True)


def test_first_sight_waits_for_the_next_slot_then_runs_it_once() -> None:
    spec, status = spec_with(), ready_status(V1)
    first = run(spec, status, T0)
    assert first.job is None
    assert first.status["backup"]["nextBackup"] == "2026-03-02T03:00:00Z"
    assert first.requeue_after == (datetime(2026, 3, 2, 3, tzinfo=UTC) - T0).total_seconds()
    due = run(spec, first.status, T0 + timedelta(days=3))  # two slots missed meanwhile
    assert due.job is not None
    assert due.job.name == "mfb-backup-202603020300"
    assert due.job.args[0] == "scheduled"
    assert due.job.node_name == "n1"
    running = {due.job.name: JobView(due.job.name)}
    again = run(spec, due.status, T0 + timedelta(days=3, seconds=5), running)
    assert again.job is None  # the same Job is watched, not started twice
    assert again.status["backup"]["running"]["job"] == due.job.name


def test_a_finished_job_is_recorded_and_the_next_slot_counts_from_its_run() -> None:
    spec = spec_with(offsite=OFFSITE)
    started = run(spec, run(spec, ready_status(V1), T0).status, T0 + timedelta(days=1))
    assert started.job is not None
    name = started.job.name
    done = {name: JobView(name, "Complete", {"ok": True, **BACKUP_RESULT})}
    later = T0 + timedelta(days=1, minutes=1)
    recorded = run(spec, started.status, later, done)
    backup = recorded.status["backup"]
    assert backup["running"] is None
    assert backup["lastBackup"]["file"] == BACKUP_RESULT["file"]
    assert backup["lastOffsiteBackup"]["snapshotId"] == "1a2b3c4d"
    assert backup["lastVerified"]["outcome"] == "Passed"
    assert backup["disk"]["usedBytes"] == 100
    reasons = [e.reason for e in recorded.events]
    assert reasons == ["BackupCompleted", "OffsiteBackupCompleted", "BackupVerified"]
    assert backup["nextBackup"] == "2026-03-03T03:00:00Z"
    assert run(spec, recorded.status, later + timedelta(seconds=5), done).events == ()


def test_a_failed_backup_is_a_warning_and_status_says_why() -> None:
    spec = spec_with()
    started = run(spec, run(spec, ready_status(V1), T0).status, T0 + timedelta(days=1))
    assert started.job is not None
    failed = {started.job.name: JobView(started.job.name, "Failed", {"ok": False, "error": "disk"})}
    recorded = run(spec, started.status, T0 + timedelta(days=1, minutes=1), failed)
    assert [(e.type, e.reason) for e in recorded.events] == [("Warning", "BackupFailed")]
    assert recorded.status["backup"]["lastFailure"]["message"] == "disk"


def test_a_deleted_job_counts_as_failed() -> None:
    spec = spec_with()
    started = run(spec, run(spec, ready_status(V1), T0).status, T0 + timedelta(days=1))
    recorded = run(spec, started.status, T0 + timedelta(days=1, minutes=1))
    assert "was deleted before it reported" in recorded.events[0].message


def test_asked_for_backups_run_once_per_value_and_need_no_spec_backup() -> None:
    spec = ReleaseSpec.from_dict(
        {"image": V1, "template": make_spec().template, "snapshot": {"claimName": "data"}},
        {"gitops.myfoodbudget.dev/backup-requested": "now-1"},
        name="mfb",
    )
    asked = run(spec, ready_status(V1), T0)
    assert asked.job is not None
    assert asked.job.name.startswith("mfb-backup-req-")
    assert asked.job.secret_name == ""  # no repository: a copy on the claim only
    assert "--repository" not in asked.job.args
    done = {asked.job.name: JobView(asked.job.name, "Complete", {"ok": True, **SNAPSHOT_RESULT})}
    recorded = run(spec, asked.status, T0 + timedelta(seconds=30), done)
    assert recorded.job is None
    assert recorded.status["backup"]["requestToken"] == "now-1"


def test_pre_deploy_snapshots_are_sent_off_site_once() -> None:
    spec = spec_with(offsite=OFFSITE)
    status = {**ready_status(V1), "lastSnapshot": {"file": "mfb-20260301T000000Z-v0.db"}}
    send = run(spec, status, T0)
    assert send.job is not None
    assert send.job.args[0] == "send"
    assert "mfb-20260301T000000Z-v0.db" in send.job.args
    assert send.job.secret_name == "restic"
    failed = {send.job.name: JobView(send.job.name, "Failed", {"ok": False, "error": "no route"})}
    after = run(spec, send.status, T0 + timedelta(seconds=10), failed)
    assert [e.reason for e in after.events] == ["OffsiteBackupFailed"]
    assert after.job is None  # not retried in a loop: the next backup sends its own copy


def test_nothing_starts_while_the_release_is_busy() -> None:
    spec = spec_with()
    status = run(spec, ready_status(V1), T0).status
    world = Observed(now=T0 + timedelta(days=1), pods=pods(V1))
    assert decide_backup(spec, status, world, idle=False).job is None


def test_disk_and_stale_warnings_fire_once_when_they_begin() -> None:
    spec = spec_with(diskWarningPercent=50)
    status = run(spec, ready_status(V1), T0).status
    full = {
        "snapshot": JobView("s", "Complete", {"ok": True, "disk": {**DISK, "usedPercent": 75.0}})
    }
    world = Observed(now=T0, pods=pods(V1), snapshot_job=full["snapshot"])
    warned = decide_backup(spec, status, world, idle=False)
    assert [(e.type, e.reason) for e in warned.events] == [("Warning", "DiskSpaceLow")]
    assert "75% full" in warned.events[0].message
    assert decide_backup(spec, warned.status, world, idle=False).events == ()
    late = T0 + timedelta(days=2, hours=1)  # no backup for more than two days
    stale = run(spec, warned.status, late)
    assert ("Warning", "BackupStale") in [(e.type, e.reason) for e in stale.events]
    assert "older than twice the schedule's period (1 day)" in stale.events[-1].message
