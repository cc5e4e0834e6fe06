"""Turn a plan Step into the next Release status, its conditions and its Event (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gitops.conditions import FALSE, TRUE, find_condition, set_conditions
from gitops.release import reasons as R
from gitops.release.context import Step
from gitops.release.model import (
    Decision,
    Event,
    Observed,
    ReleaseSpec,
    SpecError,
    Wait,
    short_image,
)

CONDITION_TYPES = ("Ready", "Progressing", "Degraded")
KEEP = None  # keep the current condition untouched (False when it does not exist yet)

# phase -> (Progressing, Degraded); Ready is True only in phase Ready when healthy
PHASE_CONDITIONS: dict[str, tuple[str, str | None]] = {
    "Ready": (FALSE, FALSE),
    "Paused": (FALSE, KEEP),
    "Snapshotting": (TRUE, KEEP),
    "RollingOut": (TRUE, KEEP),
    "RollingBack": (TRUE, TRUE),
    "RolledBack": (FALSE, TRUE),
    "Failed": (FALSE, TRUE),
    "Pending": (FALSE, TRUE),
}


def _wanted(step: Step, old: list[Mapping[str, Any]]) -> dict[str, str]:
    """The condition statuses a step asks for."""
    progressing, degraded = PHASE_CONDITIONS[step.phase]
    wanted = {
        "Ready": TRUE if step.phase == "Ready" and step.ready else FALSE,
        "Progressing": progressing,
    }
    if degraded is not None:
        wanted["Degraded"] = degraded
    elif find_condition(old, "Degraded") is None:
        wanted["Degraded"] = FALSE
    return wanted


def _flipped(wanted: Mapping[str, str], old: list[Mapping[str, Any]]) -> bool:
    """True when any wanted condition differs in status from the current one."""
    for type_, status in wanted.items():
        current = find_condition(old, type_)
        if current is None or current.get("status") != status:
            return True
    return False


def _base(status: Mapping[str, Any], spec: ReleaseSpec, generation: int) -> dict[str, Any]:
    """The previous status with the fields every decision refreshes."""
    new = dict(status)
    new.setdefault("rollout", None)
    new["observedGeneration"] = generation
    new["imageTag"] = short_image(spec.image)
    return new


def finish(
    spec: ReleaseSpec, status: Mapping[str, Any], observed: Observed, step: Step
) -> Decision:
    """Build the Decision for a step: status written once, conditions, and a matching Event."""
    new = {**_base(status, spec, spec.generation), **step.changes}
    new["rollout"] = dict(step.rollout) if step.rollout is not None else None
    new["phase"] = step.phase
    serving = new.get("image")
    new["servingTag"] = short_image(serving) if serving else None
    old = list(status.get("conditions") or [])
    wanted = _wanted(step, old)
    reason, message = step.reason.name, step.message
    if step.sticky and not _flipped(wanted, old) and status.get("reason"):
        reason, message = str(status["reason"]), str(status.get("message") or "")
        updates = [_same(old, t, s) for t, s in wanted.items()]
    else:
        updates = [(t, s, reason, message) for t, s in wanted.items()]
    new["conditions"] = set_conditions(
        old, updates, now=observed.now, generation=spec.generation, order=CONDITION_TYPES
    )
    new["reason"], new["message"] = reason, message
    event = None
    if reason != status.get("reason"):
        warning = R.BY_NAME.get(reason, step.reason).warning
        event = Event("Warning" if warning else "Normal", reason, message)
    return Decision(step.action, new, event)


def _same(old: list[Mapping[str, Any]], type_: str, status: str) -> tuple[str, str, str, str]:
    """An update that keeps a condition's reason and message."""
    current = find_condition(old, type_) or {}
    return (type_, status, str(current.get("reason", "")), str(current.get("message", "")))


def finish_invalid(
    error: SpecError, status: Mapping[str, Any], *, now: datetime, generation: int
) -> Decision:
    """Failed/Degraded naming the bad field; the rollout bookkeeping is kept for later."""
    new = dict(status)
    new.setdefault("rollout", None)
    new["observedGeneration"] = generation
    new["phase"] = "Failed"
    message = R.INVALID_SPEC.message(error=str(error))
    updates = [
        ("Ready", FALSE, R.INVALID_SPEC.name, message),
        ("Progressing", FALSE, R.INVALID_SPEC.name, message),
        ("Degraded", TRUE, R.INVALID_SPEC.name, message),
    ]
    old = list(status.get("conditions") or [])
    new["conditions"] = set_conditions(
        old, updates, now=now, generation=generation, order=CONDITION_TYPES
    )
    new["reason"], new["message"] = R.INVALID_SPEC.name, message
    changed = (status.get("reason"), status.get("message")) != (R.INVALID_SPEC.name, message)
    event = Event("Warning", R.INVALID_SPEC.name, message) if changed else None
    return Decision(Wait(None), new, event)
