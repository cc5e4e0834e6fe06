"""Table-driven tests of the Baking step, the smoke checks of RollingOut, and what a rollback
learns from the preflight."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from gitops.release.observed import CheckResult, PodMetrics
from gitops.release.plan import decide
from planhelpers import (
    SNAPSHOT_RESULT,
    V1,
    V2,
    V3,
    Observed,
    at,
    check_transition,
    job,
    make_spec,
    pods,
    progressing,
    ready_status,
    serving,
    shape,
    stopped,
)

BAKED = {"bakeSeconds": 30, "errorRate": 0.05}
SPEC = make_spec(V2, readiness=BAKED)
VERIFIED = make_spec(V2, readiness=BAKED, verify=[{"path": "/auth/login"}])
POD = "pod-0"  # the name planhelpers.pods gives the first pod


def _chain(spec: Any, status: dict[str, Any], observed: Observed) -> dict[str, Any]:
    """The status after one decision."""
    return decide(spec, status, observed).status


def _rolling(spec: Any) -> dict[str, Any]:
    """A Recreate release of V2 up to RollingOut, built by the plan itself."""
    status = _chain(spec, ready_status(V1), serving(spec, V1, at(10)))
    status = _chain(spec, status, stopped(spec, V1, at(12)))
    done = job("mfb-snapshot-2", "Complete", **SNAPSHOT_RESULT)
    status = _chain(spec, status, stopped(spec, V1, at(14), snapshot_job=done))
    return _chain(spec, status, stopped(spec, V1, at(15)))


def baking(seconds: float, **extra: Any) -> Observed:
    """V2 ready, `seconds` into the release."""
    return serving(SPEC, V2, at(seconds), **extra)


def restarted(seconds: float, restarts: int) -> Observed:
    """V2 ready, its pod restarted that many times."""
    return replace(baking(seconds), pods=pods(V2, restarts=restarts))


def metrics(ok: float, errors: float) -> tuple[PodMetrics, ...]:
    """What POD's /metrics says."""
    return (PodMetrics(POD, {"2xx": ok, "5xx": errors} if errors else {"2xx": ok}),)


ROLLING = _rolling(SPEC)
BAKING = _chain(SPEC, ROLLING, baking(20))
VERIFYING = _rolling(VERIFIED)
S = {
    "rolling": ROLLING,
    "baking": BAKING,
    "verifying": VERIFYING,
    "baked": _chain(SPEC, BAKING, baking(50, metrics=metrics(40, 1))),
    "bake_failed": _chain(SPEC, BAKING, baking(30, metrics=metrics(10, 5))),
}

