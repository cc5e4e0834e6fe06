"""Timestamps as Kubernetes writes them: RFC 3339, UTC, whole seconds (pure)."""

from __future__ import annotations

from datetime import UTC, datetime


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


def now_text() -> str:
    """The current time, formatted."""
    return format_time(datetime.now(UTC))
