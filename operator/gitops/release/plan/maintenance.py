"""The Restoring and Vacuuming steps: work on the database of the serving image (pure).

Each is a rollout of the serving image onto itself whose status.rollout.maintenance says the
step (gitops.release.maintenance). A step with nothing to do in the world moves straight on to
the next in the same decision; one that acts waits for the next reconcile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from gitops.api import Reason
from gitops.clock import format_time
from gitops.release import reasons as R
from gitops.release.actions import DATA_MOUNT, Action, JobRequest, StartJob, Wait
from gitops.release.backup.jobs import build_backup_request
from gitops.release.backup.refs import parse_ref
from gitops.release.maintenance import Maintenance, Step, Work
from gitops.release.observed import job_result, node_of
from gitops.release.plan.context import Ctx, Start, Transition, build_ensure
from gitops.release.plan.queries import (
    stopped,
)
from gitops.release.plan.restarting import (
    finish,
    healthy,
    last_restore,
    noun,
    start_again,
    with_work,
    work_of,
)
from gitops.release.state import Phase, Rollout

PHASES = {Work.RESTORE: Phase.RESTORING, Work.VACUUM: Phase.VACUUMING}


def begin(ctx: Ctx, work: Work, request: str, extra: Mapping[str, object]) -> Start:
    """Record the work as a rollout of the serving image; its first step runs at once."""
    first = Step.PREPARE if work is Work.RESTORE else Step.STOP
    if work is Work.VACUUM and ctx.spec.strategy != "Recreate":
        first = Step.RUN  # RollingUpdate: the app keeps serving, its writes wait on the lock
    number = int(ctx.status.get("rolloutCount") or 0) + 1
    resume = str(ctx.status.get("phase") or Phase.READY.value)
    rollout = Rollout(
        number=number,
        phase=PHASES[work],
        target_image=ctx.serving,
        from_image=ctx.serving,
        started_at=format_time(ctx.observed.now),
        node_name=node_of(ctx.observed),
        maintenance=Maintenance(work, request, first, resume=resume),
    )
    changes = {"rolloutCount": number, **extra}
    status = {**ctx.status, **changes, "rollout": rollout.to_status()}
    return Start(replace(ctx, status=status, rollout=rollout), rollout, changes)


def refuse_restore(ctx: Ctx, request: str) -> Transition | None:
    """A REF the plan can tell is wrong, or nothing to restore into: said, nothing touched."""
    offsite = ctx.spec.backup is not None and ctx.spec.backup.offsite is not None
    try:
        parse_ref(request, offsite)
    except ValueError as error:
        why = str(error)
    else:
        if ctx.serving:
            return None
        why = "nothing serves yet: a restore needs a version that became ready once"
    message = R.RESTORE_FAILED.message(file=request, error=why, next_step="nothing was changed")
    phase = Phase.parse(ctx.status.get("phase")) or Phase.READY
    ready = phase is Phase.READY and healthy(ctx)
    changes = {"lastRestore": last_restore(ctx, request, "", "Refused", message)}
    return Transition(phase, R.RESTORE_FAILED, message, Wait(60.0), None, changes, ready=ready)


def decide_restoring(ctx: Ctx, rollout: Rollout) -> Transition:
    """Prepare, stop, restore, start; put the kept database back when the app fails on it."""
    work = work_of(rollout)
    if work.step is Step.PREPARE:
        prepared = _prepare(ctx, rollout, work)
        if isinstance(prepared, Transition):
            return prepared
        rollout, work = prepared, work_of(prepared)
    if work.step in (Step.STOP, Step.RUN, Step.REVERT):
        return _offline(ctx, rollout, work)
    return start_again(ctx, rollout, work)


def decide_vacuuming(ctx: Ctx, rollout: Rollout) -> Transition:
    """(Recreate: stop), VACUUM, start."""
    work = work_of(rollout)
    if work.step in (Step.STOP, Step.RUN):
        return _offline(ctx, rollout, work)
    return start_again(ctx, rollout, work)


def _prepare(ctx: Ctx, rollout: Rollout, work: Maintenance) -> Rollout | Transition:
    """A Job resolves and checks the REF while the app serves; a refusal changes nothing."""
    name = work.job_name(ctx.spec.name, rollout.number, Step.PREPARE)
    job = ctx.observed.job(name)
    if job is None or job.outcome is None:
        action: Action = Wait(2.0)
        if job is None:
            extra = ("--ref", work.request)
            action = StartJob(
                build_backup_request(ctx.spec, "fetch", name, rollout.node_name, *extra)
            )
        message = R.RESTORE_REQUESTED.message(ref=work.request, job=name, serving=ctx.serving)
        return Transition(Phase.RESTORING, R.RESTORE_REQUESTED, message, action, rollout)
    result, error = job_result(job)
    if result is None:
        message = R.RESTORE_FAILED.message(
            file=work.request, error=error, next_step="nothing was changed"
        )
        return finish(ctx, rollout, R.RESTORE_FAILED, message, "Refused")
    return with_work(rollout, work, step=Step.STOP, file=str(result.get("file") or ""))


def _offline(ctx: Ctx, rollout: Rollout, work: Maintenance) -> Transition:
    """With the app stopped (unless the work runs online), run the step's Job."""
    spec, observed, serving = ctx.spec, ctx.observed, rollout.from_image
    if work.step in (Step.STOP, Step.REVERT) and not stopped(observed):
        message = R.STOPPING_APP.message(serving=serving, work=noun(work))
        return Transition(
            rollout.phase, R.STOPPING_APP, message, build_ensure(spec, serving, 0), rollout
        )
    step = Step.REVERT if work.step is Step.REVERT else Step.RUN
    name = work.job_name(spec.name, rollout.number, step)
    job = observed.job(name)
    if job is None or job.outcome is None:
        reason, message = _running(ctx, work, name)
        action: Action = (
            StartJob(_run_request(ctx, rollout, work, name)) if job is None else Wait(2.0)
        )
        return Transition(
            rollout.phase, reason, message, action, with_work(rollout, work, step=step)
        )
    result, error = job_result(job)
    now = format_time(observed.now)
    if result is None:
        failure = error if step is Step.RUN else f"putting {work.aside} back failed too: {error}"
        started = with_work(
            rollout, work, step=Step.START, failure=work.failure or failure, step_started_at=now
        )
        return start_again(ctx, started, work_of(started))
    moved = result.get("movedAside") or [""]
    changes: dict[str, str | Step] = {"step": Step.START, "step_started_at": now}
    if step is Step.RUN:
        changes |= {"detail": str(result.get("message") or ""), "aside": str(moved[0])}
    started = with_work(rollout, work, **changes)
    return start_again(ctx, started, work_of(started))


