"""The status a GitSync attempt leaves behind: fields and Ready/Reconciling/Stalled (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gitops.api import FALSE, TRUE
from gitops.clock import format_time
from gitops.conditions import Update, set_conditions
from gitops.sync import reasons
from gitops.sync.model import ObjectRef
from gitops.sync.reasons import Outcome

ORDER = ("Ready", "Reconciling", "Stalled")
RETRYING = "Retrying in {delay:.0f}s: {message}"  # Reconciling's message while backing off


@dataclass(frozen=True)
class Attempt:
    """What one sync attempt found and did; outcome None means the commit was already applied."""

    outcome: Outcome | None
    commit: str | None = None
    inventory: list[ObjectRef] | None = None
    applied: int = 0
    pruned: list[ObjectRef] = field(default_factory=list)

    @property
    def changed_cluster(self) -> bool:
        """True when this attempt applied the commit (even if pruning failed after)."""
        return self.outcome is not None and self.outcome.reason in (
            reasons.SYNCED,
            reasons.PRUNE_FAILED,
        )


def build_status(  # noqa: PLR0913 - what one status write knows, all but two by keyword
    previous: Mapping[str, Any],
    attempt: Attempt,
    *,
    generation: int,
    now: datetime,
    request: str | None,
    retry_in: float = 0.0,
) -> dict[str, Any]:
    """The whole new status after an attempt, written once."""
    status = dict(previous)
    status["observedGeneration"] = generation
    if request:
        status["lastHandledSyncRequest"] = request
    if attempt.commit:
        status["lastAttemptedCommit"] = attempt.commit
    if attempt.changed_cluster:
        status["lastAppliedCommit"] = attempt.commit
    if attempt.inventory is not None:
        status["inventory"] = [ref.to_status() for ref in attempt.inventory]
    outcome = attempt.outcome
    if outcome is None or outcome.ok:
        status["lastSyncTime"] = format_time(now)
    if outcome is not None:
        status["conditions"] = set_conditions(
            previous.get("conditions") or [],
            _conditions(outcome, retry_in),
            now=now,
            generation=generation,
            order=ORDER,
        )
    return status


def _conditions(outcome: Outcome, retry_in: float) -> list[Update]:
    """Ready, Reconciling and Stalled after an outcome."""
    name, message = outcome.reason.name, outcome.message
    if outcome.ok:
        ready, reconciling, stalled = TRUE, FALSE, FALSE
    elif outcome.stalled:
        ready, reconciling, stalled = FALSE, FALSE, TRUE
    else:
        ready, reconciling, stalled = FALSE, TRUE, FALSE
    retrying = reconciling == TRUE
    return [
        Update("Ready", ready, name, message),
        Update(
            "Reconciling",
            reconciling,
            name,
            RETRYING.format(delay=retry_in, message=message) if retrying else message,
        ),
        Update("Stalled", stalled, name, message),
    ]


def build_suspended_status(
    previous: Mapping[str, Any], *, generation: int, now: datetime
) -> dict[str, Any]:
    """The status of a suspended GitSync: Ready kept, neither reconciling nor stalled."""
    reason = reasons.SUSPENDED
    message = reason.message()
    status = dict(previous)
    status["observedGeneration"] = generation
    status["conditions"] = set_conditions(
        previous.get("conditions") or [],
        [
            Update("Reconciling", FALSE, reason.name, message),
            Update("Stalled", FALSE, reason.name, message),
        ],
        now=now,
        generation=generation,
        order=ORDER,
    )
    return status
