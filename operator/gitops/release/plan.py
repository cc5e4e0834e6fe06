"""The Release plan: (spec, status, observed) -> Decision, a dispatcher over pure steps.

Contract for the runtime (observe/act/handlers):
- Call `decide` once per reconcile; execute `decision.action` (idempotent: EnsureDeployment
  applies the Deployment, StartJob creates a Job whose name is deterministic, a 409 is success),
  write `decision.status` as the whole status (keys set to None must be removed/nulled), emit
  `decision.event` if any, and requeue after `action.requeue_after` seconds.
- Observe the Jobs named in status.rollout.snapshotJob / status.rollout.restoreJob.
- An invalid spec (SpecError from ReleaseSpec.from_dict) goes to `decide_invalid` instead.

Behaviour worth knowing:
- First deploy (status.image empty): nothing to snapshot or roll back to; the image is rolled
  out and gated; on failure the phase is Failed and the Deployment is left as it is.
- Recreate scales the serving version to 0 before the snapshot (quiescent copy); RollingUpdate
  snapshots online while it serves.
- spec.paused stops new rollouts only; a rollout or rollback in flight completes.
- A `failedImage` is not rolled out again while spec.image equals it, unless the retry
  annotation carries a value not yet seen (status.retryToken).
- restoreDatabase IfSchemaChanged is decided by the restore Job itself: it compares the
  snapshot's schemaVersion with `PRAGMA user_version` of the current database and only restores
  when they differ (its result says restored true/false).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from gitops.conditions import format_time
from gitops.release import facts
from gitops.release import reasons as R
from gitops.release.context import Ctx, Step
from gitops.release.model import Decision, Observed, ReleaseSpec, SpecError, StartJob, Wait
from gitops.release.rollout_steps import rolling_back, rolling_out
from gitops.release.status import finish, finish_invalid


def decide(spec: ReleaseSpec, status: Mapping[str, Any] | None, observed: Observed) -> Decision:
    """Decide the next action and the next status for one Release."""
    ctx = Ctx(spec, status or {}, observed)
    step = STEPS.get(str(ctx.rollout.get("step")), _idle)(ctx)
    return finish(ctx.spec, ctx.status, ctx.observed, step)


def decide_invalid(
    error: SpecError, status: Mapping[str, Any] | None, *, now: datetime, generation: int
) -> Decision:
    """Failed with a message naming the field; nothing in the cluster is touched."""
    return finish_invalid(error, status or {}, now=now, generation=generation)


# idle: nothing in flight


def _idle(ctx: Ctx) -> Step:
    """Keep the serving version, or start a rollout of spec.image."""
    spec, serving = ctx.spec, ctx.serving
    if spec.image == serving:
        return _steady(ctx)
    if not ctx.allowed(spec.image):
        phase = str(ctx.status.get("phase"))
        phase = phase if phase in ("RolledBack", "Failed") else "Failed"
        return _hold(ctx, phase, R.FAILED_IMAGE_HELD.message(image=spec.image), R.FAILED_IMAGE_HELD)
    if spec.paused:
        message = R.PAUSED.message(image=spec.image, serving=serving or "nothing")
        return _hold(ctx, "Paused", message, R.PAUSED)
    if not ctx.observed.pvc_exists:
        message = R.CLAIM_NOT_FOUND.message(claim=spec.snapshot.claim_name)
        return Step("Pending", R.CLAIM_NOT_FOUND, message, Wait(30.0), rollout=None)
    return _start(ctx)


def _steady(ctx: Ctx) -> Step:
    """spec.image is serving: keep the Deployment in shape and report its health."""
    spec, observed, serving = ctx.spec, ctx.observed, ctx.serving
    healthy = facts.deployment_complete(observed, serving, spec.replicas)
    if healthy:
        reason, message = R.AVAILABLE, R.AVAILABLE.message(image=serving)
    else:
        ready = facts.ready_count(observed, serving)
        reason = R.UNAVAILABLE
        message = reason.message(image=serving, ready=ready, replicas=spec.replicas)
    step = _hold(ctx, "Ready", message, reason)
    return replace(step, ready=healthy)


def _hold(ctx: Ctx, phase: str, message: str, reason: R.Reason) -> Step:
    """Serve what serves (repairing drift), changing nothing else."""
    spec, serving = ctx.spec, ctx.serving
    action: Any = Wait(60.0)
    if serving and facts.drifted(spec, ctx.observed, serving, spec.replicas):
        action = facts.ensure(spec, serving)
    return Step(phase, reason, message, action, rollout=None, sticky=True)


def _start(ctx: Ctx) -> Step:
    """Record a new rollout, then take its first step at once."""
    spec, observed = ctx.spec, ctx.observed
    number = int(ctx.status.get("rolloutCount") or 0) + 1
    first = not ctx.serving
    rollout = {
        "number": number,
        "step": "RollingOut" if first else "Snapshotting",
        "targetImage": spec.image,
        "fromImage": ctx.serving,
        "startedAt": format_time(observed.now),
        "nodeName": facts.node_of(observed),
        "snapshotJob": "" if first else facts.job_name(spec, "snapshot", number),
        "restoreJob": "" if first else facts.job_name(spec, "restore", number),
        "snapshot": None,
    }
    status = {
        **ctx.status,
        "rollout": rollout,
        "rolloutCount": number,
        "retryToken": spec.retry_token,
        "failedImage": None,
    }
    step = STEPS[str(rollout["step"])](replace(ctx, status=status))
    changes = {"rolloutCount": number, "retryToken": spec.retry_token, "failedImage": None}
    return replace(step, changes={**changes, **step.changes})


# Snapshotting


def _snapshotting(ctx: Ctx) -> Step:
    """Stop the old version (Recreate), run the snapshot Job, record its result."""
    spec, observed, rollout = ctx.spec, ctx.observed, ctx.rollout
    if spec.image == rollout["fromImage"]:
        return _cancel_before_rollout(ctx)
    if spec.image != rollout["targetImage"] and ctx.allowed(spec.image):
        rollout["targetImage"] = spec.image
    if spec.strategy == "Recreate" and not facts.stopped(observed):
        message = R.SCALING_DOWN.message(serving=rollout["fromImage"])
        return Step(
            "Snapshotting", R.SCALING_DOWN, message, facts.ensure(spec, ctx.serving, 0), rollout
        )
    job = observed.snapshot_job
    if job is None or job.outcome is None:
        message = R.SNAPSHOT_STARTED.message(
            job=rollout["snapshotJob"], database=spec.snapshot.database_path
        )
        last = (ctx.status.get("lastSnapshot") or {}).get("file") or ""
        action: Any = Wait(2.0)
        if job is None:
            action = StartJob(facts.snapshot_request(spec, rollout, last))
        return Step("Snapshotting", R.SNAPSHOT_STARTED, message, action, rollout)
    result, error = facts.job_result(job)
    if result is not None:
        return _snapshot_taken(ctx, rollout, result)
    return _snapshot_failed(ctx, rollout, error)


def _snapshot_taken(ctx: Ctx, rollout: dict[str, Any], result: Mapping[str, Any]) -> Step:
    """Keep the snapshot in status and move on to the rollout."""
    summary = facts.snapshot_summary(result)
    rollout = {**rollout, "snapshot": summary, "step": "RollingOut"}
    message = R.SNAPSHOT_TAKEN.message(
        file=summary["file"], size=summary["sizeBytes"], schema=summary["schemaVersion"]
    )
    return Step(
        "RollingOut",
        R.SNAPSHOT_TAKEN,
        message,
        Wait(1.0),
        rollout,
        changes={"lastSnapshot": summary},
    )


def _snapshot_failed(ctx: Ctx, rollout: dict[str, Any], error: str) -> Step:
    """Stop the release when a snapshot is required, else go on without one."""
    spec = ctx.spec
    if not spec.snapshot.required:
        rollout = {**rollout, "snapshot": None, "step": "RollingOut", "snapshotError": error}
        return Step(
            "RollingOut",
            R.SNAPSHOT_SKIPPED,
            R.SNAPSHOT_SKIPPED.message(error=error),
            Wait(1.0),
            rollout,
        )
    entry = facts.history_entry(ctx.observed, rollout, "Failed", R.SNAPSHOT_FAILED.name)
    changes = {
        "failedImage": rollout["targetImage"],
        "history": facts.prepend(ctx.status.get("history"), entry),
    }
    message = R.SNAPSHOT_FAILED.message(error=error)
    action = facts.ensure(spec, ctx.serving)  # Recreate stopped it: the old version serves again
    return Step("Failed", R.SNAPSHOT_FAILED, message, action, None, changes=changes)


def _cancel_before_rollout(ctx: Ctx) -> Step:
    """spec.image went back to the serving image before anything was rolled out."""
    rollout = ctx.rollout
    entry = facts.history_entry(ctx.observed, rollout, "Cancelled", R.ROLLOUT_CANCELLED.name)
    message = R.ROLLOUT_CANCELLED.message(
        image=ctx.serving, target=rollout["targetImage"], detail=""
    )
    changes = {"history": facts.prepend(ctx.status.get("history"), entry)}
    action = facts.ensure(ctx.spec, ctx.serving)
    return Step("Ready", R.ROLLOUT_CANCELLED, message, action, None, changes=changes)


STEPS: dict[str, Callable[[Ctx], Step]] = {
    "Snapshotting": _snapshotting,
    "RollingOut": rolling_out,
    "RollingBack": rolling_back,
}
