"""The Preflight step: the new image on a scratch copy of the database, first (pure).

A Job copies the database (the snapshot just taken, or an online copy under Recreate) into
`preflight/<pod>/` on the claim; a pod built from spec.template runs the new image with the
claim's mounts pointed at that folder, so its own start (migrations included) works on the
copy and never opens the live database; it must become ready (and pass spec.verify) within
spec.preflight.timeoutSeconds. Then the pod is deleted and a second Job reads the schema
version the image left the copy at and removes the folder. The serving version keeps serving
throughout; a failure ends the release with nothing of it touched.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from gitops.clock import format_time
from gitops.release import reasons as R
from gitops.release.actions import (
    DATA_MOUNT,
    Action,
    DeletePod,
    JobRequest,
    PodRequest,
    StartJob,
    StartPod,
    Wait,
)
from gitops.release.observed import PreflightPodView, job_result
from gitops.release.plan.context import Ctx, Transition, build_ensure, build_history
from gitops.release.plan.queries import (
    FAIL_FAST_REASONS,
    condense,
    log_excerpt,
    seconds_since,
)
from gitops.release.plan.rollback import begin_rollback, cancel_untouched
from gitops.release.plan.sequence import advance
from gitops.release.records import Outcome, Preflight, Verdict
from gitops.release.state import HistoryOutcome, Phase, Rollout

PREFLIGHT_DIR = "preflight"  # on the claim, beside the database and the snapshots
DEADLINE_MARGIN = 60  # the pod's activeDeadlineSeconds beyond the timeout
STOP_REASONS = FAIL_FAST_REASONS | {"CreateContainerConfigError", "CreateContainerError"}


def preflight_names(name: str, rollout: Rollout) -> tuple[str, str, str]:
    """The pod and the copy and clean-up Jobs of the preflight of rollout.target_image."""
    digest = hashlib.sha256(rollout.target_image.encode()).hexdigest()[:5]
    base, suffix = name[:40].rstrip("-."), f"{rollout.number}-{digest}"
    return f"{base}-preflight-{suffix}", f"{base}-pfcopy-{suffix}", f"{base}-pfclean-{suffix}"


def decide_preflight(ctx: Ctx, rollout: Rollout) -> Transition:
    """Copy, run the new image on the copy, judge it, remove pod and copy, and go on or stop."""
    spec, observed = ctx.spec, ctx.observed
    if spec.image == rollout.from_image:
        return _cancelled(ctx, rollout)
    if spec.image != rollout.target_image and ctx.allowed(spec.image):
        return _superseded(ctx, rollout)
    pod, copy, clean = preflight_names(spec.name, rollout)
    fresh = rollout.preflight_pod != pod
    if fresh:  # a new target: a preflight of its own, from the start
        rollout = replace(
            rollout,
            preflight_pod=pod,
            copy_job=copy,
            clean_job=clean,
            preflight_started_at=format_time(observed.now),
            preflight_verdict=None,
        )
    stray = [p for p in observed.preflight_pods if p.name != pod and not p.gone]
    if stray:
        return _running(ctx, rollout, DeletePod(stray[0].name))
    if fresh:  # what was observed belongs to the names before: start, and look again
        return _running(ctx, rollout, StartJob(build_copy_request(ctx, rollout)))
    if rollout.preflight_verdict is None:
        return _judge(ctx, rollout)
    return _tidy(ctx, rollout)


def _cancelled(ctx: Ctx, rollout: Rollout) -> Transition:
    """spec.image is back to the serving image: end at once, or once pod and copy are gone."""
    observed = ctx.observed
    started = observed.copy_job is not None or observed.preflight_pods
    if not started and rollout.preflight_verdict is None:
        return cancel_untouched(ctx, rollout)
    cause = f"cancelled: spec.image is back to {ctx.spec.image}"
    return _tidy(ctx, replace(rollout, preflight_verdict=Verdict(False, cause)))


def _superseded(ctx: Ctx, rollout: Rollout) -> Transition:
    """A newer spec.image: its own preflight from the start (the old pod goes as a stray)."""
    old, image = rollout.target_image, ctx.spec.image
    history = build_history(ctx, rollout, HistoryOutcome.SUPERSEDED, R.ROLLOUT_SUPERSEDED)
    rollout = replace(rollout, target_image=image, preflight_verdict=None)
    message = R.ROLLOUT_SUPERSEDED.message(old=old, image=image)
    changes = {"history": history}
    return Transition(Phase.PREFLIGHT, R.ROLLOUT_SUPERSEDED, message, Wait(0.5), rollout, changes)


def _running(ctx: Ctx, rollout: Rollout, action: Action) -> Transition:
    """Stay in Preflight while the pod runs (the reason PreflightStarted, its Event once)."""
    message = R.PREFLIGHT_STARTED.message(
        pod=rollout.preflight_pod,
        image=rollout.target_image,
        timeout=ctx.spec.preflight.timeout_seconds,
        serving=rollout.from_image,
    )
    return Transition(Phase.PREFLIGHT, R.PREFLIGHT_STARTED, message, action, rollout)


def _judge(ctx: Ctx, rollout: Rollout) -> Transition:
    """Copy the database, start the pod, and watch it until it is ready or has failed."""
    observed = ctx.observed
    copy = observed.copy_job
    if copy is None or copy.outcome is None:
        started = StartJob(build_copy_request(ctx, rollout)) if copy is None else Wait(2.0)
        return _running(ctx, rollout, started)
    result, error = job_result(copy)
    if result is None:
        cause = f"the database could not be copied for it: {error}"
        return _tidy(ctx, replace(rollout, preflight_verdict=Verdict(False, cause)))
    pod = next((p for p in observed.preflight_pods if p.name == rollout.preflight_pod), None)
    if pod is None:
        return _running(ctx, rollout, StartPod(build_pod_request(ctx, rollout)))
    verdict = _verdict(ctx, rollout, pod)
    if verdict is None:
        return _running(ctx, rollout, Wait(2.0))
    return _tidy(ctx, replace(rollout, preflight_verdict=verdict))


def _verdict(ctx: Ctx, rollout: Rollout, pod: PreflightPodView) -> Verdict | None:
    """Passed, failed, or not known yet (None) for the preflight pod."""
    spec, observed = ctx.spec, ctx.observed
    if pod.terminated:
        ended = condense(pod.message)
        return Verdict(False, f"its container ended: {ended}{log_excerpt(pod, pod.message)}")
    if pod.waiting_reason in STOP_REASONS:
        return Verdict(False, f"its container is in {pod.waiting_reason}{log_excerpt(pod)}")
    if pod.ready:
        check = observed.checks.get(pod.name)
        if not spec.verify:
            return Verdict(True, "ready")
        if check is not None and check.passed is not None:
            detail = "ready, smoke checks passed" if check.passed else f"smoke check {check.detail}"
            return Verdict(check.passed, detail)
    timeout = spec.preflight.timeout_seconds
    if seconds_since(observed, rollout.preflight_started_at) > timeout:
        cause = f"not ready within spec.preflight.timeoutSeconds ({timeout}s)"
        return Verdict(False, cause + log_excerpt(pod))
    return None


def _tidy(ctx: Ctx, rollout: Rollout) -> Transition:
    """Delete the pod, remove the copy (reading its schema version), then record the outcome."""
    observed = ctx.observed
    pod = next((p for p in observed.preflight_pods if p.name == rollout.preflight_pod), None)
    if pod is not None:
        return _running(ctx, rollout, Wait(1.0) if pod.gone else DeletePod(pod.name))
    clean = observed.clean_job
    if clean is None or clean.outcome is None:
        action = StartJob(build_clean_request(ctx, rollout)) if clean is None else Wait(1.0)
        return _running(ctx, rollout, action)
    result, error = job_result(clean)
    schema = (result or {}).get("schemaVersion")
    verdict = rollout.preflight_verdict or Verdict(False, "no verdict")
    note = "" if result is not None else f" (its copy could not be removed: {error})"
    record = Preflight(
        Outcome.PASSED if verdict.passed else Outcome.FAILED,
        rollout.target_image,
        schema if isinstance(schema, int) else None,
        round(seconds_since(observed, rollout.preflight_started_at), 1),
        verdict.message + note,
    )
    if ctx.spec.image == rollout.from_image:  # cancelled while it ran: its copy is gone now
        return cancel_untouched(ctx, replace(rollout, preflight_verdict=None))
    rollout = replace(rollout, preflight=record, preflight_verdict=None)
    if verdict.passed:
        return _passed(rollout, record)
    return _failed(ctx, rollout, record)


def _passed(rollout: Rollout, record: Preflight) -> Transition:
    """Go on to the next step."""
    before = rollout.snapshot.schema_version if rollout.snapshot else None
    detail = f", schema version {record.schema_version}"
    if before is not None and before != record.schema_version:
        detail = f", schema version {before} -> {record.schema_version}"
    detail += f" ({record.message})"
    message = R.PREFLIGHT_PASSED.message(
        image=record.image, seconds=record.duration_seconds, detail=detail
    )
    rollout = advance(rollout)
    changes = {"preflight": record.to_status()}
    return Transition(rollout.phase, R.PREFLIGHT_PASSED, message, Wait(0.5), rollout, changes)


def _failed(ctx: Ctx, rollout: Rollout, record: Preflight) -> Transition:
    """Stop the release: failedImage set, the serving version as it was (or rolled back to)."""
    changes: dict[str, Any] = {"preflight": record.to_status()}
    deployment = ctx.observed.deployment
    if deployment is not None and deployment.image != rollout.from_image:
        # a superseded target already ran on the live database: back to the serving version
        back = begin_rollback(ctx, rollout, record.message, R.PREFLIGHT_FAILED)
        return replace(back, changes={**back.changes, **changes})
    next_step = f"{ctx.serving} keeps serving, its database untouched; {R.RETRY_HINT}"
    message = R.PREFLIGHT_FAILED.message(
        image=record.image, cause=record.message, next_step=next_step
    )
    history = build_history(ctx, rollout, HistoryOutcome.FAILED, R.PREFLIGHT_FAILED)
    changes |= {"failedImage": rollout.target_image, "history": history}
    action = build_ensure(ctx.spec, ctx.serving)  # Recreate may have stopped it for a snapshot
    return Transition(Phase.FAILED, R.PREFLIGHT_FAILED, message, action, None, changes)


def _folder(rollout: Rollout) -> str:
    """The preflight's folder on the claim."""
    return f"{PREFLIGHT_DIR}/{rollout.preflight_pod}"


