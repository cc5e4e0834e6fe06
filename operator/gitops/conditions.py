"""metav1.Condition helpers shared by the Release and GitSync plans (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

TRUE, FALSE, UNKNOWN = "True", "False", "Unknown"


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC timestamp with second precision, as Kubernetes writes them."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str | None) -> datetime | None:
    """Parse an RFC 3339 timestamp (None or garbage gives None)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None  # a hand-edited status must not crash the reconcile; treated as unknown
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def find_condition(conditions: Iterable[Mapping[str, Any]], type_: str) -> Mapping[str, Any] | None:
    """Return the condition of the given type, if any."""
    return next((c for c in conditions if c.get("type") == type_), None)


def set_condition(
    conditions: Iterable[Mapping[str, Any]],
    type_: str,
    status: str,
    reason: str,
    message: str,
    *,
    now: datetime,
    generation: int,
) -> list[dict[str, Any]]:
    """Return a new list with one condition set; lastTransitionTime moves only on a status flip."""
    old = find_condition(conditions, type_) or {}
    since = old.get("lastTransitionTime")
    if old.get("status") != status or not since:
        since = format_time(now)
    new = {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": since,
        "observedGeneration": generation,
    }
    out = [dict(c) for c in conditions if c.get("type") != type_]
    out.append(new)
    return out


def set_conditions(
    conditions: Iterable[Mapping[str, Any]],
    updates: Iterable[tuple[str, str, str, str]],
    *,
    now: datetime,
    generation: int,
    order: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """Apply several (type, status, reason, message) updates; sort by `order` when given."""
    result = [dict(c) for c in conditions]
    for type_, status, reason, message in updates:
        result = set_condition(
            result, type_, status, reason, message, now=now, generation=generation
        )
    rank = {t: i for i, t in enumerate(order)}
    return sorted(result, key=lambda c: rank.get(str(c.get("type")), len(rank)))
