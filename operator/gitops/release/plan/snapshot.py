"""The Snapshotting step: stop the old version (Recreate), run the snapshot Job (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from gitops.release import reasons as R
from gitops.release.actions import DATA_MOUNT, Action, JobRequest, StartJob, Wait
from gitops.release.observed import job_result
from gitops.release.plan.context import Ctx, Transition, build_ensure, build_history
from gitops.release.plan.queries import stopped
from gitops.release.plan.rollback import cancel_untouched
from gitops.release.plan.sequence import advance, preflight_again
from gitops.release.spec import ReleaseSpec
from gitops.release.state import HistoryOutcome, Phase, Rollout, Snapshot


def decide_snapshotting(ctx: Ctx, rollout: Rollout) -> Transition:
    """Stop the old version (Recreate), run the snapshot Job, and go on with its result."""
    spec, observed = ctx.spec, ctx.observed
    if spec.image == rollout.from_image:
        return cancel_untouched(ctx, rollout)
    if spec.image != rollout.target_image and ctx.allowed(spec.image):
        rollout = preflight_again(spec, replace(rollout, target_image=spec.image))
    if spec.strategy == "Recreate" and not stopped(observed):
        message = R.SCALING_DOWN.message(serving=rollout.from_image)
        action = build_ensure(spec, ctx.serving, 0)
        return Transition(Phase.SNAPSHOTTING, R.SCALING_DOWN, message, action, rollout)
    job = observed.snapshot_job
    if job is None or job.outcome is None:
        message = R.SNAPSHOT_STARTED.message(
            job=rollout.snapshot_job, database=spec.snapshot.database_path
        )
        last = (ctx.status.get("lastSnapshot") or {}).get("file") or ""
        started: Action = Wait(2.0)
        if job is None:
            started = StartJob(build_snapshot_request(spec, rollout, last))
        return Transition(Phase.SNAPSHOTTING, R.SNAPSHOT_STARTED, message, started, rollout)
    result, error = job_result(job)
    if result is not None:
        return _taken(rollout, result)
    return _failed(ctx, rollout, error)


def _taken(rollout: Rollout, result: Mapping[str, Any]) -> Transition:
    """Keep the snapshot in status and move on to the next step."""
    snapshot = Snapshot.from_result(result)
    fields = snapshot.fields
    message = R.SNAPSHOT_TAKEN.message(
        file=fields["file"], size=fields["sizeBytes"], schema=fields["schemaVersion"]
    )
    rollout = advance(replace(rollout, snapshot=snapshot))
    changes = {"lastSnapshot": snapshot.to_status()}
    return Transition(rollout.phase, R.SNAPSHOT_TAKEN, message, Wait(1.0), rollout, changes)


def _failed(ctx: Ctx, rollout: Rollout, error: str) -> Transition:
    """Stop the release when a snapshot is required, else go on without one."""
    spec = ctx.spec
    if not spec.snapshot.required:
        message = R.SNAPSHOT_SKIPPED.message(error=error)
        rollout = advance(replace(rollout, snapshot=None, snapshot_error=error))
        return Transition(rollout.phase, R.SNAPSHOT_SKIPPED, message, Wait(1.0), rollout)
    changes = {
        "failedImage": rollout.target_image,
        "history": build_history(ctx, rollout, HistoryOutcome.FAILED, R.SNAPSHOT_FAILED),
    }
    message = R.SNAPSHOT_FAILED.message(error=error)
    action = build_ensure(spec, ctx.serving)  # Recreate stopped it: the old version serves again
    return Transition(Phase.FAILED, R.SNAPSHOT_FAILED, message, action, None, changes)


def build_snapshot_request(spec: ReleaseSpec, rollout: Rollout, protect: str) -> JobRequest:
    """The snapshot Job of a rollout; `protect` is the snapshot file status points to."""
    snap = spec.snapshot
    args = [
        "--database", f"{DATA_MOUNT}/{snap.database_path}",
        "--directory", f"{DATA_MOUNT}/{snap.directory}",
        "--release", spec.name,
        "--image", rollout.from_image,
        "--keep", str(snap.keep),
    ]  # fmt: skip
    if protect:
        args += ["--protect", protect]
    return JobRequest(
        name=rollout.snapshot_job,
        module="gitops.snapshot",
        args=tuple(args),
        claim_name=snap.claim_name,
        node_name=rollout.node_name,
    )
