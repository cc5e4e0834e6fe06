"""Table-driven tests of the Preflight step: the new image on a copy of the database first."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from gitops.release.actions import StartJob, StartPod
from gitops.release.observed import CheckResult, PreflightPodView
from gitops.release.plan import decide
from gitops.release.plan.queries import condense, redact
from planhelpers import (
    GATED,
    SNAPSHOT_RESULT,
    V1,
    V2,
    V3,
    Observed,
    at,
    check_transition,
    job,
    make_spec,
    progressing,
    ready_status,
    serving,
    shape,
    stopped,
)

SPEC = make_spec(V2, **GATED)  # Recreate: the preflight first, on an online copy
ROLLING = make_spec(V2, strategy="RollingUpdate", **GATED)
VERIFIED = make_spec(V2, verify=[{"path": "/auth/login", "expectBody": "Log in"}], **GATED)
COPIED = {"ok": True, "schemaVersion": 1, "sizeBytes": 4096}
CLEANED = {"ok": True, "schemaVersion": 2, "message": "removed"}


def names(status: dict[str, Any]) -> tuple[str, str, str]:
    """The preflight's pod, copy Job and clean-up Job a status names."""
    rollout = status["rollout"]
    return rollout["preflightPod"], rollout["copyJob"], rollout["cleanJob"]


def pod(status: dict[str, Any], **fields: Any) -> PreflightPodView:
    """The preflight pod of a status, as observed."""
    return PreflightPodView(names(status)[0], image=V2, **fields)


def world(spec: Any, seconds: float, **extra: Any) -> Observed:
    """V1 serving, with the preflight's Jobs and pod as given (by stage)."""
    return serving(spec, V1, at(seconds), **extra)


def _chain(spec: Any, status: dict[str, Any], observed: Observed) -> dict[str, Any]:
    """The status after one decision."""
    return decide(spec, status, observed).status


def _statuses() -> dict[str, dict[str, Any]]:
    """A Recreate release of V2 with a preflight, each stage built by the plan itself."""
    s: dict[str, dict[str, Any]] = {"ready": ready_status(V1)}
    s["copying"] = _chain(SPEC, s["ready"], world(SPEC, 10))
    copy = names(s["copying"])[1]
    copied = job(copy, "Complete", **COPIED)
    s["starting"] = _chain(SPEC, s["copying"], world(SPEC, 11, copy_job=copied))
    running = world(SPEC, 12, copy_job=copied, preflight_pods=(pod(s["starting"]),))
    s["running"] = _chain(SPEC, s["starting"], running)
    ready = (pod(s["running"], ready=True),)
    s["passed"] = _chain(SPEC, s["running"], world(SPEC, 14, copy_job=copied, preflight_pods=ready))
    s["cleaning"] = _chain(SPEC, s["passed"], world(SPEC, 15, copy_job=copied))
    ended = (pod(s["running"], terminated=True, message="migration 2 failed: SECRET_KEY=hunter2"),)
    s["failed"] = _chain(SPEC, s["running"], world(SPEC, 14, copy_job=copied, preflight_pods=ended))
    s["failed_cleaning"] = _chain(SPEC, s["failed"], world(SPEC, 15, copy_job=copied))
    s["rolling_copying"] = _chain(ROLLING, s["ready"], world(ROLLING, 10))
    snap = job("mfb-snapshot-2", "Complete", **SNAPSHOT_RESULT)
    s["rolling_preflight"] = _chain(
        ROLLING, s["rolling_copying"], world(ROLLING, 12, snapshot_job=snap)
    )
    return s


S = _statuses()
_, COPY, CLEAN = names(S["copying"])
_done = job(CLEAN, "Complete", **CLEANED)
S["ended_passed"] = _chain(SPEC, S["cleaning"], world(SPEC, 16, clean_job=_done))
S["ended_failed"] = _chain(SPEC, S["failed_cleaning"], world(SPEC, 16, clean_job=_done))
POD = names(S["copying"])[0]
COPIED_JOB = job(COPY, "Complete", **COPIED)
CLEANED_JOB = job(CLEAN, "Complete", **CLEANED)
RUNNING_POD = PreflightPodView(POD, image=V2)
READY_POD = replace(RUNNING_POD, ready=True)

