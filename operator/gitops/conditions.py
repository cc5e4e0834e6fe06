"""metav1.Condition helpers shared by the Release and GitSync status builders (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gitops.clock import format_time


@dataclass(frozen=True)
class Update:
    """The new status, reason and message of one condition type."""

    type: str
    status: str
    reason: str
    message: str


def find_condition(conditions: Iterable[Mapping[str, Any]], type_: str) -> Mapping[str, Any] | None:
    """Return the condition of the given type, if any."""
    return next((c for c in conditions if c.get("type") == type_), None)


def set_condition(
    conditions: Iterable[Mapping[str, Any]], update: Update, *, now: datetime, generation: int
) -> list[dict[str, Any]]:
    """Return a new list with one condition set; lastTransitionTime moves only on a status flip."""
    old = find_condition(conditions, update.type) or {}
    since = old.get("lastTransitionTime")
    if old.get("status") != update.status or not since:
        since = format_time(now)
    new = {
        "type": update.type,
        "status": update.status,
        "reason": update.reason,
        "message": update.message,
        "lastTransitionTime": since,
        "observedGeneration": generation,
    }
    out = [dict(c) for c in conditions if c.get("type") != update.type]
    out.append(new)
    return out


def set_conditions(
    conditions: Iterable[Mapping[str, Any]],
    updates: Iterable[Update],
    *,
    now: datetime,
    generation: int,
    order: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Apply several updates; sort by `order` when given."""
    result = [dict(c) for c in conditions]
    for update in updates:
        result = set_condition(result, update, now=now, generation=generation)
    rank = {t: i for i, t in enumerate(order)}
    return sorted(result, key=lambda c: rank.get(str(c.get("type")), len(rank)))
