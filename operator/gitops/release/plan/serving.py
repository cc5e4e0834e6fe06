"""The Serving condition: True while some version of the app serves (a pod of it is ready),
its message naming that image and why it is the one (pure).

Ready keeps its meaning (spec.image serves, healthy). Serving is what to wait on for
"something healthy serves": after a rollback the previous version serves and Ready is False,
but Serving is True and says which version serves and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitops.api import FALSE, TRUE, Reason
from gitops.conditions import Update
from gitops.release import reasons as R
from gitops.release.plan.context import Ctx, Transition

SERVING = "Serving"


def build_serving(ctx: Ctx, transition: Transition, new: Mapping[str, Any]) -> Update:
    """The Serving condition for the status a step leads to."""
    reason, message = _serving(ctx, transition, new)
    return Update(SERVING, FALSE if reason is R.NOTHING_SERVES else TRUE, reason.name, message)


def _serving(ctx: Ctx, transition: Transition, new: Mapping[str, Any]) -> tuple[Reason, str]:
    """Which version serves, and why; NothingServes with what stands in the way."""
    phase, rollout = transition.phase, transition.rollout
    image = str(new.get("image") or "")
    ready = {pod.image for pod in ctx.observed.pods if pod.ready}
    if phase.active and rollout is not None:
        target = rollout.target_image
        shown = next((i for i in (image, target) if i and i in ready), "")
        if not shown:
            return R.NOTHING_SERVES, R.NOTHING_SERVES.message(why=f"no pod is ready in {phase}")
        detail = f" (rolling out {target})" if target != shown else ""
        return R.SERVES_DURING_RELEASE, R.SERVES_DURING_RELEASE.message(
            image=shown, phase=phase.value, detail=detail
        )
    if image not in ready or not image:
        why = f"no pod of {image} is ready ({transition.reason.name})"
        why = why if image else "nothing was deployed successfully yet"
        return R.NOTHING_SERVES, R.NOTHING_SERVES.message(why=why)
    wanted, failed = ctx.spec.image, str(new.get("failedImage") or "")
    if wanted == image:
        return R.SPEC_IMAGE_SERVES, R.SPEC_IMAGE_SERVES.message(image=image)
    if failed == wanted:
        cause = failure_cause(new, failed)
        return R.PREVIOUS_IMAGE_SERVES, R.PREVIOUS_IMAGE_SERVES.message(
            image=image, failed=failed, cause=cause
        )
    why = transition.reason.name
    return R.SERVES_WHILE_HELD, R.SERVES_WHILE_HELD.message(image=image, wanted=wanted, why=why)


def failure_cause(status: Mapping[str, Any], image: str) -> str:
    """Why `image` failed, from its newest history entry (its reason when it names no cause)."""
    history = status.get("history")
    for entry in history if isinstance(history, list) else ():
        if isinstance(entry, Mapping) and entry.get("image") == image:
            return str(entry.get("cause") or entry.get("reason") or "see status.history")
    return "see status.history"