CASES = [
    # id, status, spec, world, phase, action, event reason
    (
        "recreate-starts-with-the-copy",
        "ready",
        SPEC,
        world(SPEC, 10),
        "Preflight",
        ("Job", "preflight-copy"),
        "PreflightStarted",
    ),
    (
        "copy-running",
        "copying",
        SPEC,
        world(SPEC, 11, copy_job=job(COPY)),
        "Preflight",
        ("Wait",),
        None,
    ),
    (
        "copied-pod-started",
        "copying",
        SPEC,
        world(SPEC, 11, copy_job=COPIED_JOB),
        "Preflight",
        ("Pod", V2),
        None,
    ),
    (
        "copy-failed-cleans-up",
        "copying",
        SPEC,
        world(SPEC, 11, copy_job=job(COPY, "Failed", ok=False, error="disk full")),
        "Preflight",
        ("Job", "preflight-clean"),
        None,
    ),
    (
        "pod-not-ready-yet",
        "running",
        SPEC,
        world(SPEC, 13, copy_job=COPIED_JOB, preflight_pods=(RUNNING_POD,)),
        "Preflight",
        ("Wait",),
        None,
    ),
    (
        "pod-ready-is-deleted",
        "running",
        SPEC,
        world(SPEC, 14, copy_job=COPIED_JOB, preflight_pods=(READY_POD,)),
        "Preflight",
        ("Delete", POD),
        None,
    ),
    (
        "pod-ended-is-deleted",
        "running",
        SPEC,
        world(
            SPEC,
            14,
            copy_job=COPIED_JOB,
            preflight_pods=(replace(RUNNING_POD, terminated=True),),
        ),
        "Preflight",
        ("Delete", POD),
        None,
    ),
    (
        "pull-error-is-a-failure",
        "running",
        SPEC,
        world(
            SPEC,
            14,
            copy_job=COPIED_JOB,
            preflight_pods=(replace(RUNNING_POD, waiting_reason="ErrImagePull"),),
        ),
        "Preflight",
        ("Delete", POD),
        None,
    ),
    (
        "timeout-is-a-failure",
        "running",
        SPEC,
        world(SPEC, 200, copy_job=COPIED_JOB, preflight_pods=(RUNNING_POD,)),
        "Preflight",
        ("Delete", POD),
        None,
    ),
    (
        "pod-stopping",
        "passed",
        SPEC,
        world(SPEC, 15, preflight_pods=(replace(READY_POD, gone=True),)),
        "Preflight",
        ("Wait",),
        None,
    ),
    (
        "pod-gone-copy-removed",
        "passed",
        SPEC,
        world(SPEC, 15),
        "Preflight",
        ("Job", "preflight-clean"),
        None,
    ),
    (
        "clean-running",
        "cleaning",
        SPEC,
        world(SPEC, 16, clean_job=job(CLEAN)),
        "Preflight",
        ("Wait",),
        None,
    ),
    (
        "passed-then-quiescent-snapshot",
        "cleaning",
        SPEC,
        world(SPEC, 16, clean_job=CLEANED_JOB),
        "Snapshotting",
        ("Wait",),
        "PreflightPassed",
    ),
    (
        "cleanup-failure-does-not-fail-it",
        "cleaning",
        SPEC,
        world(SPEC, 16, clean_job=job(CLEAN, "Failed", ok=False, error="busy")),
        "Snapshotting",
        ("Wait",),
        "PreflightPassed",
    ),
    (
        "failed-ends-untouched",
        "failed_cleaning",
        SPEC,
        world(SPEC, 16, clean_job=CLEANED_JOB),
        "Failed",
        ("Ensure", V1, 1),
        "PreflightFailed",
    ),
    (
        "cancelled-before-the-copy",
        "copying",
        make_spec(V1, **GATED),
        world(SPEC, 11),
        "Ready",
        ("Ensure", V1, 1),
        "RolloutCancelled",
    ),
    (
        "cancelled-tidies-up-first",
        "running",
        make_spec(V1, **GATED),
        world(SPEC, 13, copy_job=COPIED_JOB, preflight_pods=(RUNNING_POD,)),
        "Preflight",
        ("Delete", POD),
        None,
    ),
    (
        "superseded",
        "running",
        make_spec(V3, **GATED),
        world(SPEC, 13, copy_job=COPIED_JOB, preflight_pods=(RUNNING_POD,)),
        "Preflight",
        ("Wait",),
        "RolloutSuperseded",
    ),
    (
        "rolling-update-snapshot-first",
        "ready",
        ROLLING,
        world(ROLLING, 10),
        "Snapshotting",
        ("Job", "snapshot"),
        "SnapshotStarted",
    ),
    (
        "rolling-update-preflight-after-snapshot",
        "rolling_preflight",
        ROLLING,
        world(ROLLING, 13),
        "Preflight",
        ("Job", "preflight-copy"),
        "PreflightStarted",
    ),
    (
        "verify-waits-for-its-checks",
        "running",
        VERIFIED,
        world(SPEC, 14, copy_job=COPIED_JOB, preflight_pods=(READY_POD,)),
        "Preflight",
        ("Wait",),
        None,
    ),
    (
        "verify-unreachable-waits",
        "running",
        VERIFIED,
        world(
            SPEC,
            14,
            copy_job=COPIED_JOB,
            preflight_pods=(READY_POD,),
            checks={POD: CheckResult(None, "refused")},
        ),
        "Preflight",
        ("Wait",),
        None,
    ),
    (
        "verify-failed-is-a-failure",
        "running",
        VERIFIED,
        world(
            SPEC,
            14,
            copy_job=COPIED_JOB,
            preflight_pods=(READY_POD,),
            checks={POD: CheckResult(False, "GET / answered 500")},
        ),
        "Preflight",
        ("Delete", POD),
        None,
    ),
    (
        "stray-pod-deleted-first",
        "running",
        SPEC,
        world(SPEC, 13, preflight_pods=(PreflightPodView("mfb-preflight-1-aaaaa"), RUNNING_POD)),
        "Preflight",
        ("Delete", "mfb-preflight-1-aaaaa"),
        None,
    ),
    (
        "idle-deletes-a-left-pod",
        "ready",
        make_spec(V1, **GATED),
        world(SPEC, 13, preflight_pods=(RUNNING_POD,)),
        "Ready",
        ("Delete", POD),
        None,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_transition(case: tuple[Any, ...]) -> None:
    _, status, spec, observed, *expected = case  # phase, action, event reason
    check_transition(decide(spec, S[status], observed), *expected)


def test_the_steps_are_fixed_when_the_rollout_starts() -> None:
    assert S["copying"]["rollout"]["next"] == ["Snapshotting", "RollingOut", "Baking"]
    assert S["rolling_copying"]["rollout"]["next"] == ["Preflight", "RollingOut", "Baking"]
    first = decide(make_spec(V1, generation=1, **GATED), {}, Observed(now=at(0))).status
    assert (first["rollout"]["step"], first["rollout"]["next"]) == ("RollingOut", [])


def test_the_copy_comes_from_the_live_database_or_the_snapshot_just_taken() -> None:
    recreate = decide(SPEC, S["ready"], world(SPEC, 10)).action
    rolling = decide(ROLLING, S["rolling_preflight"], world(ROLLING, 13)).action
    assert isinstance(recreate, StartJob)
    assert isinstance(rolling, StartJob)
    args, later = list(recreate.job.args), list(rolling.job.args)
    assert args[0] == "copy"
    assert args[args.index("--source") + 1] == "/data/myfoodbudget.db"  # online, still serving
    assert later[later.index("--source") + 1] == f"/data/snapshots/{SNAPSHOT_RESULT['file']}"
    target = args[args.index("--target") + 1]
    assert target == f"/data/preflight/{POD}/myfoodbudget.db"
    assert args[args.index("--root") + 1] == "/data/preflight"
    assert POD.startswith(args[args.index("--prefix") + 1])
    assert (recreate.job.node_name, recreate.job.claim_name) == ("n1", "data")


def test_the_pod_runs_the_target_on_its_folder_of_the_claim_with_a_deadline() -> None:
    action = decide(SPEC, S["copying"], world(SPEC, 11, copy_job=COPIED_JOB)).action
    assert isinstance(action, StartPod)
    request = action.pod
    assert (request.name, request.image, request.node_name) == (POD, V2, "n1")
    assert request.folder == f"preflight/{POD}"
    assert request.deadline_seconds == SPEC.preflight.timeout_seconds + 60


def test_a_failed_preflight_records_why_and_leaves_the_serving_version_alone() -> None:
    decision = decide(SPEC, S["failed_cleaning"], world(SPEC, 16, clean_job=CLEANED_JOB))
    status = decision.status
    assert (status["image"], status["failedImage"]) == (V1, V2)
    assert status["rollout"] is None
    record = status["preflight"]
    assert (record["outcome"], record["image"], record["schemaVersion"]) == ("Failed", V2, 2)
    assert record["durationSeconds"] == 6.0  # from at(10) to at(16)
    assert "migration 2 failed" in status["message"]
    assert "hunter2" not in status["message"]  # a secret-looking value is never shown
    assert "hunter2" not in str(status)
    assert V1 in status["message"]
    assert "untouched" in status["message"]
    entry = status["history"][0]
    assert (entry["image"], entry["outcome"], entry["preflight"], entry.get("bake")) == (
        V2, "Failed", "Failed", None,
    )  # fmt: skip
    assert decision.event is not None
    assert decision.event.type == "Warning"
    degraded = next(c for c in status["conditions"] if c["type"] == "Degraded")
    assert degraded["status"] == "True"


def test_a_failed_image_is_not_preflighted_again_until_spec_image_changes() -> None:
    failed = decide(SPEC, S["failed_cleaning"], world(SPEC, 16, clean_job=CLEANED_JOB)).status
    again = decide(SPEC, failed, world(SPEC, 30))
    assert (again.status["phase"], again.status["reason"]) == ("Failed", "PreflightFailed")
    assert again.status["rollout"] is None
    assert shape(again.action) == ("Wait",)
    assert decide(make_spec(V3, **GATED), failed, world(SPEC, 31)).status["phase"] == "Preflight"


def test_a_passed_preflight_is_in_status_and_its_message() -> None:
    decision = decide(SPEC, S["cleaning"], world(SPEC, 16, clean_job=CLEANED_JOB))
    record = decision.status["preflight"]
    assert (record["outcome"], record["schemaVersion"], record["durationSeconds"]) == (
        "Passed",
        2,
        6.0,
    )
    assert "passed the preflight in 6.0s" in decision.status["message"]
    assert "schema version 2" in decision.status["message"]


def test_a_timed_out_preflight_shows_the_last_log_lines_redacted() -> None:
    log = "booting\nDATABASE_URL=sqlite:////data/x.db\nconnect https://u:pw@db.example/\nwaiting"
    stuck = (replace(RUNNING_POD, log=log),)
    timed_out = world(SPEC, 200, copy_job=COPIED_JOB, preflight_pods=stuck)
    verdict = decide(SPEC, S["running"], timed_out).status["rollout"]["preflightVerdict"]
    assert verdict["passed"] is False
    assert "not ready within spec.preflight.timeoutSeconds (120s)" in verdict["message"]
    assert "last log lines: booting | DATABASE_URL=sqlite:////data/x.db" in verdict["message"]
    assert "pw@" not in verdict["message"]


def test_a_superseding_image_starts_the_preflight_again_and_the_old_pod_goes() -> None:
    v3 = make_spec(V3, **GATED)
    running = world(SPEC, 13, copy_job=COPIED_JOB, preflight_pods=(RUNNING_POD,))
    superseded = decide(v3, S["running"], running).status
    assert superseded["history"][0]["outcome"] == "Superseded"
    after = decide(v3, superseded, running)  # the Jobs and pod seen are still V2's
    pod, copy, _ = names(after.status)
    assert pod != POD
    assert copy != COPY
    assert shape(after.action) == ("Delete", POD)
    assert after.status["rollout"]["preflightStartedAt"] == "2026-01-01T00:00:13Z"
    fresh = decide(v3, after.status, world(SPEC, 14)).action
    assert isinstance(fresh, StartJob)
    assert (fresh.job.name, after.status["reason"]) == (copy, "PreflightStarted")


def test_a_superseding_image_gets_a_preflight_of_its_own_after_the_rollout_started() -> None:
    rolled = decide(SPEC, S["ready"], world(SPEC, 10)).status  # Preflight of V2
    started = {"step": "RollingOut", "next": ["Baking"], "rolloutStartedAt": "2026-01-01T00:00:20Z"}
    status = {**rolled, "rollout": {**rolled["rollout"], **started}}
    observed = Observed(now=at(25), deployment=progressing(SPEC, V2))
    decision = decide(make_spec(V3, **GATED), status, observed)
    rollout = decision.status["rollout"]
    assert (rollout["step"], rollout["next"], rollout["targetImage"]) == (
        "Preflight", ["RollingOut", "Baking"], V3,
    )  # fmt: skip
    assert rollout["mixed"] is True  # V2 ran on the live database: no restore shortcut later
    assert decision.status["history"][0]["outcome"] == "Superseded"


def test_a_superseding_image_that_fails_its_preflight_is_rolled_back() -> None:
    """V2 already ran on the live database, so V3 failing its preflight means a rollback."""
    status = S["failed_cleaning"]
    observed = Observed(now=at(16), deployment=progressing(SPEC, V2), clean_job=CLEANED_JOB)
    decision = decide(SPEC, status, observed)
    assert (decision.status["phase"], decision.status["reason"]) == (
        "RollingBack",
        "PreflightFailed",
    )
    assert shape(decision.action) == ("Ensure", V1, 1)  # no snapshot yet: nothing to restore
    assert decision.status["preflight"]["outcome"] == "Failed"


def test_a_first_deploy_has_no_preflight_and_no_bake() -> None:
    spec = make_spec(V1, generation=1, **GATED)
    started = decide(spec, {}, Observed(now=at(0))).status
    done = decide(spec, started, serving(spec, V1, at(5)))
    assert (done.status["phase"], done.status["reason"]) == ("Ready", "RolloutSucceeded")
    entry = done.status["history"][0]
    # nothing ran for them and there was nothing to snapshot: left out, not null
    assert not {"preflight", "bake", "snapshot", "cause"} & set(entry)
    assert None not in entry.values()


def test_stopped_by_recreate_after_a_supersede_the_old_version_comes_back() -> None:
    """A Recreate snapshot stopped V1; V3's preflight then fails: V1 is scaled back up."""
    status = S["failed_cleaning"]
    observed = stopped(SPEC, V1, at(16), clean_job=CLEANED_JOB)
    decision = decide(SPEC, status, observed)
    assert decision.status["phase"] == "Failed"
    assert shape(decision.action) == ("Ensure", V1, 1)


def test_a_cancelled_preflight_removes_its_pod_and_copy_then_ends_ready() -> None:
    back = make_spec(V1, **GATED)
    status = S["running"]
    for observed in (
        world(SPEC, 13, copy_job=COPIED_JOB, preflight_pods=(RUNNING_POD,)),
        world(SPEC, 14, copy_job=COPIED_JOB),
    ):
        status = _chain(back, status, observed)
    assert shape(decide(back, status, world(SPEC, 15)).action) == ("Job", "preflight-clean")
    done = decide(back, status, world(SPEC, 16, clean_job=CLEANED_JOB)).status
    assert (done["phase"], done["reason"], done["image"]) == ("Ready", "RolloutCancelled", V1)
    assert done["failedImage"] is None
    assert (done["history"][0]["outcome"], done["history"][0].get("preflight")) == (
        "Cancelled",
        None,
    )
    assert "preflight" not in done  # nothing was judged


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("SECRET_KEY=abc123", "SECRET_KEY=[redacted]"),
        ("db_password: hunter2 and more", "db_password: [redacted] and more"),
        ("GITHUB_TOKEN = ghp_x", "GITHUB_TOKEN = [redacted]"),
        (
            "connecting to https://admin:pw@db.example/x",
            "connecting to https://[redacted]@db.example/x",
        ),
        ("no such table: pantry_item", "no such table: pantry_item"),
    ],
)
def test_what_looks_secret_in_a_containers_output_is_blanked(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_a_long_output_keeps_its_last_lines_on_one_line() -> None:
    text = "\n".join(f"line {n}" for n in range(100)) + "\n\n"
    assert condense(text) == " | ".join(f"line {n}" for n in range(92, 100))
    assert condense("x" * 2000).startswith("...")
    assert len(condense("x" * 2000)) == 603
