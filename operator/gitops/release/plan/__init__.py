"""The Release plan: (spec, status, observed) -> Decision, a dispatcher over pure steps.

One step per active phase (STEPS), and the idle step when nothing is in flight. A step looks
at a Ctx and returns a Transition; `status.build_decision` turns it into the whole next
status, its conditions and its Event.

Contract for the runtime (observe/act/reconcile):
- Call `decide` once per reconcile; execute `decision.action` (idempotent: EnsureDeployment
  applies the Deployment, StartJob creates a Job whose name is deterministic, a 409 is success),
  write `decision.status` as the whole status (keys set to None must be removed/nulled), emit
  `decision.event` if any, and requeue after `action.requeue_after` seconds.
- Observe the Jobs named in status.rollout (snapshotJob, restoreJob, copyJob, cleanJob), the
  preflight pods, and, when the step needs them, the smoke checks and the /metrics of pods.
- An invalid spec (SpecError from ReleaseSpec.from_dict) goes to `decide_invalid` instead.

Behaviour worth knowing:
- First deploy (status.image empty): nothing to snapshot or roll back to; the image is rolled
  out and gated (no preflight, no bake); on failure the phase is Failed and the Deployment is
  left as it is.
- The steps of a rollout are fixed when it starts (`sequence.build_steps`): Recreate runs the
  preflight on an online copy while the old version serves, then scales it to 0 for a
  quiescent snapshot; RollingUpdate snapshots online while it serves, then runs the preflight
  on a copy of that snapshot. Both roll out, gate on readiness (and spec.verify), and bake.
- spec.paused stops new rollouts only; a rollout or rollback in flight completes.
- A `failedImage` is not rolled out again while spec.image equals it, unless the retry
  annotation carries a value not yet seen (status.retryToken).
- A restore asked for (the restore annotation) and spec.backup.vacuum run as a rollout of the
  serving image onto itself (phases Restoring, Vacuuming; gitops.release.maintenance). The
  REF is taken up once (status.restoreTaken) and the reconcile removes the annotation; when
  it is gone, restoreTaken is cleared, so the same REF set again is a new request.
- restoreDatabase IfSchemaChanged is decided by the preflight when it showed the failed image
  leaves the schema version as the snapshot has it (no restore, no stop); otherwise by the
  restore Job itself: it compares the snapshot's schemaVersion with `PRAGMA user_version` of
  the current database and only restores when they differ (its result says restored true/false).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from gitops.release.actions import Decision
from gitops.release.observed import Observed
from gitops.release.plan.bake import decide_baking
from gitops.release.plan.context import Ctx, Transition
from gitops.release.plan.idle import decide_idle
from gitops.release.plan.maintenance import decide_restoring, decide_vacuuming
from gitops.release.plan.preflight import decide_preflight
from gitops.release.plan.rollback import decide_rolling_back
from gitops.release.plan.rollout import decide_rolling_out
from gitops.release.plan.snapshot import decide_snapshotting
from gitops.release.plan.status import build_decision, build_invalid_decision
from gitops.release.spec import ReleaseSpec, SpecError
from gitops.release.state import Phase, Rollout

Step = Callable[[Ctx, Rollout], Transition]

STEPS: Mapping[Phase, Step] = {
    Phase.SNAPSHOTTING: decide_snapshotting,
    Phase.PREFLIGHT: decide_preflight,
    Phase.ROLLING_OUT: decide_rolling_out,
    Phase.BAKING: decide_baking,
    Phase.ROLLING_BACK: decide_rolling_back,
    Phase.RESTORING: decide_restoring,
    Phase.VACUUMING: decide_vacuuming,
}


def decide(spec: ReleaseSpec, status: Mapping[str, Any] | None, observed: Observed) -> Decision:
    """Decide the next action and the next status for one Release."""
    ctx = Ctx.of(spec, status or {}, observed)
    decision = build_decision(ctx, _transition(ctx))
    if not spec.restore_request and decision.status.get("restoreTaken"):
        # the annotation is gone: the same REF set again later is a new request
        decision = replace(decision, status={**decision.status, "restoreTaken": None})
    return decision


def _transition(ctx: Ctx) -> Transition:
    """The step of the rollout in flight; when idle, a rollout started takes its first step."""
    if ctx.rollout is not None:
        return STEPS[ctx.rollout.phase](ctx, ctx.rollout)
    idle = decide_idle(ctx)
    if isinstance(idle, Transition):
        return idle
    first = STEPS[idle.rollout.phase](idle.ctx, idle.rollout)
    return replace(first, changes={**idle.changes, **first.changes})


def decide_invalid(
    error: SpecError, status: Mapping[str, Any] | None, *, now: datetime, generation: int
) -> Decision:
    """Failed with a message naming the field; nothing in the cluster is touched."""
    return build_invalid_decision(error, status or {}, now=now, generation=generation)
