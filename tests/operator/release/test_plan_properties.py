"""Property tests of the Release plan over arbitrary sequences of observations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gitops.release.actions import EnsureDeployment, StartJob, StartPod, Wait
from gitops.release.observed import (
    CheckResult,
    DeploymentView,
    JobView,
    Observed,
    PodMetrics,
    PodView,
    PreflightPodView,
)
from gitops.release.plan import decide
from gitops.release.reasons import BY_NAME
from gitops.release.spec import ReleaseSpec
from gitops.release.state import Phase
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from planhelpers import SNAPSHOT_RESULT, T0, V1, V2, V3, make_spec, ready_status, shape

IMAGES = (V1, V2, V3)
PHASES = {phase.value for phase in Phase}  # the CRD's enum (test_crd holds the two equal)
WAITING = ("", "", "ImagePullBackOff", "ErrImagePull", "CrashLoopBackOff", "ContainerCreating")
JOB_KINDS = ("absent", "running", "ok", "no-result", "failed")
RESTORE_RESULTS = ({"ok": True, "restored": True}, {"ok": True, "restored": False})
PREFLIGHT_RESULT = {"ok": True, "schemaVersion": 1}
# Weighted towards progress, so that preflights pass and bakes run often enough to be judged.
PREFLIGHT_JOBS = ("ok", "ok", "ok", "running", "absent", "no-result", "failed")
PREFLIGHT_PODS = ("absent", "absent", "ready", "ready", "running", "ended", "pull", "gone")
CHECKS = (None, CheckResult(True), CheckResult(True), CheckResult(False, "500"), CheckResult(None))
TARGETS = (V2, V2, V2, V2, V2, V1, V3)  # spec.image moves, but mostly stays
RESPONSES = ((), ({"2xx": 50.0},), ({"2xx": 5.0, "5xx": 5.0},))


def _fields(paused: bool, strategy: str, policy: str, automatic: bool, replicas: int) -> Any:
    """The classic part of a generated spec."""
    return {
        "paused": paused,
        "strategy": strategy,
        "replicas": replicas,
        "rollback": {"restoreDatabase": policy, "automatic": automatic},
    }


def _gates(preflight: bool, bake: int, rate: float | None, verify: bool) -> Any:
    """The preflight, bake and smoke-check part of a generated spec."""
    readiness: dict[str, Any] = {"bakeSeconds": bake}
    if rate is not None:
        readiness["errorRate"] = rate
    return {
        "preflight": {"enabled": preflight},
        "readiness": readiness,
        "verify": [{"path": "/auth/login"}] if verify else [],
    }


classic = st.builds(
    _fields,
    st.booleans(),
    st.sampled_from(("Recreate", "RollingUpdate")),
    st.sampled_from(("Never", "IfSchemaChanged", "Always")),
    st.booleans(),
    st.integers(0, 2),
)
gates = st.builds(
    _gates, st.booleans(), st.sampled_from((0, 30)), st.sampled_from((None, 0.05)), st.booleans()
)
specs = st.tuples(st.sampled_from(TARGETS), classic, gates).map(lambda t: (t[0], {**t[1], **t[2]}))

deployments = st.one_of(
    st.none(),
    st.builds(
        lambda image, replicas, counts, old, gen_lag: (image, replicas, counts, old, gen_lag),
        st.sampled_from(IMAGES),
        st.integers(0, 2),
        st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2)),
        st.integers(0, 1),
        st.booleans(),
    ),
)

pod_lists = st.lists(
    st.tuples(st.sampled_from(IMAGES), st.booleans(), st.integers(0, 4), st.sampled_from(WAITING)),
    max_size=3,
)

preflight_worlds = st.tuples(
    st.sampled_from(PREFLIGHT_JOBS),
    st.sampled_from(PREFLIGHT_JOBS),
    st.sampled_from(PREFLIGHT_PODS),
    st.sampled_from(CHECKS),
    st.sampled_from(RESPONSES),
)

worlds = st.tuples(
    specs,
    deployments,
    pod_lists,
    st.sampled_from(JOB_KINDS),
    st.sampled_from(JOB_KINDS),
    st.integers(0, 400),
    st.booleans(),
    preflight_worlds,
)


def _deployment(spec: ReleaseSpec, raw: Any) -> DeploymentView | None:
    """A DeploymentView from generated numbers."""
    if raw is None:
        return None
    image, replicas, (updated, ready, available), old, lag = raw
    return DeploymentView(
        image, replicas, 2, 1 if lag else 2, updated, ready, available, old, spec.template_hash
    )


def _job(name: str, kind: str, result: dict[str, Any]) -> JobView | None:
    """A JobView of the given kind for the Job the status names."""
    if kind == "absent" or not name:
        return None
    if kind == "running":
        return JobView(name)
    if kind == "ok":
        return JobView(name, "Complete", result)
    if kind == "no-result":
        return JobView(name, "Complete", None)
    return JobView(name, "Failed", {"ok": False, "error": "boom"}, "BackoffLimitExceeded")


def _preflight_pod(rollout: dict[str, Any], kind: str) -> tuple[PreflightPodView, ...]:
    """The preflight pod the status names, in the generated state."""
    name = rollout.get("preflightPod") or ""
    if kind == "absent" or not name:
        return ()
    image = str(rollout.get("targetImage") or "")
    states: dict[str, dict[str, Any]] = {
        "running": {},
        "ready": {"ready": True},
        "ended": {"terminated": True, "message": "exit code 1 (Error)"},
        "pull": {"waiting_reason": "ErrImagePull"},
        "gone": {"gone": True},
    }
    return (PreflightPodView(name, image, **states[kind]),)


def _observe(spec: ReleaseSpec, status: dict[str, Any], raw: Any, now: Any) -> Observed:
    """Build the observation the adapters would hand over."""
    _, dep, pod_raw, snap_kind, restore_kind, _, restore_changed, extra = raw
    copy_kind, clean_kind, pod_kind, check, responses = extra
    rollout = status.get("rollout") or {}
    pods = tuple(
        PodView(img, ready, restarts, waiting, "n1", f"p{n}")
        for n, (img, ready, restarts, waiting) in enumerate(pod_raw)
    )
    preflight = _preflight_pod(rollout, pod_kind)
    named = [p.name for p in pods] + [p.name for p in preflight]
    return Observed(
        now=now,
        deployment=_deployment(spec, dep),
        pods=pods,
        snapshot_job=_job(rollout.get("snapshotJob", ""), snap_kind, SNAPSHOT_RESULT),
        restore_job=_job(
            rollout.get("restoreJob", ""), restore_kind, RESTORE_RESULTS[restore_changed]
        ),
        copy_job=_job(rollout.get("copyJob") or "", copy_kind, PREFLIGHT_RESULT),
        clean_job=_job(rollout.get("cleanJob") or "", clean_kind, PREFLIGHT_RESULT),
        preflight_pods=preflight,
        checks=dict.fromkeys(named, check) if check is not None else {},
        metrics=tuple(PodMetrics(p.name, r) for p in pods for r in responses),
    )


def _run(sequence: list[Any], retry: str, required: bool = True) -> list[tuple[Any, ...]]:
    """Decide over the sequence from V1 serving; return (spec, status, world, decision) tuples."""
    status, now, steps = ready_status(V1), T0, []
    for raw in sequence:
        (image, fields), seconds = raw[0], raw[5]
        spec = make_spec(image, retry=retry, snapshot={"required": required}, **fields)
        now = now + timedelta(seconds=seconds)
        world = _observe(spec, status, raw, now)
        decision = decide(spec, status, world)
        assert decide(spec, status, world) == decision  # pure: same inputs, same answer
        steps.append((spec, status, world, decision))
        status = decision.status
    return steps


def _snapshot_ok(world: Observed) -> str:
    """The name of a snapshot Job this observation shows as succeeded ('' if none)."""
    job = world.snapshot_job
    ok = job is not None and job.outcome == "Complete" and (job.result or {}).get("ok") is True
    return job.name if ok and job is not None else ""


QUICK = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@QUICK
@given(st.lists(worlds, min_size=1, max_size=30), st.sampled_from(("", "r1")))
def test_never_rolls_out_without_a_successful_snapshot(sequence: list[Any], retry: str) -> None:
    seen_ok: set[str] = set()
    for _spec, status, world, decision in _run(sequence, retry):
        seen_ok.add(_snapshot_ok(world))
        action, serving = decision.action, status.get("image")
        if isinstance(action, EnsureDeployment) and action.image != serving:
            assert serving, "only a first deploy may run an unserved image without a snapshot"
            rollout = decision.status["rollout"] or status.get("rollout") or {}
            assert rollout.get("snapshotJob") in seen_ok, "rolled out before its snapshot succeeded"


@QUICK
@given(st.lists(worlds, min_size=1, max_size=30), st.sampled_from(("", "r1")))
def test_a_failed_image_is_not_retried_until_spec_image_changes(
    sequence: list[Any], retry: str
) -> None:
    blocked: dict[str, int] = {}  # image -> rollout number that failed it
    for spec, status, _world, decision in _run(sequence, retry):
        for image in [img for img in blocked if spec.image != img]:
            del blocked[image]  # spec.image moved away: the block is lifted
        rollout = decision.status.get("rollout") or {}
        for image, number in blocked.items():
            assert not (
                isinstance(decision.action, EnsureDeployment) and decision.action.image == image
            )
            assert not (rollout.get("targetImage") == image and rollout.get("number", 0) > number)
        failed = decision.status.get("failedImage")
        if failed and failed != status.get("failedImage"):
            blocked[failed] = int(decision.status.get("rolloutCount") or 0)


@QUICK
@given(st.lists(worlds, min_size=1, max_size=30), st.sampled_from(("", "r1")), st.booleans())
def test_conditions_events_and_history_stay_well_formed(
    sequence: list[Any], retry: str, required: bool
) -> None:
    for _spec, status, _world, decision in _run(sequence, retry, required):
        new = {c["type"]: c for c in decision.status["conditions"]}
        assert set(new) == {"Ready", "Serving", "Progressing", "Degraded"}
        if new["Serving"]["status"] == "True":  # it names an image a ready pod runs
            shown = new["Serving"]["message"].split(" serves", 1)[0]
            assert any(pod.ready and pod.image == shown for pod in _world.pods)
        for old in status.get("conditions", []):
            if old["status"] == new[old["type"]]["status"]:
                assert old["lastTransitionTime"] == new[old["type"]]["lastTransitionTime"]
        assert decision.status["phase"] in PHASES
        if decision.event is not None:
            assert decision.event.reason == decision.status["reason"]
            assert decision.event.reason == new["Ready"]["reason"]
            assert decision.event.type == BY_NAME[decision.event.reason].event_type
        assert len(decision.status.get("history", [])) <= 20
        if decision.status["phase"] == "Ready" and new["Ready"]["status"] == "True":
            assert decision.status["image"] == _spec.image


@QUICK
@given(st.lists(worlds, min_size=1, max_size=30), st.sampled_from(("", "r1")))
def test_restore_and_quiescent_snapshot_only_run_with_the_app_stopped(
    sequence: list[Any], retry: str
) -> None:
    for spec, _status, world, decision in _run(sequence, retry):
        action = decision.action
        if not isinstance(action, StartJob):
            continue
        module, recreate = action.job.module, spec.strategy == "Recreate"
        quiescent = module == "gitops.restore" or (
            recreate and module in ("gitops.snapshot", "gitops.vacuum")
        )
        if quiescent:
            assert world.pods == ()
            assert world.deployment is None or world.deployment.replicas == 0


@QUICK
@given(st.lists(worlds, min_size=1, max_size=30), st.sampled_from(("", "r1")))
def test_a_preflight_pod_only_ever_sees_its_own_folder(sequence: list[Any], retry: str) -> None:
    """The new image gets the scratch copy, never the live database, and only before rollout."""
    for _spec, status, _world, decision in _run(sequence, retry):
        if isinstance(decision.action, StartPod):
            request = decision.action.pod
            assert request.folder == f"preflight/{request.name}"
            assert status.get("image"), "a first deploy has nothing to protect: no preflight"
            rollout = decision.status["rollout"]
            assert (rollout["step"], request.image) == ("Preflight", rollout["targetImage"])


@QUICK
@given(st.lists(worlds, min_size=1, max_size=30), st.sampled_from(("", "r1")))
def test_a_new_phase_asks_again_for_an_action_that_was_lost(
    sequence: list[Any], retry: str
) -> None:
    """The operator records a new phase before its action (gitops.release.reconcile): killed in
    between, it decides again in the new phase on a world the action never reached. It must
    not undo the step (the other image) nor skip what the step needs (its Job or Pod)."""
    for spec, status, world, decision in _run(sequence, retry):
        lost = decision.action
        if decision.status.get("phase") == status.get("phase") or isinstance(lost, Wait):
            continue
        redo = decide(spec, decision.status, world).action
        steps = (status.get("phase"), decision.status.get("phase"), shape(lost), shape(redo))
        if isinstance(lost, EnsureDeployment):
            assert not isinstance(redo, EnsureDeployment) or redo.image == lost.image, steps
        elif shape(redo) != shape(lost):  # a Job or Pod: asked for again, or found there
            assert isinstance(redo, Wait), steps
            assert _found(world, lost), steps


def _found(world: Observed, action: Any) -> bool:
    """Whether the world shows the Job or preflight Pod the action starts."""
    if isinstance(action, StartJob):
        jobs = (world.snapshot_job, world.restore_job, world.copy_job, world.clean_job)
        return any(job is not None and job.name == action.job.name for job in jobs)
    return bool(world.preflight_pods)
