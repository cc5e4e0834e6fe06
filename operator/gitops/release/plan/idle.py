"""The idle step: nothing in flight. Keep what serves, hold a new image, or start (pure)."""

from __future__ import annotations

from dataclasses import replace

from gitops.api import Reason
from gitops.clock import format_time, parse_time
from gitops.release import reasons as R
from gitops.release.actions import Action, DeletePod, Wait
from gitops.release.backup.jobs import backup_running
from gitops.release.maintenance import Work
from gitops.release.observed import node_of
from gitops.release.plan.context import Ctx, Start, Transition, build_ensure
from gitops.release.plan.health import decide_health
from gitops.release.plan.maintenance import begin, refuse_restore
from gitops.release.plan.queries import deployment_complete, drifted
from gitops.release.plan.sequence import build_steps
from gitops.release.spec import ReleaseSpec
from gitops.release.state import Phase, Rollout


def decide_idle(ctx: Ctx) -> Transition | Start:
    """Restore on request, keep the serving version (VACUUM when due), hold or start."""
    spec, serving = ctx.spec, ctx.serving
    busy = backup_running(ctx.status)
    request = restore_requested(ctx)
    if request and not busy:
        return _take_restore(ctx, request)
    if spec.image == serving:
        slot = _vacuum_due(ctx)
        return (
            begin(ctx, Work.VACUUM, slot, _vacuum_ran(ctx)) if slot and not busy else _steady(ctx)
        )
    held = _held(ctx)
    if held is not None:
        return held
    if busy:
        message = R.WAITING_FOR_BACKUP.message(image=spec.image, job=busy)
        phase = Phase.parse(ctx.status.get("phase")) or Phase.READY
        waiting = _hold(ctx, phase, R.WAITING_FOR_BACKUP, message)
        healthy = deployment_complete(ctx.observed, serving, spec.replicas)
        return replace(waiting, ready=phase is Phase.READY and healthy)
    return _start(ctx)


def _held(ctx: Ctx) -> Transition | None:
    """Why a new spec.image does not start now: a failed image, paused, no claim (None: it may)."""
    spec = ctx.spec
    if not ctx.allowed(spec.image):
        phase = Phase.parse(ctx.status.get("phase"))
        held = phase if phase in (Phase.ROLLED_BACK, Phase.FAILED) else Phase.FAILED
        return _hold(ctx, held, R.FAILED_IMAGE_HELD, R.FAILED_IMAGE_HELD.message(image=spec.image))
    if spec.paused:
        message = R.PAUSED.message(image=spec.image, serving=ctx.serving or "nothing")
        return _hold(ctx, Phase.PAUSED, R.PAUSED, message)
    if not ctx.observed.pvc_exists:
        message = R.CLAIM_NOT_FOUND.message(claim=spec.snapshot.claim_name)
        return Transition(Phase.PENDING, R.CLAIM_NOT_FOUND, message, Wait(30.0), rollout=None)
    return None


def restore_requested(ctx: Ctx) -> str:
    """The REF of the restore annotation when it was not taken up yet ('' otherwise)."""
    request = ctx.spec.restore_request
    return request if request and request != ctx.status.get("restoreTaken") else ""


def _take_restore(ctx: Ctx, request: str) -> Transition | Start:
    """Start the restore, or refuse a REF that cannot be; either way it is taken up."""
    taken = {"restoreTaken": request}
    refused = refuse_restore(ctx, request)
    if refused is not None:
        return replace(refused, changes={**refused.changes, **taken})
    return begin(ctx, Work.RESTORE, request, taken)


def _vacuum_due(ctx: Ctx) -> str:
    """The slot of spec.backup.vacuum to run now ('' when none is due)."""
    cron = ctx.spec.backup.vacuum if ctx.spec.backup else None
    anchors = (ctx.status.get("backup") or {}).get("anchors") or {}
    slot = cron.due(parse_time(anchors.get("vacuum")), ctx.observed.now) if cron else None
    return format_time(slot) if slot else ""


def _vacuum_ran(ctx: Ctx) -> dict[str, object]:
    """status.backup with the vacuum schedule's last run now."""
    backup = dict(ctx.status.get("backup") or {})
    backup["anchors"] = {**(backup.get("anchors") or {}), "vacuum": format_time(ctx.observed.now)}
    return {"backup": backup}


def _steady(ctx: Ctx) -> Transition:
    """spec.image is serving: keep the Deployment in shape and watch its health."""
    hold = _hold(ctx, Phase.READY, R.AVAILABLE, R.AVAILABLE.message(image=ctx.serving))
    return decide_health(ctx, hold)


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
