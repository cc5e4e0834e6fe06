"""The RollingOut and RollingBack steps of the Release plan (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitops.conditions import format_time
from gitops.release import facts
from gitops.release import reasons as R
from gitops.release.context import Ctx, Step
from gitops.release.model import StartJob, Wait

CANCELLED = "RolloutCancelled"


def rolling_out(ctx: Ctx) -> Step:
    """Apply the target image, then gate it: ready, failing fast, or timed out."""
    spec, observed, rollout = ctx.spec, ctx.observed, ctx.rollout
    if rollout["fromImage"] and spec.image == rollout["fromImage"]:
        cause = f"spec.image changed back to {spec.image}"
        return _begin_rollback(ctx, rollout, cause, CANCELLED)
    if spec.image != rollout["targetImage"] and ctx.allowed(spec.image):
        return _supersede(ctx, rollout)
    target = rollout["targetImage"]
    ready = facts.ready_count(observed, target)
    note = "" if rollout["fromImage"] else " (first deploy: no snapshot)"
    message = R.ROLLOUT_STARTED.message(
        image=target, ready=ready, replicas=spec.replicas, note=note
    )
    if not rollout.get("rolloutStartedAt"):
        rollout["rolloutStartedAt"] = format_time(observed.now)
        return Step("RollingOut", R.ROLLOUT_STARTED, message, facts.ensure(spec, target), rollout)
    cause = _failure_cause(ctx, target, rollout.get("rolloutStartedAt"))
    if cause:
        return _begin_rollback(ctx, rollout, cause, R.READINESS_FAILED.name)
    if facts.deployment_complete(observed, target, spec.replicas):
        return _succeeded(ctx, rollout)
    action: Any = Wait(2.0)
    if facts.drifted(spec, observed, target, spec.replicas):
        action = facts.ensure(spec, target)
    return Step("RollingOut", R.ROLLOUT_STARTED, message, action, rollout)


def _failure_cause(ctx: Ctx, image: str, since: str | None) -> str:
    """Why `image` is considered failed ('' while it may still become ready)."""
    readiness = ctx.spec.readiness
    cause = facts.fail_fast_cause(ctx.observed, image, readiness.max_restarts)
    if cause:
        return cause
    if facts.seconds_since(ctx.observed, since) > readiness.timeout_seconds:
        return f"not ready within readiness.timeoutSeconds ({readiness.timeout_seconds}s)"
    return ""


def _supersede(ctx: Ctx, rollout: dict[str, Any]) -> Step:
    """A newer spec.image replaces the target; the snapshot (taken before any new code) stays."""
    old = rollout["targetImage"]
    entry = facts.history_entry(ctx.observed, rollout, "Superseded", R.ROLLOUT_SUPERSEDED.name)
    rollout = {**rollout, "targetImage": ctx.spec.image, "rolloutStartedAt": None}
    message = R.ROLLOUT_SUPERSEDED.message(old=old, image=ctx.spec.image)
    changes = {"history": facts.prepend(ctx.status.get("history"), entry)}
    return Step("RollingOut", R.ROLLOUT_SUPERSEDED, message, Wait(1.0), rollout, changes=changes)


def _succeeded(ctx: Ctx, rollout: Mapping[str, Any]) -> Step:
    """The target is ready: it becomes the serving image."""
    target = rollout["targetImage"]
    entry = facts.history_entry(ctx.observed, rollout, "Succeeded", R.ROLLOUT_SUCCEEDED.name)
    changes = {
        "image": target,
        "previousImage": rollout["fromImage"] or ctx.status.get("previousImage"),
        "failedImage": None,
        "history": facts.prepend(ctx.status.get("history"), entry),
    }
    message = R.ROLLOUT_SUCCEEDED.message(image=target, replicas=ctx.spec.replicas)
    return Step("Ready", R.ROLLOUT_SUCCEEDED, message, Wait(60.0), None, changes, ready=True)


def _restore_wanted(ctx: Ctx, rollout: Mapping[str, Any]) -> bool:
    """Restore when the policy allows it and this rollout has a snapshot."""
    return ctx.spec.rollback.restore_database != "Never" and bool(rollout.get("snapshot"))


def _begin_rollback(ctx: Ctx, rollout: dict[str, Any], cause: str, why: str) -> Step:
    """Go back to the serving image (stopping first when a restore may follow)."""
    spec, target, previous = ctx.spec, rollout["targetImage"], rollout["fromImage"]
    if not previous or (not spec.rollback.automatic and why != CANCELLED):
        why_not = "there is no previous version" if not previous else "rollback.automatic is false"
        return _end(
            ctx,
            rollout,
            "Failed",
            R.ROLLOUT_FAILED,
            Wait(None),
            image=target,
            cause=cause,
            why=why_not,
        )
    rollout = {
        **rollout,
        "step": "RollingBack",
        "failure": {"reason": why, "message": cause},
        "rollbackStartedAt": format_time(ctx.observed.now),
    }
    replicas = 0 if _restore_wanted(ctx, rollout) else spec.replicas
    reason: R.Reason
    if why == CANCELLED:
        message = R.ROLLOUT_CANCELLED.message(
            image=previous, target=target, detail=": rolling back"
        )
        reason = R.ROLLOUT_CANCELLED
    else:
        message = R.READINESS_FAILED.message(image=target, cause=cause, previous=previous)
        reason = R.READINESS_FAILED
    return Step("RollingBack", reason, message, facts.ensure(spec, previous, replicas), rollout)


def rolling_back(ctx: Ctx) -> Step:
    """Restore the database when wanted (app stopped), then wait for the previous version."""
    rollout = ctx.rollout
    if _restore_wanted(ctx, rollout) and rollout.get("restore") is None:
        return _restoring(ctx, rollout)
    spec, observed, previous = ctx.spec, ctx.observed, rollout["fromImage"]
    if facts.deployment_complete(observed, previous, spec.replicas):
        return _rolled_back(ctx, rollout)
    if (
        facts.seconds_since(observed, rollout.get("rollbackStartedAt"))
        > spec.readiness.timeout_seconds
    ):
        message = R.ROLLBACK_FAILED.message(
            previous=previous, timeout=spec.readiness.timeout_seconds
        )
        return _end(ctx, rollout, "Failed", R.ROLLBACK_FAILED, Wait(None), message=message)
    action: Any = Wait(2.0)
    if facts.drifted(spec, observed, previous, spec.replicas):
        action = facts.ensure(spec, previous)
    return _keep(ctx, rollout, action)


def _restoring(ctx: Ctx, rollout: dict[str, Any]) -> Step:
    """Stop the app, run the restore Job, and record its result."""
    spec, observed, previous = ctx.spec, ctx.observed, rollout["fromImage"]
    if not facts.stopped(observed):
        return _keep(ctx, rollout, facts.ensure(spec, previous, 0))
    file = rollout["snapshot"]["file"]
    job = observed.restore_job
    if job is None or job.outcome is None:
        policy = spec.rollback.restore_database
        message = R.RESTORE_STARTED.message(job=rollout["restoreJob"], file=file, policy=policy)
        action: Any = StartJob(facts.restore_request(spec, rollout)) if job is None else Wait(2.0)
        return Step("RollingBack", R.RESTORE_STARTED, message, action, rollout)
    result, error = facts.job_result(job)
    if result is None:
        message = R.RESTORE_FAILED.message(file=file, error=error)
        return _end(ctx, rollout, "Failed", R.RESTORE_FAILED, Wait(None), message=message)
    rollout = {**rollout, "restore": {"restored": bool(result.get("restored")), "file": file}}
    detail = str(result.get("message") or "")
    if result.get("restored"):
        reason, message = (
            R.RESTORE_COMPLETED,
            R.RESTORE_COMPLETED.message(file=file, detail=f": {detail}" if detail else ""),
        )
    else:
        reason, message = (
            R.RESTORE_SKIPPED,
            R.RESTORE_SKIPPED.message(detail=detail or "schema unchanged"),
        )
    return Step("RollingBack", reason, message, facts.ensure(spec, previous), rollout)


def _rolled_back(ctx: Ctx, rollout: Mapping[str, Any]) -> Step:
    """The previous version serves again."""
    failure = rollout.get("failure") or {}
    previous = rollout["fromImage"]
    if failure.get("reason") == CANCELLED:
        message = R.ROLLOUT_CANCELLED.message(
            image=previous, target=rollout["targetImage"], detail=""
        )
        return _end(
            ctx, rollout, "Ready", R.ROLLOUT_CANCELLED, Wait(60.0), message=message, failed=False
        )
    restore = rollout.get("restore")
    if restore is None:
        data = f"database kept (restoreDatabase {ctx.spec.rollback.restore_database})"
        data = data if rollout.get("snapshot") else "database kept (no snapshot)"
    elif restore.get("restored"):
        data = f"database restored from {restore.get('file')}"
    else:
        data = "database kept (schema unchanged)"
    message = R.ROLLED_BACK.message(
        image=rollout["targetImage"], cause=failure.get("message", ""), previous=previous, data=data
    )
    return _end(ctx, rollout, "RolledBack", R.ROLLED_BACK, Wait(60.0), message=message)


def _keep(ctx: Ctx, rollout: Mapping[str, Any], action: Any) -> Step:
    """Stay in RollingBack with the current reason and message."""
    reason = R.BY_NAME.get(str(ctx.status.get("reason")), R.READINESS_FAILED)
    message = str(ctx.status.get("message") or "")
    return Step("RollingBack", reason, message, action, rollout)


def _end(
    ctx: Ctx,
    rollout: Mapping[str, Any],
    phase: str,
    reason: R.Reason,
    action: Any,
    *,
    message: str = "",
    failed: bool = True,
    **values: Any,
) -> Step:
    """Close the rollout: history entry, failedImage, and the final phase."""
    outcome = {"RolledBack": "RolledBack", "Ready": "Cancelled"}.get(phase, "Failed")
    entry = facts.history_entry(ctx.observed, rollout, outcome, reason.name)
    changes: dict[str, Any] = {"history": facts.prepend(ctx.status.get("history"), entry)}
    if failed:
        changes["failedImage"] = rollout["targetImage"]
    text = message or reason.message(**values)
    return Step(phase, reason, text, action, None, changes, ready=phase == "Ready")
