"""The RollingOut step: apply the new image, then gate it on readiness (pure)."""

from __future__ import annotations

from dataclasses import replace

from gitops.clock import format_time
from gitops.release import reasons as R
from gitops.release.actions import Action, Wait
from gitops.release.plan.context import Ctx, Transition, build_ensure, build_history
from gitops.release.plan.queries import (
    deployment_complete,
    drifted,
    fail_fast_cause,
    ready_count,
    seconds_since,
)
from gitops.release.plan.rollback import begin_rollback
from gitops.release.state import HistoryOutcome, Phase, Rollout


def decide_rolling_out(ctx: Ctx, rollout: Rollout) -> Transition:
    """Apply the target image, then gate it: ready, failing fast, or timed out."""
    spec, observed = ctx.spec, ctx.observed
    if rollout.from_image and spec.image == rollout.from_image:
        cause = f"spec.image changed back to {spec.image}"
        return begin_rollback(ctx, rollout, cause, R.ROLLOUT_CANCELLED)
    if spec.image != rollout.target_image and ctx.allowed(spec.image):
        return _supersede(ctx, rollout)
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
    if deployment_complete(observed, target, spec.replicas):
        return _succeeded(ctx, rollout)
    waiting: Action = Wait(2.0)
    if drifted(spec, observed, target, spec.replicas):
        waiting = build_ensure(spec, target)
    return Transition(Phase.ROLLING_OUT, R.ROLLOUT_STARTED, message, waiting, rollout)


def _failure_cause(ctx: Ctx, image: str, since: str | None) -> str:
    """Why `image` is considered failed ('' while it may still become ready)."""
    readiness = ctx.spec.readiness
    cause = fail_fast_cause(ctx.observed, image, readiness.max_restarts)
    if cause:
        return cause
    if seconds_since(ctx.observed, since) > readiness.timeout_seconds:
        return f"not ready within readiness.timeoutSeconds ({readiness.timeout_seconds}s)"
    return ""


def _supersede(ctx: Ctx, rollout: Rollout) -> Transition:
    """A newer spec.image replaces the target; the snapshot (taken before any new code) stays."""
    old = rollout.target_image
    history = build_history(ctx, rollout, HistoryOutcome.SUPERSEDED, R.ROLLOUT_SUPERSEDED)
    rollout = replace(rollout, target_image=ctx.spec.image, rollout_started_at=None)
    message = R.ROLLOUT_SUPERSEDED.message(old=old, image=ctx.spec.image)
    changes = {"history": history}
    return Transition(Phase.ROLLING_OUT, R.ROLLOUT_SUPERSEDED, message, Wait(1.0), rollout, changes)


def _succeeded(ctx: Ctx, rollout: Rollout) -> Transition:
    """The target is ready: it becomes the serving image."""
    target = rollout.target_image
    changes = {
        "image": target,
        "previousImage": rollout.from_image or ctx.status.get("previousImage"),
        "failedImage": None,
        "history": build_history(ctx, rollout, HistoryOutcome.SUCCEEDED, R.ROLLOUT_SUCCEEDED),
    }
    message = R.ROLLOUT_SUCCEEDED.message(image=target, replicas=ctx.spec.replicas)
    return Transition(
        Phase.READY, R.ROLLOUT_SUCCEEDED, message, Wait(60.0), None, changes, ready=True
    )
