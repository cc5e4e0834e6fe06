"""Table-driven tests of the Release plan: every phase and transition."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from gitops.release.actions import EnsureDeployment, StartJob, Wait
from gitops.release.plan import decide
from planhelpers import (
    SNAPSHOT_RESULT,
    V1,
    V2,
    V3,
    Observed,
    at,
    healthy,
    job,
    make_spec,
    pods,
    progressing,
    ready_status,
    serving,
    stopped,
)

SPEC = make_spec(V2)
ROLLING = make_spec(V2, strategy="RollingUpdate")
NEVER = make_spec(V2, rollback={"restoreDatabase": "Never"})
RESTORED = {"ok": True, "restored": True, "message": "schema 2 -> 1"}
KEPT = {"ok": True, "restored": False, "message": "schema version 1 unchanged"}


def shape(action: Any) -> tuple[Any, ...]:
    """A comparable summary of an action."""
    if isinstance(action, EnsureDeployment):
        return ("Ensure", action.image, action.replicas)
    if isinstance(action, StartJob):
        return ("Job", action.job.module, action.job.name)
    assert isinstance(action, Wait)
    return ("Wait",)


def _chain(spec: Any, status: dict[str, Any], world: Observed) -> dict[str, Any]:
    """The status after one decision."""
    return decide(spec, status, world).status


def _statuses() -> dict[str, dict[str, Any]]:
    """Statuses at each stage of a release of V2 over V1 (built by the plan itself)."""
    s: dict[str, dict[str, Any]] = {"empty": {}, "ready": ready_status(V1)}
    s["scaling"] = _chain(SPEC, s["ready"], serving(SPEC, V1, at(10)))
    s["snapshotting"] = _chain(SPEC, s["scaling"], stopped(SPEC, V1, at(12)))
    done = job("mfb-snapshot-2", "Complete", **SNAPSHOT_RESULT)
    s["taken"] = _chain(SPEC, s["snapshotting"], stopped(SPEC, V1, at(14), snapshot_job=done))
    s["rolling"] = _chain(SPEC, s["taken"], stopped(SPEC, V1, at(15)))
    crash = Observed(
        now=at(20),
        deployment=progressing(SPEC, V2),
        pods=pods(V2, ready=False, waiting="CrashLoopBackOff"),
    )
    s["backing"] = _chain(SPEC, s["rolling"], crash)
    s["restoring"] = _chain(SPEC, s["backing"], stopped(SPEC, V1, at(22)))
    restored = job("mfb-restore-2", "Complete", **RESTORED)
    s["restored"] = _chain(SPEC, s["restoring"], stopped(SPEC, V1, at(25), restore_job=restored))
    s["rolledback"] = _chain(SPEC, s["restored"], serving(SPEC, V1, at(30)))
    s["first"] = _chain(make_spec(V1, generation=1), {}, Observed(now=T0_WORLD.now))
    s["taken_rolling"] = _chain(
        ROLLING, s["snapshotting"], serving(ROLLING, V1, at(14), snapshot_job=done)
    )
    s["never_backing"] = _chain(NEVER, s["rolling"], crash)
    return s


T0_WORLD = Observed(now=at(0))
S = _statuses()
SNAP = ("Job", "gitops.snapshot", "mfb-snapshot-2")
RESTORE = ("Job", "gitops.restore", "mfb-restore-2")
CRASH = "CrashLoopBackOff"

CASES = [
    # id, status, spec, world, phase, action, event reason
    (
        "first-deploy",
        "empty",
        make_spec(V1, generation=1),
        T0_WORLD,
        "RollingOut",
        ("Ensure", V1, 1),
        "RolloutStarted",
    ),
    (
        "first-deploy-ready",
        "first",
        make_spec(V1),
        serving(SPEC, V1, at(5)),
        "Ready",
        ("Wait",),
        "RolloutSucceeded",
    ),
    (
        "unchanged-healthy",
        "ready",
        make_spec(V1),
        serving(SPEC, V1, at(5)),
        "Ready",
        ("Wait",),
        None,
    ),
    (
        "unchanged-deployment-gone",
        "ready",
        make_spec(V1),
        Observed(now=at(5)),
        "Ready",
        ("Ensure", V1, 1),
        None,  # a blip shorter than readiness.degradedAfterSeconds: no Event
    ),
    (
        "unchanged-replicas-drift",
        "ready",
        make_spec(V1, replicas=2),
        serving(SPEC, V1, at(5)),
        "Ready",
        ("Ensure", V1, 2),
        None,  # a blip shorter than readiness.degradedAfterSeconds: no Event
    ),
    (
        "paused",
        "ready",
        make_spec(V2, paused=True),
        serving(SPEC, V1, at(5)),
        "Paused",
        ("Wait",),
        "Paused",
    ),
    (
        "claim-missing",
        "ready",
        SPEC,
        serving(SPEC, V1, at(5), pvc_exists=False),
        "Pending",
        ("Wait",),
        "ClaimNotFound",
    ),
    (
        "recreate-scales-down-first",
        "ready",
        SPEC,
        serving(SPEC, V1, at(10)),
        "Snapshotting",
        ("Ensure", V1, 0),
        "ScalingDown",
    ),
    (
        "recreate-waits-for-pods-to-go",
        "scaling",
        SPEC,
        Observed(now=at(11), deployment=healthy(SPEC, V1, 0), pods=pods(V1)),
        "Snapshotting",
        ("Ensure", V1, 0),
        None,
    ),
    (
        "recreate-starts-snapshot",
        "scaling",
        SPEC,
        stopped(SPEC, V1, at(12)),
        "Snapshotting",
        SNAP,
        "SnapshotStarted",
    ),
    (
        "rolling-update-online-snapshot",
        "ready",
        ROLLING,
        serving(ROLLING, V1, at(10)),
        "Snapshotting",
        SNAP,
        "SnapshotStarted",
    ),
    (
        "snapshot-running",
        "snapshotting",
        SPEC,
        stopped(SPEC, V1, at(13), snapshot_job=job("mfb-snapshot-2")),
        "Snapshotting",
        ("Wait",),
        None,
    ),
    (
        "snapshot-taken",
        "snapshotting",
        SPEC,
        stopped(
            SPEC, V1, at(14), snapshot_job=job("mfb-snapshot-2", "Complete", **SNAPSHOT_RESULT)
        ),
        "RollingOut",
        ("Wait",),
        "SnapshotTaken",
    ),
    (
        "snapshot-failed-required",
        "snapshotting",
        SPEC,
        stopped(
            SPEC,
            V1,
            at(14),
            snapshot_job=job("mfb-snapshot-2", "Failed", ok=False, error="disk full"),
        ),
        "Failed",
        ("Ensure", V1, 1),
        "SnapshotFailed",
    ),
    (
        "snapshot-complete-without-result",
        "snapshotting",
        SPEC,
        stopped(SPEC, V1, at(14), snapshot_job=job("mfb-snapshot-2", "Complete")),
        "Failed",
        ("Ensure", V1, 1),
        "SnapshotFailed",
    ),
    (
        "snapshot-failed-optional",
        "snapshotting",
        make_spec(V2, snapshot={"required": False}),
        stopped(SPEC, V1, at(14), snapshot_job=job("mfb-snapshot-2", "Failed")),
        "RollingOut",
        ("Wait",),
        "SnapshotSkipped",
    ),
    (
        "rollout-starts",
        "taken",
        SPEC,
        stopped(SPEC, V1, at(15)),
        "RollingOut",
        ("Ensure", V2, 1),
        "RolloutStarted",
    ),
    (
        "rolling-update-rollout-starts",
        "taken_rolling",
        ROLLING,
        serving(ROLLING, V1, at(15)),
        "RollingOut",
        ("Ensure", V2, 1),
        "RolloutStarted",
    ),
    (
        "rollout-progressing",
        "rolling",
        SPEC,
        Observed(now=at(20), deployment=progressing(SPEC, V2), pods=pods(V2, ready=False)),
        "RollingOut",
        ("Wait",),
        None,
    ),
    (
        "rollout-image-drift-repaired",
        "rolling",
        SPEC,
        Observed(now=at(20), deployment=progressing(SPEC, V1)),
        "RollingOut",
        ("Ensure", V2, 1),
        None,
    ),
    (
        "rollout-old-pods-remain",
        "rolling",
        SPEC,
        Observed(now=at(20), deployment=replace(healthy(SPEC, V2), old_pods=1), pods=pods(V2)),
        "RollingOut",
        ("Wait",),
        None,
    ),
    (
        "rollout-complete",
        "rolling",
        SPEC,
        serving(SPEC, V2, at(20)),
        "Ready",
        ("Wait",),
        "RolloutSucceeded",
    ),
    (
        "fail-fast-image-pull-backoff",
        "rolling",
        SPEC,
        Observed(
            now=at(20),
            deployment=progressing(SPEC, V2),
            pods=pods(V2, ready=False, waiting="ImagePullBackOff"),
        ),
        "RollingBack",
        ("Ensure", V1, 0),
        "ReadinessFailed",
    ),
    (
        "fail-fast-err-image-pull",
        "rolling",
        SPEC,
        Observed(
            now=at(20),
            deployment=progressing(SPEC, V2),
            pods=pods(V2, ready=False, waiting="ErrImagePull"),
        ),
        "RollingBack",
        ("Ensure", V1, 0),
        "ReadinessFailed",
    ),
    (
        "fail-fast-crash-loop",
        "rolling",
        SPEC,
        Observed(
            now=at(20), deployment=progressing(SPEC, V2), pods=pods(V2, ready=False, waiting=CRASH)
        ),
        "RollingBack",
        ("Ensure", V1, 0),
        "ReadinessFailed",
    ),
    (
        "fail-fast-restarts",
        "rolling",
        SPEC,
        Observed(
            now=at(20), deployment=progressing(SPEC, V2), pods=pods(V2, ready=True, restarts=3)
        ),
        "RollingBack",
        ("Ensure", V1, 0),
        "ReadinessFailed",
    ),
    (
        "restarts-at-limit-still-waits",
        "rolling",
        SPEC,
        Observed(
            now=at(20), deployment=progressing(SPEC, V2), pods=pods(V2, ready=False, restarts=2)
        ),
        "RollingOut",
        ("Wait",),
        None,
    ),
    (
        "timeout",
        "rolling",
        SPEC,
        Observed(now=at(15 + 301), deployment=progressing(SPEC, V2), pods=pods(V2, ready=False)),
        "RollingBack",
        ("Ensure", V1, 0),
        "ReadinessFailed",
    ),
    (
        "just-before-timeout",
        "rolling",
        SPEC,
        Observed(now=at(15 + 300), deployment=progressing(SPEC, V2), pods=pods(V2, ready=False)),
        "RollingOut",
        ("Wait",),
        None,
    ),
    (
        "rollback-without-restore",
        "rolling",
        NEVER,
        Observed(
            now=at(20), deployment=progressing(SPEC, V2), pods=pods(V2, ready=False, waiting=CRASH)
        ),
        "RollingBack",
        ("Ensure", V1, 1),
        "ReadinessFailed",
    ),
    (
        "rollback-not-automatic",
        "rolling",
        make_spec(V2, rollback={"automatic": False}),
        Observed(
            now=at(20), deployment=progressing(SPEC, V2), pods=pods(V2, ready=False, waiting=CRASH)
        ),
        "Failed",
        ("Wait",),
        "ReadinessFailed",
    ),
    (
        "first-deploy-fails",
        "first",
        make_spec(V1),
        Observed(
            now=at(5), deployment=progressing(SPEC, V1), pods=pods(V1, ready=False, waiting=CRASH)
        ),
        "Failed",
        ("Wait",),
        "ReadinessFailed",
    ),
    (
        "restore-waits-for-stop",
        "backing",
        SPEC,
        Observed(now=at(21), deployment=healthy(SPEC, V1, 0), pods=pods(V2, ready=False)),
        "RollingBack",
        ("Ensure", V1, 0),
        None,
    ),
    (
        "restore-starts",
        "backing",
        SPEC,
        stopped(SPEC, V1, at(22)),
        "RollingBack",
        RESTORE,
        "RestoreStarted",
    ),
    (
        "restore-running",
        "restoring",
        SPEC,
        stopped(SPEC, V1, at(23), restore_job=job("mfb-restore-2")),
        "RollingBack",
        ("Wait",),
        None,
    ),
    (
        "restore-completed",
        "restoring",
        SPEC,
        stopped(SPEC, V1, at(25), restore_job=job("mfb-restore-2", "Complete", **RESTORED)),
        "RollingBack",
        ("Ensure", V1, 1),
        "RestoreCompleted",
    ),
    (
        "restore-completed-before-a-restart-with-the-app-up-again",
        "restoring",
        SPEC,
        Observed(
            now=at(26),
            deployment=progressing(SPEC, V1),
            pods=pods(V1, ready=False),
            restore_job=job("mfb-restore-2", "Complete", **RESTORED),
        ),
        "RollingBack",
        ("Ensure", V1, 1),
        "RestoreCompleted",
    ),
    (
        "restore-skipped-schema-unchanged",
        "restoring",
        SPEC,
        stopped(SPEC, V1, at(25), restore_job=job("mfb-restore-2", "Complete", **KEPT)),
        "RollingBack",
        ("Ensure", V1, 1),
        "RestoreSkipped",
    ),
    (
        "restore-failed",
        "restoring",
        SPEC,
        stopped(
            SPEC, V1, at(25), restore_job=job("mfb-restore-2", "Failed", ok=False, error="locked")
        ),
        "Failed",
        ("Wait",),
        "RestoreFailed",
    ),
    (
        "previous-version-starting",
        "restored",
        SPEC,
        Observed(now=at(27), deployment=progressing(SPEC, V1), pods=pods(V1, ready=False)),
        "RollingBack",
        ("Wait",),
        None,
    ),
    (
        "rolled-back",
        "restored",
        SPEC,
        serving(SPEC, V1, at(30)),
        "RolledBack",
        ("Wait",),
        "RolledBack",
    ),
    (
        "rolled-back-without-restore",
        "never_backing",
        NEVER,
        serving(NEVER, V1, at(30)),
        "RolledBack",
        ("Wait",),
        "RolledBack",
    ),
    (
        "rollback-timeout",
        "restored",
        SPEC,
        Observed(now=at(25 + 301), deployment=progressing(SPEC, V1), pods=pods(V1, ready=False)),
        "Failed",
        ("Wait",),
        "RollbackFailed",
    ),
    (  # the readiness window starts when the app starts again, after its restore (at 25)
        "rollback-window-after-restore",
        "restored",
        SPEC,
        Observed(now=at(21 + 301), deployment=progressing(SPEC, V1), pods=pods(V1, ready=False)),
        "RollingBack",
        ("Wait",),
        None,
    ),
    (
        "failed-image-not-retried",
        "rolledback",
        SPEC,
        serving(SPEC, V1, at(40)),
        "RolledBack",
        ("Wait",),
        None,
    ),
    (
        "failed-image-retry-annotation",
        "rolledback",
        make_spec(V2, retry="1"),
        serving(SPEC, V1, at(40)),
        "Snapshotting",
        ("Ensure", V1, 0),
        "ScalingDown",
    ),
    (
        "new-image-after-rollback",
        "rolledback",
        make_spec(V3),
        serving(SPEC, V1, at(40)),
        "Snapshotting",
        ("Ensure", V1, 0),
        "ScalingDown",
    ),
    (
        "revert-after-rollback-is-ready",
        "rolledback",
        make_spec(V1),
        serving(SPEC, V1, at(40)),
        "Ready",
        ("Wait",),
        "Available",
    ),
    (
        "cancel-during-snapshot",
        "snapshotting",
        make_spec(V1),
        stopped(SPEC, V1, at(13)),
        "Ready",
        ("Ensure", V1, 1),
        "RolloutCancelled",
    ),
    (
        "retarget-during-snapshot",
        "snapshotting",
        make_spec(V3),
        stopped(SPEC, V1, at(13), snapshot_job=job("mfb-snapshot-2")),
        "Snapshotting",
        ("Wait",),
        None,
    ),
    (
        "superseded-during-rollout",
        "rolling",
        make_spec(V3),
        Observed(now=at(20), deployment=progressing(SPEC, V2)),
        "RollingOut",
        ("Wait",),
        "RolloutSuperseded",
    ),
    (
        "revert-during-rollout",
        "rolling",
        make_spec(V1),
        Observed(now=at(20), deployment=progressing(SPEC, V2)),
        "RollingBack",
        ("Ensure", V1, 0),
        "RolloutCancelled",
    ),
    (
        "paused-does-not-stop-a-rollout",
        "rolling",
        make_spec(V2, paused=True),
        serving(SPEC, V2, at(20)),
        "Ready",
        ("Wait",),
        "RolloutSucceeded",
    ),
]


@pytest.mark.parametrize(
    ("status", "spec", "world", "phase", "action", "reason"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_transition(
    status: str, spec: Any, world: Observed, phase: str, action: tuple[Any, ...], reason: str | None
) -> None:
    decision = decide(spec, S[status], world)
    assert decision.status["phase"] == phase
    assert shape(decision.action) == action
    assert (decision.event.reason if decision.event else None) == reason
    if decision.event is not None:
        assert decision.status["reason"] == decision.event.reason  # events match conditions
        ready = next(c for c in decision.status["conditions"] if c["type"] == "Ready")
        assert ready["reason"] == decision.event.reason
    assert decision.status["observedGeneration"] == spec.generation


def test_snapshot_job_runs_on_the_app_node_and_protects_the_last_snapshot() -> None:
    status = {**S["rolledback"], "failedImage": None}
    status = _chain(make_spec(V3), status, serving(SPEC, V1, at(40)))
    action = decide(make_spec(V3), status, stopped(SPEC, V1, at(41))).action
    assert isinstance(action, StartJob)
    request = action.job
    assert (request.name, request.claim_name, request.node_name) == ("mfb-snapshot-3", "data", "n1")
    args = list(request.args)
    assert args[args.index("--database") + 1] == "/data/myfoodbudget.db"
    assert args[args.index("--directory") + 1] == "/data/snapshots"
    assert args[args.index("--image") + 1] == V1  # the image that wrote the data
    assert args[args.index("--protect") + 1] == SNAPSHOT_RESULT["file"]
    assert args[args.index("--keep") + 1] == "10"


def test_restore_job_names_the_snapshot_and_the_policy() -> None:
    action = decide(SPEC, S["backing"], stopped(SPEC, V1, at(22))).action
    assert isinstance(action, StartJob)
    args = list(action.job.args)
    assert args[args.index("--snapshot") + 1] == f"/data/snapshots/{SNAPSHOT_RESULT['file']}"
    assert args[args.index("--mode") + 1] == "IfSchemaChanged"
    assert action.job.node_name == "n1"


@pytest.mark.parametrize("stage", ["scaling", "snapshotting", "rolling", "backing", "restoring"])
def test_a_restarted_operator_repeats_the_same_step(stage: str) -> None:
    """Deciding again on the same status (status write lost) yields the same action."""
    world = stopped(SPEC, V1, at(22))
    first = decide(SPEC, S[stage], world)
    assert decide(SPEC, S[stage], world) == first
    assert first.status["rollout"]["number"] == S[stage]["rollout"]["number"]


def test_history_is_newest_first_and_bounded() -> None:
    status = S["ready"]
    images = [f"reg.example/app:v{n}" for n in range(10, 35)]
    for n, image in enumerate(images):
        spec = make_spec(image, strategy="RollingUpdate")
        t = 100 * (n + 1)
        ok = job(f"mfb-snapshot-{n + 2}", "Complete", **SNAPSHOT_RESULT)
        for world in (
            serving(spec, V1, at(t)),
            serving(spec, V1, at(t + 1), snapshot_job=ok),
            serving(spec, V1, at(t + 2)),
            serving(spec, image, at(t + 3)),
        ):
            status = _chain(spec, status, world)
        assert status["image"] == image
    history = status["history"]
    assert len(history) == 20
    assert [h["image"] for h in history[:2]] == [images[-1], images[-2]]
    assert all(h["outcome"] == "Succeeded" for h in history)
