"""What a step of the Release plan looks at (Ctx), what it returns (Transition), and the two
builders every step uses (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops.api import Reason
from gitops.clock import format_time
from gitops.release.actions import Action, EnsureDeployment
from gitops.release.observed import Observed
from gitops.release.records import Bake, Preflight
from gitops.release.spec import ReleaseSpec
from gitops.release.state import HistoryOutcome, Phase, Rollout

HISTORY_LIMIT = 20


@dataclass(frozen=True)
class Ctx:
    """Everything one decision looks at; `rollout` is the one status records (None: idle)."""

    spec: ReleaseSpec
    status: Mapping[str, Any]
    observed: Observed
    rollout: Rollout | None

    @classmethod
    def of(cls, spec: ReleaseSpec, status: Mapping[str, Any], observed: Observed) -> Ctx:
        """The context of a status as read from the Release."""
        return cls(spec, status, observed, Rollout.from_status(status))

    @property
    def serving(self) -> str:
        """The last image that was Ready ('' before the first deploy)."""
        return str(self.status.get("image") or "")

    def allowed(self, image: str) -> bool:
        """May `image` be rolled out (not a failedImage, or a new retry was asked for)?"""
        return image != self.status.get("failedImage") or self.retry_requested()

    def retry_requested(self) -> bool:
        """True when the retry annotation carries a value not yet consumed."""
        token = self.spec.retry_token
        return bool(token) and token != self.status.get("retryToken")


@dataclass(frozen=True)
class Transition:
    """What a step decided: the phase, reason and message, the action, the rollout, the rest.

    `rollout` None ends the rollout. `changes` are the other status fields the step sets.
    `sticky` steps (steady states) keep the current reason unless a condition flips. `ready`
    is the Ready condition in phase Ready (the serving version is healthy). `degraded` sets
    the Degraded condition where the phase would not (None: as the phase says); a `quiet`
    step records no Event (a readiness blip shorter than readiness.degradedAfterSeconds).
    """

    phase: Phase
    reason: Reason
    message: str
    action: Action
    rollout: Rollout | None
    changes: Mapping[str, Any] = field(default_factory=dict)
    sticky: bool = False
    ready: bool = False
    degraded: bool | None = None
    quiet: bool = False


@dataclass(frozen=True)
class Start:
    """A rollout just recorded: its first step runs at once, on `ctx` (which holds it)."""

    ctx: Ctx
    rollout: Rollout
    changes: Mapping[str, Any]


def build_ensure(spec: ReleaseSpec, image: str, replicas: int | None = None) -> EnsureDeployment:
    """The action that makes the Deployment run `image` (on spec.replicas unless given)."""
    count = spec.replicas if replicas is None else replicas
    return EnsureDeployment(image=image, replicas=count, template_hash=spec.template_hash)


def build_history(
    ctx: Ctx, rollout: Rollout, outcome: HistoryOutcome, reason: Reason
) -> list[dict[str, Any]]:
    """status.history with the entry of the rollout that just ended: newest first, bounded.

    A field with nothing to say (no snapshot on a first deploy, no preflight or bake that ran)
    is left out rather than written as null, so `kubectl describe` shows no `<nil>`.
    """
    ok = HistoryOutcome.SUCCEEDED
    fields = {
        "image": rollout.target_image,
        "outcome": outcome.value,
        "startedAt": rollout.started_at or None,
        "finishedAt": format_time(ctx.observed.now),
        "snapshot": (rollout.snapshot.file or None) if rollout.snapshot else None,
        "preflight": _outcome(rollout.preflight, rollout.target_image),
        "bake": _outcome(rollout.bake, rollout.target_image),
        "reason": reason.name,
        "cause": rollout.failure.message if rollout.failure and outcome is not ok else None,
    }
    entry = {key: value for key, value in fields.items() if value is not None}
    history = ctx.status.get("history")
    entries = history if isinstance(history, list) else []
    old = [{k: v for k, v in h.items() if v is not None} for h in entries if isinstance(h, Mapping)]
    return [entry, *old][:HISTORY_LIMIT]


def _outcome(record: Preflight | Bake | None, image: str) -> str | None:
    """Passed or Failed when the record is of `image` (None: it did not run for it)."""
    return record.outcome.value if record is not None and record.image == image else None
