"""The Baking step: the new version ready, watched for readiness.bakeSeconds before it serves.

A restart of one of its pods, a readiness drop, or (with readiness.errorRate) a 5xx ratio
above that figure, counted from the pods' own /metrics since they started, rolls it back with
BakeFailed. The ratio is checked at every look, so a version failing hard goes back at once.
"""

from __future__ import annotations

from dataclasses import replace

from gitops.release import reasons as R
from gitops.release.actions import Action, Wait
from gitops.release.plan.context import Ctx, Transition, build_ensure
from gitops.release.plan.queries import deployment_complete, drifted, ready_count, seconds_since
from gitops.release.plan.rollback import begin_rollback
from gitops.release.plan.rollout import interrupted, succeeded
from gitops.release.records import Bake, Outcome
from gitops.release.state import Phase, Rollout

ERRORS = "5xx"


def decide_baking(ctx: Ctx, rollout: Rollout) -> Transition:
    """Keep watching, roll back on the first sign of trouble, or let the new version serve."""
    spec, observed = ctx.spec, ctx.observed
    moved = interrupted(ctx, rollout)
    if moved is not None:
        return moved
    target, elapsed = rollout.target_image, seconds_since(observed, rollout.bake_started_at)
    cause = bake_failure(ctx, rollout)
    if cause:
        bake = Bake(Outcome.FAILED, target, round(elapsed, 1), cause)
        back = begin_rollback(ctx, replace(rollout, bake=bake), cause, R.BAKE_FAILED)
        return replace(back, changes={**back.changes, "bake": bake.to_status()})
    bake_seconds = spec.readiness.bake_seconds
    if elapsed >= bake_seconds:
        summary = f"watched {elapsed:.0f}s: {_health(ctx)}"
        bake = Bake(Outcome.PASSED, target, round(elapsed, 1), summary)
        done = succeeded(ctx, replace(rollout, bake=bake), f"; {summary}")
        return replace(done, changes={**done.changes, "bake": bake.to_status()})
    action: Action = Wait(max(0.5, bake_seconds - elapsed))
    if drifted(spec, observed, target, spec.replicas):
        action = build_ensure(spec, target)
    reason = R.BY_NAME.get(str(ctx.status.get("reason")), R.BAKE_STARTED)
    message = str(ctx.status.get("message") or "")
    return Transition(Phase.BAKING, reason, message, action, rollout)


def bake_failure(ctx: Ctx, rollout: Rollout) -> str:
    """Why the baking version failed ('' while it holds up)."""
    spec, observed, target = ctx.spec, ctx.observed, rollout.target_image
    before = dict(rollout.bake_restarts)
    for pod in observed.pods:
        restarts = pod.restart_count - before.get(pod.name, 0)
        if pod.image == target and restarts > 0:
            return f"pod {pod.name} restarted {restarts} time(s) in the bake window"
    if not deployment_complete(observed, target, spec.replicas):
        ready = ready_count(observed, target)
        return f"readiness dropped: {ready}/{spec.replicas} pods of it ready"
    rate = spec.readiness.error_rate
    if rate is None:
        return ""
    unread = next((m for m in observed.metrics if m.error), None)
    if unread is not None:
        return f"the /metrics of pod {unread.pod} could not be read ({unread.error})"
    errors, total = error_counts(ctx)
    if total and errors / total > rate:
        return (
            f"5xx ratio {errors / total:.2f} ({errors:g} of {total:g} responses) above "
            f"readiness.errorRate {rate:g}"
        )
    return ""


def error_counts(ctx: Ctx) -> tuple[float, float]:
    """5xx responses and all responses of the baking pods, since they started."""
    metrics = ctx.observed.metrics
    errors = sum(m.responses.get(ERRORS, 0.0) for m in metrics)
    return errors, sum(sum(m.responses.values()) for m in metrics)


def _health(ctx: Ctx) -> str:
    """What the bake saw of a version that held up."""
    seen = "no restart, readiness held"
    if ctx.spec.readiness.error_rate is None:
        return seen
    errors, total = error_counts(ctx)
    ratio = errors / total if total else 0.0
    return f"{seen}, 5xx ratio {ratio:.2f} of {total:g} responses"
