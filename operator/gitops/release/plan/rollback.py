"""The RollingBack step: the previous version back, the snapshot restored when wanted (pure)."""

from __future__ import annotations

from dataclasses import replace

from gitops.api import Reason
from gitops.clock import format_time
from gitops.release import reasons as R
from gitops.release.actions import DATA_MOUNT, Action, JobRequest, StartJob, Wait
from gitops.release.observed import job_result
from gitops.release.plan.context import Ctx, Transition, build_ensure, build_history
from gitops.release.plan.queries import (
    deployment_complete,
    drifted,
    seconds_since,
    stopped,
)
from gitops.release.records import Outcome
from gitops.release.spec import ReleaseSpec
from gitops.release.state import Failure, HistoryOutcome, Phase, Restore, Rollout


def begin_rollback(ctx: Ctx, rollout: Rollout, cause: str, reason: Reason) -> Transition:
    """Go back to the serving image (stopping first when a restore may follow).

    `reason` says why: a failure of the new version, or RolloutCancelled when spec.image went
    back to the serving image (which rolls back even when rollback.automatic is false).
    """
    spec, target, previous = ctx.spec, rollout.target_image, rollout.from_image
    cancelled = reason is R.ROLLOUT_CANCELLED
    if not previous or (not spec.rollback.automatic and not cancelled):
        why_not = "there is no previous version" if not previous else "rollback.automatic is false"
        next_step = f"not rolled back: {why_not}; {R.RETRY_HINT}"
        message = reason.message(image=target, cause=cause, next_step=next_step)
        return close(ctx, rollout, Phase.FAILED, reason, message)
    rollout = replace(
        rollout,
        phase=Phase.ROLLING_BACK,
        failure=Failure(reason.name, cause),
        rollback_started_at=format_time(ctx.observed.now),
    )
    replicas = 0 if _restore_wanted(ctx, rollout) else spec.replicas
    if cancelled:
        message = R.ROLLOUT_CANCELLED.message(
            image=previous, target=target, detail=": rolling back"
        )
    else:
        next_step = f"rolling back to {previous}"
        message = reason.message(image=target, cause=cause, next_step=next_step)
    action = build_ensure(spec, previous, replicas)
    return Transition(Phase.ROLLING_BACK, reason, message, action, rollout)


def decide_rolling_back(ctx: Ctx, rollout: Rollout) -> Transition:
    """Restore the database when wanted (app stopped), then wait for the previous version."""
    if _restore_wanted(ctx, rollout) and rollout.restore is None:
        return _restoring(ctx, rollout)
    spec, observed, previous = ctx.spec, ctx.observed, rollout.from_image
    if deployment_complete(observed, previous, spec.replicas):
        return _rolled_back(ctx, rollout)
    timeout = spec.readiness.timeout_seconds
    if seconds_since(observed, rollout.rollback_started_at) > timeout:
        message = R.ROLLBACK_FAILED.message(previous=previous, timeout=timeout)
        return close(ctx, rollout, Phase.FAILED, R.ROLLBACK_FAILED, message)
    action: Action = Wait(2.0)
    if drifted(spec, observed, previous, spec.replicas):
        action = build_ensure(spec, previous)
    return _keep(ctx, rollout, action)


def _restore_wanted(ctx: Ctx, rollout: Rollout) -> bool:
    """Restore when the policy allows it, this rollout has a snapshot, and (IfSchemaChanged)
    the schema may have changed: not when the preflight showed the failed image leaves it."""
    policy, snapshot = ctx.spec.rollback.restore_database, rollout.snapshot
    if policy == "Never" or snapshot is None:
        return False
    return policy == "Always" or schema_left_as_is(rollout) is None


def schema_left_as_is(rollout: Rollout) -> int | None:
    """The schema version the preflight showed the target leaves unchanged (None: not known).

    Only for a target that passed its preflight and was the only new image to run on the
    live database (no superseded one before it).
    """
    preflight, snapshot = rollout.preflight, rollout.snapshot
    if preflight is None or snapshot is None or rollout.mixed:
        return None
    if preflight.image != rollout.target_image or preflight.outcome is not Outcome.PASSED:
        return None
    version = snapshot.schema_version
    return version if version is not None and version == preflight.schema_version else None


