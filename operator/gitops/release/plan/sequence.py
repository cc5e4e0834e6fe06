"""The order of a rollout's steps, fixed when it starts, and the moves between them (pure).

Recreate runs the preflight first, on an online copy, while the old version still serves;
only then does it stop the old version for a quiescent snapshot. RollingUpdate snapshots
online first and runs the preflight on a copy of that snapshot. Both then roll out and bake.
A first deploy has nothing serving to protect and nothing to go back to: it only rolls out.
"""

from __future__ import annotations

from dataclasses import replace

from gitops.release.spec import ReleaseSpec
from gitops.release.state import Phase, Rollout


def build_steps(spec: ReleaseSpec, first: bool) -> tuple[Phase, ...]:
    """Every step of a new rollout, in order (the first one runs at once)."""
    if first:
        return (Phase.ROLLING_OUT,)
    preflight = (Phase.PREFLIGHT,) if spec.preflight.enabled else ()
    if spec.strategy == "Recreate":
        head = (*preflight, Phase.SNAPSHOTTING)
    else:
        head = (Phase.SNAPSHOTTING, *preflight)
    return (*head, *rollout_steps(spec))


def rollout_steps(spec: ReleaseSpec) -> tuple[Phase, ...]:
    """RollingOut, then the bake window unless readiness.bakeSeconds is 0."""
    return (
        (Phase.ROLLING_OUT, Phase.BAKING) if spec.readiness.bake_seconds else (Phase.ROLLING_OUT,)
    )


def advance(rollout: Rollout) -> Rollout:
    """The rollout moved on to its next step (RollingOut when the list ran dry)."""
    following = rollout.steps or (Phase.ROLLING_OUT,)
    return replace(rollout, phase=following[0], steps=following[1:])


def preflight_again(spec: ReleaseSpec, rollout: Rollout) -> Rollout:
    """A new target (a newer spec.image) gets a preflight of its own before it is rolled out."""
    passed = rollout.preflight is not None and rollout.preflight.image == rollout.target_image
    pending = rollout.phase is Phase.PREFLIGHT or Phase.PREFLIGHT in rollout.steps
    if not spec.preflight.enabled or not rollout.from_image or passed or pending:
        return rollout
    if rollout.phase is Phase.SNAPSHOTTING:
        return replace(rollout, steps=(Phase.PREFLIGHT, *rollout.steps))
    return replace(rollout, phase=Phase.PREFLIGHT, steps=rollout_steps(spec))
