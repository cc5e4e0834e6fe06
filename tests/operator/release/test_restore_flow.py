"""The restore annotation and spec.backup.vacuum through the Release plan, step by step."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gitops.release.actions import EnsureDeployment, StartJob, Wait
from gitops.release.observed import JobView, Observed
from gitops.release.plan import decide
from gitops.release.spec import ReleaseSpec
from planhelpers import T0, TEMPLATE, V1, at, healthy, pods, ready_status, serving, stopped

RESTORE = "gitops.myfoodbudget.dev/restore"


def spec(ref: str = "", **fields: Any) -> ReleaseSpec:
    """V1 serving, with the restore annotation set to `ref` (none when '')."""
    raw = {"image": V1, "template": TEMPLATE, "snapshot": {"claimName": "data"}, **fields}
    return ReleaseSpec.from_dict(raw, {RESTORE: ref} if ref else {}, name="mfb", generation=1)


def starting(s: ReleaseSpec, now: Any, ready: int = 0, **extra: Any) -> Observed:
    """The Deployment back at its replicas, `ready` of them ready."""
    deployment = healthy(s, V1)
    if not ready:
        deployment = type(deployment)(V1, s.replicas, 3, 3, 0, 0, 0, 0, s.template_hash)
    return Observed(now=now, deployment=deployment, pods=pods(V1, ready=bool(ready)), **extra)


def complete(name: str, **result: Any) -> dict[str, JobView]:
    """A Job that succeeded with this result."""
    return {name: JobView(name, "Complete", {"ok": True, **result})}


def test_a_restore_checks_stops_restores_and_starts_again() -> None:
    s, status = spec("latest"), ready_status(V1)
    prepare = decide(s, status, serving(s, V1, at(1)))
    assert prepare.status["phase"] == "Restoring"
    assert isinstance(prepare.action, StartJob)
    job = prepare.action.job
    assert (job.module, job.args[0], job.name) == (
        "gitops.backup",
        "fetch",
        "mfb-restore-2-prepare",
    )
    assert job.args[-2:] == ("--ref", "latest")
    assert prepare.status["restoreTaken"] == "latest"
    found = complete(job.name, file="mfb-20260101T000010Z-v1.db", schemaVersion=1)
    stop = decide(s, prepare.status, serving(s, V1, at(5), jobs=found))
    assert stop.action == EnsureDeployment(V1, 0, s.template_hash)
    assert stop.status["reason"] == "StoppingApp"
    run = decide(s, stop.status, stopped(s, V1, at(8), jobs=found))
    assert isinstance(run.action, StartJob)
    args = run.action.job.args
    assert run.action.job.module == "gitops.restore"
    assert "/data/snapshots/mfb-20260101T000010Z-v1.db" in args
    assert args[-2:] == ("--aside-prefix", "before-restore")
    found |= complete(run.action.job.name, movedAside=["before-restore-1.db"], message="ok")
    start = decide(s, run.status, stopped(s, V1, at(9), jobs=found))
    assert start.action == EnsureDeployment(V1, 1, s.template_hash)
    assert start.status["reason"] == "StartingApp"
    done = decide(s, start.status, serving(s, V1, at(12), jobs=found))
    assert (done.status["phase"], done.status["reason"]) == ("Ready", "RestoreCompleted")
    assert done.event is not None
    assert done.event.type == "Normal"
    last = done.status["lastRestore"]
    assert (last["outcome"], last["keptAside"]) == ("Completed", "before-restore-1.db")
    assert done.status["rollout"] is None
    ready = {c["type"]: c["status"] for c in done.status["conditions"]}
    assert ready == {
        "Ready": "True",
        "Serving": "True",
        "Progressing": "False",
        "Degraded": "False",
    }
    assert done.status["history"] == status.get("history")  # a restore is not a release


def test_a_bad_reference_is_refused_at_once_and_nothing_moves() -> None:
    s, status = spec("../etc/passwd"), ready_status(V1)
    refused = decide(s, status, serving(s, V1, at(1)))
    assert isinstance(refused.action, Wait)
    assert (refused.status["phase"], refused.status["reason"]) == ("Ready", "RestoreFailed")
    assert "is not a restore reference" in refused.status["message"]
    assert "nothing was changed" in refused.status["message"]
    assert refused.status["lastRestore"]["outcome"] == "Refused"
    assert refused.event is not None
    assert refused.event.type == "Warning"
    again = decide(s, refused.status, serving(s, V1, at(2)))
    assert again.status["reason"] == "RestoreFailed"  # taken up once: no second refusal
    assert again.event is None
    offsite = decide(spec("offsite:latest"), status, serving(s, V1, at(1)))
    assert "spec.backup.offsite is not set" in offsite.status["message"]


def test_a_reference_the_job_cannot_find_leaves_the_app_serving() -> None:
    s, status = spec("gone.db"), ready_status(V1)
    prepare = decide(s, status, serving(s, V1, at(1)))
    name = "mfb-restore-2-prepare"
    failed = {
        name: JobView(name, "Failed", {"ok": False, "error": "there is no snapshot named gone.db"})
    }
    done = decide(s, prepare.status, serving(s, V1, at(4), jobs=failed))
    assert (done.status["phase"], done.status["reason"]) == ("Ready", "RestoreFailed")
    assert "there is no snapshot named gone.db; nothing was changed" in done.status["message"]
    assert not isinstance(done.action, EnsureDeployment)  # never scaled down


def test_an_app_that_does_not_get_ready_on_the_restore_gets_its_database_back() -> None:
    s, status = spec("latest", readiness={"timeoutSeconds": 30}), ready_status(V1)
    prepare = decide(s, status, serving(s, V1, at(1)))
    jobs = complete("mfb-restore-2-prepare", file="old.db")
    stop = decide(s, prepare.status, serving(s, V1, at(2), jobs=jobs))
    run = decide(s, stop.status, stopped(s, V1, at(3), jobs=jobs))
    jobs |= complete("mfb-restore-2-run", movedAside=["before-restore-1.db"])
    start = decide(s, run.status, stopped(s, V1, at(4), jobs=jobs))
    late = decide(s, start.status, starting(s, at(40), jobs=jobs))
    assert late.status["reason"] == "RestoreReverting"
    assert late.action == EnsureDeployment(V1, 0, s.template_hash)
    revert = decide(s, late.status, stopped(s, V1, at(41), jobs=jobs))
    assert isinstance(revert.action, StartJob)
    assert "/data/snapshots/before-restore-1.db" in revert.action.job.args
    jobs |= complete("mfb-restore-2-revert", movedAside=["failed-1.db"])
    back = decide(s, revert.status, stopped(s, V1, at(42), jobs=jobs))
    done = decide(s, back.status, serving(s, V1, at(45), jobs=jobs))
    assert (done.status["phase"], done.status["reason"]) == ("Ready", "RestoreFailed")
    assert "the database kept as before-restore-1.db is back in place" in done.status["message"]


def test_the_same_reference_again_after_the_annotation_went_is_a_new_restore() -> None:
    s, status = (
        spec(
            "offsite:latest",
            backup={"offsite": {"repository": "sftp:u@h:/r", "secretRef": {"name": "r"}}},
        ),
        ready_status(V1),
    )
    first = decide(s, status, serving(s, V1, at(1)))
    assert first.status["restoreTaken"] == "offsite:latest"
    gone = spec(backup={"offsite": {"repository": "sftp:u@h:/r", "secretRef": {"name": "r"}}})
    cleared = decide(
        gone, {**first.status, "rollout": None, "phase": "Ready"}, serving(s, V1, at(2))
    )
    assert cleared.status.get("restoreTaken") is None
    again = decide(s, cleared.status, serving(s, V1, at(3)))
    assert again.status["phase"] == "Restoring"
    assert again.status["rollout"]["number"] == first.status["rollout"]["number"] + 1


def test_a_restore_waits_for_a_backup_job_in_flight() -> None:
    s = spec("latest")
    status = {
        **ready_status(V1),
        "backup": {"running": {"job": "mfb-backup-x", "kind": "Scheduled"}},
    }
    held = decide(s, status, serving(s, V1, at(1)))
    assert held.status["phase"] == "Ready"
    assert held.status.get("restoreTaken") is None


def test_vacuum_stops_the_app_with_recreate_and_not_with_rolling_update() -> None:
    backup = {"vacuum": "0 2 * * *"}
    for strategy, stops in (("Recreate", True), ("RollingUpdate", False)):
        s = spec(strategy=strategy, backup=backup)
        anchored = {**ready_status(V1), "backup": {"anchors": {"vacuum": "2026-01-01T00:00:00Z"}}}
        world = serving(s, V1, T0 + timedelta(hours=3))
        first = decide(s, anchored, world)
        assert first.status["phase"] == "Vacuuming", strategy
        assert isinstance(first.action, EnsureDeployment) is stops
        if stops:
            first = decide(s, first.status, stopped(s, V1, T0 + timedelta(hours=3, seconds=5)))
        assert isinstance(first.action, StartJob)
        assert first.action.job.module == "gitops.vacuum"
        name = first.action.job.name
        jobs = complete(
            name, message="VACUUM took 0.1s and gave back 4096 bytes", reclaimedBytes=4096
        )
        world = serving(s, V1, T0 + timedelta(hours=3, seconds=9), jobs=jobs)
        done = decide(s, first.status, world)
        assert done.status["reason"] == "VacuumCompleted", strategy
        assert "gave back 4096 bytes" in done.status["message"]
        assert done.status["backup"]["lastVacuum"]["outcome"] == "Completed"
        assert done.status["backup"]["anchors"]["vacuum"] == "2026-01-01T03:00:00Z"