def build_pod_request(ctx: Ctx, rollout: Rollout) -> PodRequest:
    """The preflight pod: the target image on the copy, on the app's node."""
    return PodRequest(
        name=rollout.preflight_pod,
        image=rollout.target_image,
        folder=_folder(rollout),
        node_name=rollout.node_name,
        deadline_seconds=ctx.spec.preflight.timeout_seconds + DEADLINE_MARGIN,
    )


def build_copy_request(ctx: Ctx, rollout: Rollout) -> JobRequest:
    """The Job that copies the snapshot (or, without one, the live database online)."""
    snap = ctx.spec.snapshot
    source = f"{DATA_MOUNT}/{snap.database_path}"
    if rollout.snapshot is not None:
        source = f"{DATA_MOUNT}/{snap.directory}/{rollout.snapshot.file}"
    args = (
        "copy", "--source", source,
        "--target", f"{DATA_MOUNT}/{_folder(rollout)}/{snap.database_path}",
        "--root", f"{DATA_MOUNT}/{PREFLIGHT_DIR}",
        "--prefix", rollout.preflight_pod.rsplit("-", 2)[0] + "-",
    )  # fmt: skip
    return _job(ctx, rollout, rollout.copy_job, "preflight-copy", args)


def build_clean_request(ctx: Ctx, rollout: Rollout) -> JobRequest:
    """The Job that reads the copy's schema version and removes the preflight's folder."""
    folder = f"{DATA_MOUNT}/{_folder(rollout)}"
    args = (
        "clean",
        "--folder",
        folder,
        "--database",
        f"{folder}/{ctx.spec.snapshot.database_path}",
    )
    return _job(ctx, rollout, rollout.clean_job, "preflight-clean", args)


def _job(ctx: Ctx, rollout: Rollout, name: str, kind: str, args: tuple[str, ...]) -> JobRequest:
    """A Job of the preflight, on the app's node."""
    return JobRequest(
        name=name,
        module="gitops.preflight",
        args=args,
        claim_name=ctx.spec.snapshot.claim_name,
        node_name=rollout.node_name,
        kind=kind,
    )
