"""Builders of specs, observations and statuses for the Release plan tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from gitops.release.actions import Decision, DeletePod, EnsureDeployment, StartJob, StartPod, Wait
from gitops.release.observed import DeploymentView, JobView, Observed, PodView
from gitops.release.plan import decide
from gitops.release.spec import ReleaseSpec

V1, V2, V3 = "reg.example/app:v1", "reg.example/app:v2", "reg.example/app:v3"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
TEMPLATE = {
    "metadata": {"labels": {"app": "mfb"}},
    "spec": {
        "containers": [{"name": "app", "volumeMounts": [{"name": "db", "mountPath": "/data"}]}],
        "volumes": [{"name": "db", "persistentVolumeClaim": {"claimName": "data"}}],
    },
}
# The release as it was before the preflight and the bake window: the tests of the other
# steps turn both off, the tests of those two (and of whole releases) turn them on.
CLASSIC: dict[str, Any] = {"preflight": {"enabled": False}, "readiness": {"bakeSeconds": 0}}
GATED: dict[str, Any] = {"preflight": {"enabled": True}, "readiness": {"bakeSeconds": 30}}


def make_spec(image: str = V2, retry: str = "", generation: int = 2, **fields: Any) -> ReleaseSpec:
    """A valid spec without preflight and bake (CLASSIC) unless `fields` turn them on; nested
    sections (snapshot, rollback, readiness...) merge into the defaults."""
    raw: dict[str, Any] = {
        "image": image,
        "template": TEMPLATE,
        "snapshot": {"claimName": "data"},
        **CLASSIC,
    }
    for key, value in fields.items():
        raw[key] = {**raw.get(key, {}), **value} if isinstance(value, dict) else value
    annotations = {"gitops.myfoodbudget.dev/retry": retry} if retry else {}
    return ReleaseSpec.from_dict(raw, annotations, name="mfb", generation=generation)


def at(seconds: float) -> datetime:
    """T0 plus some seconds."""
    return T0 + timedelta(seconds=seconds)


def healthy(spec: ReleaseSpec, image: str, replicas: int | None = None) -> DeploymentView:
    """A Deployment that finished rolling out `image`."""
    n = spec.replicas if replicas is None else replicas
    return DeploymentView(
        image=image,
        replicas=n,
        generation=3,
        observed_generation=3,
        updated_replicas=n,
        ready_replicas=n,
        available_replicas=n,
        template_hash=spec.template_hash,
    )


def progressing(spec: ReleaseSpec, image: str) -> DeploymentView:
    """A Deployment that runs `image` but has no ready replica yet."""
    return DeploymentView(
        image=image,
        replicas=spec.replicas,
        generation=3,
        observed_generation=3,
        template_hash=spec.template_hash,
    )


def pods(
    image: str, n: int = 1, *, ready: bool = True, waiting: str = "", restarts: int = 0
) -> tuple[PodView, ...]:
    """n pods of `image` on node n1."""
    return tuple(PodView(image, ready, restarts, waiting, "n1", f"pod-{n}") for n in range(n))


def serving(spec: ReleaseSpec, image: str, now: datetime, **extra: Any) -> Observed:
    """The world with `image` healthy."""
    return Observed(
        now=now, deployment=healthy(spec, image), pods=pods(image, spec.replicas), **extra
    )


def stopped(spec: ReleaseSpec, image: str, now: datetime, **extra: Any) -> Observed:
    """The world with the Deployment at 0 and no pod left."""
    return Observed(now=now, deployment=healthy(spec, image, 0), **extra)


def job(name: str, outcome: Any = None, **result: Any) -> JobView:
    """A Job view; result fields make the termination message."""
    return JobView(
        name=name, outcome=outcome, result=result or None, message="BackoffLimitExceeded"
    )


SNAPSHOT_RESULT = {
    "ok": True,
    "file": "mfb-20260101T000010Z-v1.db",
    "takenAt": "2026-01-01T00:00:10Z",
    "sizeBytes": 8192,
    "sha256": "ab" * 32,
    "schemaVersion": 1,
    "image": V1,
}


def ready_status(image: str = V1) -> dict[str, Any]:
    """A realistic status with `image` Ready, produced by the plan itself (first deploy)."""
    spec = make_spec(image, generation=1)
    status = decide(spec, {}, Observed(now=T0)).status
    return decide(spec, status, serving(spec, image, T0)).status


def walk(spec: ReleaseSpec, status: dict[str, Any], *worlds: Observed) -> list[Any]:
    """Decide over a sequence of observations, threading the status; return the decisions."""
    decisions = []
    for world in worlds:
        decision = decide(spec, status, world)
        decisions.append(decision)
        status = decision.status
    return decisions


def shape(action: Any) -> tuple[Any, ...]:
    """A comparable summary of an action (a Job by its kind label)."""
    if isinstance(action, EnsureDeployment):
        return ("Ensure", action.image, action.replicas)
    if isinstance(action, StartJob):
        return ("Job", action.job.label)
    if isinstance(action, StartPod):
        return ("Pod", action.pod.image)
    if isinstance(action, DeletePod):
        return ("Delete", action.name)
    assert isinstance(action, Wait)
    return ("Wait",)


def check_transition(
    decision: Decision, phase: str, action: tuple[Any, ...], reason: str | None
) -> None:
    """The decision moved to phase, with that action and an Event of that reason (or none)."""
    assert decision.status["phase"] == phase
    assert shape(decision.action) == action
    assert (decision.event.reason if decision.event else None) == reason
    if decision.event is not None:
        assert decision.status["reason"] == decision.event.reason  # events match conditions