def _restoring(ctx: Ctx, rollout: Rollout) -> Transition:
    """Stop the app, run the restore Job, and record its result.

    A restore Job that has ended ran with the app stopped (it is started only then): its result
    is taken as it is, so an operator restarted after it started the app again but before the
    status said so does not stop the app a second time.
    """
    spec, observed, previous = ctx.spec, ctx.observed, rollout.from_image
    file = rollout.snapshot.file if rollout.snapshot else ""
    job = observed.restore_job
    ended = job is not None and job.outcome is not None
    if not ended and not stopped(observed):
        return _keep(ctx, rollout, build_ensure(spec, previous, 0))
    if job is None or job.outcome is None:
        policy = spec.rollback.restore_database
        message = R.RESTORE_STARTED.message(job=rollout.restore_job, file=file, policy=policy)
        action: Action = Wait(2.0)
        if job is None:
            action = StartJob(build_restore_request(spec, rollout))
        return Transition(Phase.ROLLING_BACK, R.RESTORE_STARTED, message, action, rollout)
    result, error = job_result(job)
    if result is None:
        hand = R.ROLLBACK_RESTORE_HAND
        message = R.RESTORE_FAILED.message(file=file, error=error, next_step=hand)
        return close(ctx, rollout, Phase.FAILED, R.RESTORE_FAILED, message)
    restored = bool(result.get("restored"))
    # The previous version starts again now: its readiness window starts with it, so the time
    # the app was stopped for the restore does not count against it.
    started = format_time(ctx.observed.now)
    rollout = replace(rollout, restore=Restore(restored, file), rollback_started_at=started)
    detail = str(result.get("message") or "")
    if restored:
        reason = R.RESTORE_COMPLETED
        message = reason.message(file=file, detail=f": {detail}" if detail else "")
    else:
        reason = R.RESTORE_SKIPPED
        message = reason.message(detail=detail or "schema unchanged")
    return Transition(Phase.ROLLING_BACK, reason, message, build_ensure(spec, previous), rollout)


def _rolled_back(ctx: Ctx, rollout: Rollout) -> Transition:
    """The previous version serves again."""
    failure = rollout.failure or Failure("", "")
    previous = rollout.from_image
    if failure.reason == R.ROLLOUT_CANCELLED.name:
        message = R.ROLLOUT_CANCELLED.message(
            image=previous, target=rollout.target_image, detail=""
        )
        return close(ctx, rollout, Phase.READY, R.ROLLOUT_CANCELLED, message)
    restore, unchanged = rollout.restore, schema_left_as_is(rollout)
    if restore is None:
        data = f"database kept (restoreDatabase {ctx.spec.rollback.restore_database})"
        if unchanged is not None and ctx.spec.rollback.restore_database != "Never":
            data = f"database kept (the preflight left the schema at version {unchanged})"
        data = data if rollout.snapshot else "database kept (no snapshot)"
    elif restore.restored:
        data = f"database restored from {restore.file}"
    else:
        data = "database kept (schema unchanged)"
    message = R.ROLLED_BACK.message(
        image=rollout.target_image, cause=failure.message, previous=previous, data=data
    )
    return close(ctx, rollout, Phase.ROLLED_BACK, R.ROLLED_BACK, message)


def _keep(ctx: Ctx, rollout: Rollout, action: Action) -> Transition:
    """Stay in RollingBack with the current reason and message."""
    reason = R.BY_NAME.get(str(ctx.status.get("reason")), R.READINESS_FAILED)
    message = str(ctx.status.get("message") or "")
    return Transition(Phase.ROLLING_BACK, reason, message, action, rollout)


def cancel_untouched(ctx: Ctx, rollout: Rollout) -> Transition:
    """spec.image went back to the serving image before anything was rolled out."""
    message = R.ROLLOUT_CANCELLED.message(image=ctx.serving, target=rollout.target_image, detail="")
    history = build_history(ctx, rollout, HistoryOutcome.CANCELLED, R.ROLLOUT_CANCELLED)
    action = build_ensure(ctx.spec, ctx.serving)
    changes = {"history": history}
    return Transition(Phase.READY, R.ROLLOUT_CANCELLED, message, action, None, changes)


OUTCOMES = {Phase.ROLLED_BACK: HistoryOutcome.ROLLED_BACK, Phase.READY: HistoryOutcome.CANCELLED}


def close(ctx: Ctx, rollout: Rollout, phase: Phase, reason: Reason, message: str) -> Transition:
    """End the rollout in a final phase: its history entry, and failedImage unless Ready."""
    outcome = OUTCOMES.get(phase, HistoryOutcome.FAILED)
    changes: dict[str, object] = {"history": build_history(ctx, rollout, outcome, reason)}
    if phase is not Phase.READY:  # a cancelled rollout ends Ready: its image did not fail
        changes["failedImage"] = rollout.target_image
    wait = Wait(None) if phase is Phase.FAILED else Wait(60.0)
    return Transition(phase, reason, message, wait, None, changes, ready=phase is Phase.READY)


def build_restore_request(spec: ReleaseSpec, rollout: Rollout) -> JobRequest:
    """The restore Job of a rollback: the Job itself compares schema versions when asked to."""
    snap = spec.snapshot
    file = rollout.snapshot.file if rollout.snapshot else ""
    args = (
        "--database", f"{DATA_MOUNT}/{snap.database_path}",
        "--snapshot", f"{DATA_MOUNT}/{snap.directory}/{file}",
        "--mode", spec.rollback.restore_database,
    )  # fmt: skip
    return JobRequest(
        name=rollout.restore_job,
        module="gitops.restore",
        args=args,
        claim_name=snap.claim_name,
        node_name=rollout.node_name,
    )