def _running(ctx: Ctx, work: Maintenance, job: str) -> tuple[Reason, str]:
    """The reason and message while a step's Job runs."""
    if work.work is Work.VACUUM:
        return R.VACUUM_STARTED, R.VACUUM_STARTED.message(
            job=job, database=ctx.spec.snapshot.database_path
        )
    file = work.aside if work.step is Step.REVERT else work.file
    return R.RESTORE_STARTED, R.RESTORE_STARTED.message(job=job, file=file, policy="asked for")


def _run_request(ctx: Ctx, rollout: Rollout, work: Maintenance, name: str) -> JobRequest:
    """The Job of a step: gitops.vacuum, or gitops.restore of the snapshot (or the kept one)."""
    snap = ctx.spec.snapshot
    database = ("--database", f"{DATA_MOUNT}/{snap.database_path}")
    if work.work is Work.VACUUM:
        return JobRequest(
            name, "gitops.vacuum", database, snap.claim_name, rollout.node_name, scratch=True
        )
    file, prefix = (
        (work.aside, "failed") if work.step is Step.REVERT else (work.file, "before-restore")
    )
    args = (*database, "--snapshot", f"{DATA_MOUNT}/{snap.directory}/{file}", "--mode", "Always")
    return JobRequest(
        name,
        "gitops.restore",
        (*args, "--aside-prefix", prefix),
        snap.claim_name,
        rollout.node_name,
    )
