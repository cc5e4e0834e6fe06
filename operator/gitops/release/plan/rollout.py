"""The RollingOut step: apply the new image, then gate it on readiness and smoke checks (pure)."""

from __future__ import annotations

from dataclasses import replace

from gitops.clock import format_time
from gitops.release import reasons as R
from gitops.release.actions import Action, Wait
from gitops.release.observed import CheckResult
from gitops.release.plan.context import Ctx, Transition, build_ensure, build_history
from gitops.release.plan.queries import (
    deployment_complete,
    drifted,
    fail_fast_cause,
    ready_count,
    seconds_since,
)
from gitops.release.plan.rollback import begin_rollback
from gitops.release.plan.sequence import advance, preflight_again, rollout_steps
from gitops.release.state import HistoryOutcome, Phase, Rollout

NOT_RUN = CheckResult(None, "not run yet")


def decide_rolling_out(ctx: Ctx, rollout: Rollout) -> Transition:
    """Apply the target image, then gate it: ready and verified, failing fast, or timed out."""
    spec, observed = ctx.spec, ctx.observed
    moved = interrupted(ctx, rollout)
    if moved is not None:
        return moved
    target = rollout.target_image
    ready = ready_count(observed, target)
    note = "" if rollout.from_image else " (first deploy: no snapshot)"
    message = R.ROLLOUT_STARTED.message(
        image=target, ready=ready, replicas=spec.replicas, note=note
    )
    if not rollout.rollout_started_at:
        rollout = replace(rollout, rollout_started_at=format_time(observed.now))
        action = build_ensure(spec, target)
        return Transition(Phase.ROLLING_OUT, R.ROLLOUT_STARTED, message, action, rollout)
    cause = _failure_cause(ctx, target, rollout.rollout_started_at)
    if cause:
        return begin_rollback(ctx, rollout, cause, R.READINESS_FAILED)
    unverified = _unverified(ctx, target)
    if unverified:
        return begin_rollback(ctx, rollout, unverified, R.VERIFY_FAILED)
    if deployment_complete(observed, target, spec.replicas) and _verified(ctx, target):
        return _ready(ctx, rollout)
    waiting: Action = Wait(2.0)
    if drifted(spec, observed, target, spec.replicas):
        waiting = build_ensure(spec, target)
    return Transition(Phase.ROLLING_OUT, R.ROLLOUT_STARTED, message, waiting, rollout)


def interrupted(ctx: Ctx, rollout: Rollout) -> Transition | None:
    """spec.image back to the serving image (cancel, rolling back) or a newer one (supersede)
    once the new image may have run; None when spec.image is still the target."""
    spec = ctx.spec
    if rollout.from_image and spec.image == rollout.from_image:
        cause = f"spec.image changed back to {spec.image}"
        return begin_rollback(ctx, rollout, cause, R.ROLLOUT_CANCELLED)
    if spec.image != rollout.target_image and ctx.allowed(spec.image):
        return supersede(ctx, rollout)
    return None


def _failure_cause(ctx: Ctx, image: str, since: str | None) -> str:
    """Why `image` is considered failed ('' while it may still become ready)."""
    readiness = ctx.spec.readiness
    cause = fail_fast_cause(ctx.observed, image, readiness.max_restarts)
    if cause:
        return cause
    if seconds_since(ctx.observed, since) > readiness.timeout_seconds:
        return f"not ready within readiness.timeoutSeconds ({readiness.timeout_seconds}s)"
    return ""


def _unverified(ctx: Ctx, image: str) -> str:
    """The first failed smoke check of a ready pod of `image` ('' when none failed)."""
    for pod in ctx.observed.pods:
        check = ctx.observed.checks.get(pod.name)
        if pod.image == image and check is not None and check.passed is False:
            return f"pod {pod.name}: {check.detail}"
    return ""


def _verified(ctx: Ctx, image: str) -> bool:
    """True when every pod of `image` passed the smoke checks (or there are none)."""
    if not ctx.spec.verify:
        return True
    pods = [pod for pod in ctx.observed.pods if pod.image == image]
    return all(ctx.observed.checks.get(pod.name, NOT_RUN).passed is True for pod in pods)


def supersede(ctx: Ctx, rollout: Rollout) -> Transition:
    """A newer spec.image replaces the target (after a preflight of its own, when enabled);
    the snapshot, taken before any new code ran, stays."""
    old = rollout.target_image
    history = build_history(ctx, rollout, HistoryOutcome.SUPERSEDED, R.ROLLOUT_SUPERSEDED)
    rollout = replace(
        rollout,
        phase=Phase.ROLLING_OUT,
        steps=rollout_steps(ctx.spec)[1:],
        target_image=ctx.spec.image,
        rollout_started_at=None,
        mixed=rollout.mixed or rollout.rollout_started_at is not None,
        bake_started_at=None,
        bake_restarts=(),
        bake=None,
    )
    rollout = preflight_again(ctx.spec, rollout)
    message = R.ROLLOUT_SUPERSEDED.message(old=old, image=ctx.spec.image)
    changes = {"history": history}
    return Transition(rollout.phase, R.ROLLOUT_SUPERSEDED, message, Wait(1.0), rollout, changes)


def _ready(ctx: Ctx, rollout: Rollout) -> Transition:
    """The target is ready: bake it next, or it serves now."""
    if Phase.BAKING not in rollout.steps:
        return succeeded(ctx, rollout, "")
    pods = [p for p in ctx.observed.pods if p.image == rollout.target_image]
    rollout = replace(
        advance(rollout),
        bake_started_at=format_time(ctx.observed.now),
        bake_restarts=tuple(sorted((p.name, p.restart_count) for p in pods)),
    )
    readiness = ctx.spec.readiness
    watch = "restarts, readiness"
    if readiness.error_rate is not None:
        watch += f", a 5xx ratio above {readiness.error_rate:g}"
    message = R.BAKE_STARTED.message(
        image=rollout.target_image, seconds=readiness.bake_seconds, watch=watch
    )
    wait = Wait(float(readiness.bake_seconds))
    return Transition(Phase.BAKING, R.BAKE_STARTED, message, wait, rollout)


def succeeded(ctx: Ctx, rollout: Rollout, detail: str) -> Transition:
    """The target is ready (and baked): it becomes the serving image."""
    target = rollout.target_image
    changes = {
        "image": target,
        "previousImage": rollout.from_image or ctx.status.get("previousImage"),
        "failedImage": None,
        "history": build_history(ctx, rollout, HistoryOutcome.SUCCEEDED, R.ROLLOUT_SUCCEEDED),
    }
    message = R.ROLLOUT_SUCCEEDED.message(image=target, replicas=ctx.spec.replicas, detail=detail)
    return Transition(
        Phase.READY, R.ROLLOUT_SUCCEEDED, message, Wait(60.0), None, changes, ready=True
    )
