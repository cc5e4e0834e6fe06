"""Turn a step's Transition into the next Release status, its conditions and its Event (pure).

What a phase does to the conditions comes from the Phase itself: Progressing is True while a
release is in flight, Degraded as the phase says (or unchanged, or as the serving version's
health says), Ready only in phase Ready with the serving version healthy. Serving says
whether some version serves, which and why (gitops.release.plan.serving).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gitops.api import FALSE, TRUE
from gitops.conditions import Update, find_condition, set_conditions
from gitops.images import short_reference
from gitops.release import reasons as R
from gitops.release.actions import Decision, Event, Wait
from gitops.release.plan.context import Ctx, Transition
from gitops.release.plan.serving import build_serving
from gitops.release.spec import SpecError
from gitops.release.state import Phase

CONDITION_TYPES = ("Ready", "Serving", "Progressing", "Degraded")


def _wanted(transition: Transition, old: list[Mapping[str, Any]]) -> dict[str, str]:
    """The condition statuses a transition asks for."""
    phase = transition.phase
    wanted = {
        "Ready": TRUE if phase is Phase.READY and transition.ready else FALSE,
        "Progressing": TRUE if phase.active else FALSE,
    }
    degraded = phase.degraded if transition.degraded is None else transition.degraded
    if degraded is not None:
        wanted["Degraded"] = TRUE if degraded else FALSE
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


def _same(old: list[Mapping[str, Any]], type_: str, status: str) -> Update:
    """An update that keeps a condition's reason and message."""
    current = find_condition(old, type_) or {}
    return Update(type_, status, str(current.get("reason", "")), str(current.get("message", "")))


def build_decision(ctx: Ctx, transition: Transition) -> Decision:
    """The Decision for a step: status written once, conditions, and a matching Event."""
    spec, status = ctx.spec, ctx.status
    new = {**status, "rollout": None, **transition.changes}
    new["observedGeneration"] = spec.generation
    new.pop("imageTag", None), new.pop("servingTag", None)  # the tag-only columns of old
    new["imageShort"] = short_reference(spec.image)
    new["rollout"] = transition.rollout.to_status() if transition.rollout is not None else None
    if "health" not in transition.changes:  # only the steady step watches the serving version
        new["health"] = None  # a release, a restore, a hold: the next watch begins afresh
    new["phase"] = transition.phase.value
    serving = new.get("image")
    new["servingShort"] = short_reference(serving) if serving else None
    old = list(status.get("conditions") or [])
    wanted = _wanted(transition, old)
    reason, message = transition.reason, transition.message
    name = reason.name
    if transition.sticky and not _flipped(wanted, old) and status.get("reason"):
        name, message = str(status["reason"]), str(status.get("message") or "")
        updates = [_same(old, t, s) for t, s in wanted.items()]
    else:
        updates = [Update(t, s, name, message) for t, s in wanted.items()]
    updates.append(build_serving(ctx, transition, new))
    new["conditions"] = set_conditions(
        old, updates, now=ctx.observed.now, generation=spec.generation, order=CONDITION_TYPES
    )
    new["reason"], new["message"] = name, message
    event = None
    if name != status.get("reason") and not transition.quiet:
        event = Event(R.BY_NAME.get(name, reason).event_type, name, message)
    return Decision(transition.action, new, event)


def build_invalid_decision(
    error: SpecError, status: Mapping[str, Any], *, now: datetime, generation: int
) -> Decision:
    """Failed/Degraded naming the bad field; the rollout bookkeeping is kept for later."""
    new = {"rollout": None, **status}
    new["observedGeneration"] = generation
    new["phase"] = Phase.FAILED.value
    reason = R.INVALID_SPEC
    message = reason.message(error=str(error))
    updates = [
        Update("Ready", FALSE, reason.name, message),
        Update("Progressing", FALSE, reason.name, message),
        Update("Degraded", TRUE, reason.name, message),
    ]
    old = list(status.get("conditions") or [])
    new["conditions"] = set_conditions(
        old, updates, now=now, generation=generation, order=CONDITION_TYPES
    )
    new["reason"], new["message"] = reason.name, message
    changed = (status.get("reason"), status.get("message")) != (reason.name, message)
    event = Event(reason.event_type, reason.name, message) if changed else None
    return Decision(Wait(None), new, event)
