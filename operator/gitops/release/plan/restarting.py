"""The end of a Restoring or Vacuuming rollout: the app started again, the outcome (pure)."""

from __future__ import annotations

from dataclasses import replace

from gitops.api import Reason
from gitops.clock import format_time
from gitops.release import reasons as R
from gitops.release.actions import Wait
from gitops.release.maintenance import Maintenance, Step, Work
from gitops.release.plan.context import Ctx, Transition, build_ensure
from gitops.release.plan.queries import deployment_complete, ready_count, seconds_since
from gitops.release.state import Phase, Rollout


def work_of(rollout: Rollout) -> Maintenance:
    """The rollout's maintenance (every Restoring or Vacuuming rollout has one)."""
    if rollout.maintenance is None:
        raise ValueError(f"rollout {rollout.number} in {rollout.phase} records no maintenance")
    return rollout.maintenance


def with_work(rollout: Rollout, work: Maintenance, **changes: str | Step) -> Rollout:
    """The rollout with its maintenance changed."""
    return replace(rollout, maintenance=replace(work, **changes))  # type: ignore[arg-type]


def start_again(ctx: Ctx, rollout: Rollout, work: Maintenance) -> Transition:
    """The serving image back on its replicas; the end once it is ready."""
    spec, observed, serving = ctx.spec, ctx.observed, rollout.from_image
    if deployment_complete(observed, serving, spec.replicas):
        return _outcome(ctx, rollout, work)
    timeout = spec.readiness.timeout_seconds
    if seconds_since(observed, work.step_started_at) > timeout:
        if work.work is Work.RESTORE and not work.failure and work.aside:
            reverting = with_work(
                rollout,
                work,
                step=Step.REVERT,
                failure=f"{serving} did not become ready on it within {timeout}s",
            )
            message = R.RESTORE_REVERTING.message(
                serving=serving, file=work.file, timeout=timeout, aside=work.aside
            )
            return Transition(
                rollout.phase,
                R.RESTORE_REVERTING,
                message,
                build_ensure(spec, serving, 0),
                reverting,
            )
        failure = f"{serving} did not become ready within {timeout}s after the {noun(work)}"
        return finish(
            ctx,
            rollout,
            _failed_reason(work),
            _failed_message(work, failure),
            "Failed",
            Phase.FAILED,
        )
    done = f"{noun(work)} done" if not work.failure else f"{noun(work)} failed"
    ready = ready_count(observed, serving)
    message = R.STARTING_APP.message(
        done=done, serving=serving, ready=ready, replicas=spec.replicas
    )
    return Transition(rollout.phase, R.STARTING_APP, message, build_ensure(spec, serving), rollout)


def _outcome(ctx: Ctx, rollout: Rollout, work: Maintenance) -> Transition:
    """Completed or failed, with the app ready again."""
    if work.failure:
        return finish(
            ctx, rollout, _failed_reason(work), _failed_message(work, work.failure), "Failed"
        )
    if work.work is Work.VACUUM:
        return finish(
            ctx,
            rollout,
            R.VACUUM_COMPLETED,
            R.VACUUM_COMPLETED.message(detail=work.detail),
            "Completed",
        )
    detail = f": {work.detail}" if work.detail else ""
    return finish(
        ctx,
        rollout,
        R.RESTORE_COMPLETED,
        R.RESTORE_COMPLETED.message(file=work.file, detail=detail),
        "Completed",
    )


def _failed_reason(work: Maintenance) -> Reason:
    """RestoreFailed or VacuumFailed."""
    return R.VACUUM_FAILED if work.work is Work.VACUUM else R.RESTORE_FAILED


def _failed_message(work: Maintenance, failure: str) -> str:
    """What failed, and what serves now."""
    if work.work is Work.VACUUM:
        return R.VACUUM_FAILED.message(error=failure, serving="the app")
    back = (
        f"the database kept as {work.aside} is back in place"
        if work.aside
        else "the database in use is unchanged"
    )
    return R.RESTORE_FAILED.message(file=work.file or work.request, error=failure, next_step=back)


def finish(  # noqa: PLR0913, PLR0917 - the fields of one record
    ctx: Ctx,
    rollout: Rollout,
    reason: Reason,
    message: str,
    outcome: str,
    phase: Phase | None = None,
) -> Transition:
    """Close the work: the phase it started from, the record of what happened."""
    work = work_of(rollout)
    resume = phase or Phase.parse(work.resume) or Phase.READY
    if resume.active:
        resume = Phase.READY
    ready = resume is Phase.READY and healthy(ctx)
    changes: dict[str, object] = {}
    if work.work is Work.RESTORE:
        changes["lastRestore"] = last_restore(
            ctx, work.request, work.file, outcome, message, work.aside
        )
    else:
        backup = dict(ctx.status.get("backup") or {})
        backup["lastVacuum"] = {
            "time": format_time(ctx.observed.now),
            "outcome": outcome,
            "message": message,
        }
        changes["backup"] = backup
    wait = Wait(None) if resume is Phase.FAILED else Wait(60.0)
    return Transition(resume, reason, message, wait, None, changes, ready=ready)


def last_restore(  # noqa: PLR0913, PLR0917 - the fields of one record
    ctx: Ctx, request: str, file: str, outcome: str, message: str, aside: str = ""
) -> dict[str, object]:
    """status.lastRestore."""
    return {
        "request": request,
        "file": file or None,
        "outcome": outcome,
        "message": message,
        "keptAside": aside or None,
        "finishedAt": format_time(ctx.observed.now),
    }


def healthy(ctx: Ctx) -> bool:
    """The serving version runs on all its replicas, ready."""
    return deployment_complete(ctx.observed, ctx.serving, ctx.spec.replicas)


def noun(work: Maintenance) -> str:
    """restore or VACUUM."""
    return "restore" if work.work is Work.RESTORE else "VACUUM"