CASES = [
    # id, status, spec, world, phase, action, event reason
    ("ready-starts-the-bake", "rolling", SPEC, baking(20), "Baking", ("Wait",), "BakeStarted"),
    ("holding-up", "baking", SPEC, baking(35, metrics=metrics(40, 1)), "Baking", ("Wait",), None),
    (
        "no-traffic-is-no-verdict",
        "baking",
        SPEC,
        baking(35, metrics=metrics(0, 0)),
        "Baking",
        ("Wait",),
        None,
    ),
    (
        "baked",
        "baking",
        SPEC,
        baking(50, metrics=metrics(40, 1)),
        "Ready",
        ("Wait",),
        "RolloutSucceeded",
    ),
    (
        "5xx-ratio-above",
        "baking",
        SPEC,
        baking(30, metrics=metrics(10, 5)),
        "RollingBack",
        ("Ensure", V1, 0),
        "BakeFailed",
    ),
    (
        "metrics-unreadable",
        "baking",
        SPEC,
        baking(30, metrics=(PodMetrics(POD, {}, "GET /metrics answered 404"),)),
        "RollingBack",
        ("Ensure", V1, 0),
        "BakeFailed",
    ),
    ("restart", "baking", SPEC, restarted(25, 1), "RollingBack", ("Ensure", V1, 0), "BakeFailed"),
    (
        "readiness-drop",
        "baking",
        SPEC,
        Observed(now=at(25), deployment=progressing(SPEC, V2), pods=pods(V2, ready=False)),
        "RollingBack",
        ("Ensure", V1, 0),
        "BakeFailed",
    ),
    (
        "deployment-changed-under-it",
        "baking",
        SPEC,
        Observed(now=at(25), deployment=replace(progressing(SPEC, V2), image=V1)),
        "RollingBack",
        ("Ensure", V1, 0),
        "BakeFailed",
    ),
    (
        "cancelled",
        "baking",
        make_spec(V1, readiness=BAKED),
        baking(25),
        "RollingBack",
        ("Ensure", V1, 0),
        "RolloutCancelled",
    ),
    (
        "superseded",
        "baking",
        make_spec(V3, readiness=BAKED),
        baking(25),
        "RollingOut",
        ("Wait",),
        "RolloutSuperseded",
    ),
    (
        "verify-waits",
        "verifying",
        VERIFIED,
        serving(VERIFIED, V2, at(20)),
        "RollingOut",
        ("Wait",),
        None,
    ),
    (
        "verify-unreachable-waits",
        "verifying",
        VERIFIED,
        serving(VERIFIED, V2, at(20), checks={POD: CheckResult(None, "refused")}),
        "RollingOut",
        ("Wait",),
        None,
    ),
    (
        "verified-starts-the-bake",
        "verifying",
        VERIFIED,
        serving(VERIFIED, V2, at(20), checks={POD: CheckResult(True)}),
        "Baking",
        ("Wait",),
        "BakeStarted",
    ),
    (
        "verify-failed",
        "verifying",
        VERIFIED,
        serving(
            VERIFIED,
            V2,
            at(20),
            checks={POD: CheckResult(False, "GET /auth/login answered 500, expected 200")},
        ),
        "RollingBack",
        ("Ensure", V1, 0),
        "VerifyFailed",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_transition(case: tuple[Any, ...]) -> None:
    _, status, spec, observed, *expected = case  # phase, action, event reason
    check_transition(decide(spec, S[status], observed), *expected)


def test_the_new_version_serves_only_once_it_baked() -> None:
    assert (BAKING["image"], BAKING["phase"]) == (V1, "Baking")
    ready = next(c for c in BAKING["conditions"] if c["type"] == "Ready")
    progressing_ = next(c for c in BAKING["conditions"] if c["type"] == "Progressing")
    assert (ready["status"], progressing_["status"]) == ("False", "True")
    assert BAKING["rollout"]["bakeRestarts"] == {POD: 0}
    done = decide(SPEC, BAKING, baking(50, metrics=metrics(40, 1))).status
    assert (done["image"], done["previousImage"]) == (V2, V1)
    assert done["bake"]["outcome"] == "Passed"
    assert done["bake"]["seconds"] == 30.0
    assert "5xx ratio 0.02 of 41 responses" in done["message"]
    assert (done["history"][0]["bake"], done["history"][0].get("preflight")) == ("Passed", None)


def test_a_failed_bake_names_the_measured_figure_and_rolls_back() -> None:
    decision = decide(SPEC, BAKING, baking(30, metrics=metrics(10, 5)))
    message = decision.status["message"]
    assert "5xx ratio 0.33 (5 of 15 responses) above readiness.errorRate 0.05" in message
    assert f"rolling back to {V1}" in message
    assert decision.status["bake"]["outcome"] == "Failed"
    assert decision.status["rollout"]["failure"]["reason"] == "BakeFailed"
    restored = job("mfb-restore-2", "Complete", ok=True, restored=False)
    status = _chain(SPEC, decision.status, stopped(SPEC, V1, at(32)))
    status = _chain(SPEC, status, stopped(SPEC, V1, at(33), restore_job=restored))
    back = decide(SPEC, status, serving(SPEC, V1, at(40))).status
    assert back["phase"] == "RolledBack"
    assert (back["history"][0]["bake"], back["history"][0]["outcome"]) == ("Failed", "RolledBack")


def test_a_restart_before_the_bake_is_not_held_against_it() -> None:
    """maxRestarts tolerated restarts during the rollout; the bake counts only new ones."""
    twice = restarted(20, 2)
    status = _chain(SPEC, ROLLING, twice)
    assert status["rollout"]["bakeRestarts"] == {POD: 2}
    assert decide(SPEC, status, replace(twice, now=at(25))).status["phase"] == "Baking"
    again = restarted(26, 3)
    assert "restarted 1 time(s)" in decide(SPEC, status, again).status["message"]


def test_bake_seconds_zero_turns_the_bake_off() -> None:
    spec = make_spec(V2, readiness={"bakeSeconds": 0})
    decision = decide(spec, _rolling(spec), serving(spec, V2, at(20)))
    assert (decision.status["phase"], decision.status["reason"]) == ("Ready", "RolloutSucceeded")


def test_without_an_error_rate_the_metrics_are_not_judged() -> None:
    spec = make_spec(V2, readiness={"bakeSeconds": 30})
    status = _chain(spec, _rolling(spec), serving(spec, V2, at(20)))
    assert "5xx" not in status["message"]
    later = decide(spec, status, serving(spec, V2, at(30), metrics=metrics(1, 99)))
    assert later.status["phase"] == "Baking"


PASSED = {
    "outcome": "Passed",
    "image": V2,
    "schemaVersion": 1,
    "durationSeconds": 3.0,
    "message": "ready",
}


@pytest.mark.parametrize(
    ("preflight", "mixed", "replicas"),
    [
        (PASSED, False, 1),
        ({**PASSED, "schemaVersion": 2}, False, 0),
        (PASSED, True, 0),
        (None, False, 0),
    ],
    ids=["schema-kept", "schema-changed", "another-image-ran", "no-preflight"],
)
def test_a_rollback_skips_the_restore_when_the_preflight_showed_the_schema_kept(
    preflight: dict[str, Any] | None, mixed: bool, replicas: int
) -> None:
    """IfSchemaChanged: the snapshot says schema 1; so did the copy the failed image ran on."""
    rollout = {**BAKING["rollout"], "preflight": preflight, "mixed": mixed or None}
    status = {**BAKING, "rollout": rollout}
    decision = decide(SPEC, status, baking(30, metrics=metrics(1, 9)))
    assert shape(decision.action) == ("Ensure", V1, replicas)
    if replicas:  # no stop, no restore Job: straight back to V1
        back = decide(SPEC, decision.status, serving(SPEC, V1, at(35))).status
        assert back["phase"] == "RolledBack"
        assert "the preflight left the schema at version 1" in back["message"]
