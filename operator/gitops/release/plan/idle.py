"""The idle step: nothing in flight. Keep what serves, hold a new image, or start (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from gitops.api import Reason
from gitops.clock import format_time
from gitops.release import reasons as R
from gitops.release.actions import Action, DeletePod, Wait
from gitops.release.plan.context import Ctx, Transition, build_ensure
from gitops.release.plan.queries import deployment_complete, drifted, node_of, ready_count
from gitops.release.plan.sequence import build_steps
from gitops.release.spec import ReleaseSpec
from gitops.release.state import Phase, Rollout


@dataclass(frozen=True)
class Start:
    """A rollout just recorded: its first step runs at once, on `ctx` (which holds it)."""

    ctx: Ctx
    rollout: Rollout
    changes: Mapping[str, Any]


def decide_idle(ctx: Ctx) -> Transition | Start:
    """Keep the serving version, hold spec.image back, or start a rollout of it."""
    spec, serving = ctx.spec, ctx.serving
    if spec.image == serving:
        return _steady(ctx)
    if not ctx.allowed(spec.image):
        phase = Phase.parse(ctx.status.get("phase"))
        held = phase if phase in (Phase.ROLLED_BACK, Phase.FAILED) else Phase.FAILED
        return _hold(ctx, held, R.FAILED_IMAGE_HELD, R.FAILED_IMAGE_HELD.message(image=spec.image))
    if spec.paused:
        message = R.PAUSED.message(image=spec.image, serving=serving or "nothing")
        return _hold(ctx, Phase.PAUSED, R.PAUSED, message)
    if not ctx.observed.pvc_exists:
        message = R.CLAIM_NOT_FOUND.message(claim=spec.snapshot.claim_name)
        return Transition(Phase.PENDING, R.CLAIM_NOT_FOUND, message, Wait(30.0), rollout=None)
    return _start(ctx)


def _steady(ctx: Ctx) -> Transition:
    """spec.image is serving: keep the Deployment in shape and report its health."""
    spec, observed, serving = ctx.spec, ctx.observed, ctx.serving
    healthy = deployment_complete(observed, serving, spec.replicas)
    if healthy:
        reason, message = R.AVAILABLE, R.AVAILABLE.message(image=serving)
    else:
        ready = ready_count(observed, serving)
        reason = R.UNAVAILABLE
        message = reason.message(image=serving, ready=ready, replicas=spec.replicas)
    return replace(_hold(ctx, Phase.READY, reason, message), ready=healthy)


def _hold(ctx: Ctx, phase: Phase, reason: Reason, message: str) -> Transition:
    """Serve what serves (repairing drift), changing nothing else."""
    spec, serving = ctx.spec, ctx.serving
    action: Action = Wait(60.0)
    left = [pod for pod in ctx.observed.preflight_pods if not pod.gone]
    if serving and drifted(spec, ctx.observed, serving, spec.replicas):
        action = build_ensure(spec, serving)
    elif left:  # a cancelled preflight's pod
        action = DeletePod(left[0].name)
    return Transition(phase, reason, message, action, rollout=None, sticky=True)


def _start(ctx: Ctx) -> Start:
    """Record a new rollout; a first deploy has nothing to snapshot."""
    spec, observed = ctx.spec, ctx.observed
    number = int(ctx.status.get("rolloutCount") or 0) + 1
    first = not ctx.serving
    steps = build_steps(spec, first)
    rollout = Rollout(
        number=number,
        phase=steps[0],
        steps=steps[1:],
        target_image=spec.image,
        from_image=ctx.serving,
        started_at=format_time(observed.now),
        node_name=node_of(observed),
        snapshot_job="" if first else build_job_name(spec, "snapshot", number),
        restore_job="" if first else build_job_name(spec, "restore", number),
    )
    changes = {"rolloutCount": number, "retryToken": spec.retry_token, "failedImage": None}
    status = {**ctx.status, **changes, "rollout": rollout.to_status()}
    return Start(replace(ctx, status=status, rollout=rollout), rollout, changes)


def build_job_name(spec: ReleaseSpec, kind: str, number: int) -> str:
    """Deterministic Job name, so a restarted operator finds the Job it started (<= 63 chars)."""
    return f"{spec.name[:40].rstrip('-.')}-{kind}-{number}"
