"""What one Release decision looks at (Ctx) and what each step returns (Step)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops.release.model import Action, Observed, ReleaseSpec
from gitops.release.reasons import Reason


@dataclass(frozen=True)
class Ctx:
    """Everything one decision looks at."""

    spec: ReleaseSpec
    status: Mapping[str, Any]
    observed: Observed

    @property
    def rollout(self) -> dict[str, Any]:
        """The in-flight rollout bookkeeping ({} when idle)."""
        return dict(self.status.get("rollout") or {})

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
class Step:
    """A step's outcome: phase, reason+message, action, next rollout bookkeeping, other changes.

    `rollout` None ends the rollout. `sticky` steps (steady states) keep the current reasons
    unless a condition flips. `ready` is the Ready condition for phase Ready (health).
    """

    phase: str
    reason: Reason
    message: str
    action: Action
    rollout: Mapping[str, Any] | None
    changes: Mapping[str, Any] = field(default_factory=dict)
    sticky: bool = False
    ready: bool = False
