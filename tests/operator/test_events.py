"""The pure Event builders: names that sort in time, microsecond times, repeats as a series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gitops.api import COMPONENT
from gitops.events import EventMemory, Seen, build_event, build_repeat, event_key, event_name

NOW = datetime(2026, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
GITSYNC: dict[str, Any] = {
    "apiVersion": "gitops.myfoodbudget.dev/v1alpha1",
    "kind": "GitSync",
    "metadata": {"name": "site", "namespace": "apps", "uid": "u-1", "resourceVersion": "7"},
}


def test_names_carry_the_nanosecond_clock_and_sort_in_time() -> None:
    first = event_name("site", NOW)
    assert first == f"site.{1777629600123456000:x}"
    later = [event_name("site", NOW + timedelta(microseconds=n)) for n in (1, 999_999, 10**9)]
    assert sorted([*later, first]) == [first, *later]
    assert len(event_name("n" * 253, NOW)) == 253


def test_a_new_event_has_both_kinds_of_time_and_what_the_events_api_requires() -> None:
    event = build_event(GITSYNC, ("Warning", "ValidationFailed"), "x" * 2000, instance="i", now=NOW)
    assert event["eventTime"] == "2026-05-01T10:00:00.123456Z"
    assert event["firstTimestamp"] == event["lastTimestamp"] == "2026-05-01T10:00:00Z"
    assert (event["count"], event["action"], event["type"]) == (1, "Sync", "Warning")
    assert (event["reportingComponent"], event["reportingInstance"]) == (COMPONENT, "i")
    assert event["involvedObject"]["uid"] == "u-1"
    assert len(event["message"]) == 1024
    assert "series" not in event


def test_a_repeat_moves_count_last_time_and_series() -> None:
    assert build_repeat(2, NOW) == {
        "count": 2,
        "lastTimestamp": "2026-05-01T10:00:00Z",
        "series": {"count": 2, "lastObservedTime": "2026-05-01T10:00:00.123456Z"},
    }


@pytest.mark.parametrize(
    ("change", "same"),
    [({}, True), ({"reason": "BuildFailed"}, False), ({"message": "other"}, False),
     ({"event_type": "Normal"}, False), ({"uid": "u-2"}, False)],
    ids=["same", "reason", "message", "type", "object"],
)  # fmt: skip
def test_what_makes_a_repeat(change: dict[str, str], same: bool) -> None:
    base = {"event_type": "Warning", "reason": "ValidationFailed", "message": "m"}
    values = {**base, **change}
    obj = {**GITSYNC, "metadata": {**GITSYNC["metadata"], "uid": values.pop("uid", "u-1")}}
    assert (event_key(obj, **values) == event_key(GITSYNC, **base)) is same


def test_the_memory_is_bounded_and_forgets_the_oldest() -> None:
    memory = EventMemory(size=2)
    keys = [("u", "Warning", reason, "m") for reason in "abc"]
    for key in keys:
        memory.remember(key, Seen("apps", key[2], 1))
    assert memory.get(keys[0]) is None
    assert memory.get(keys[2]) == Seen("apps", "c", 1)
    memory.forget(keys[2])
    assert memory.get(keys[2]) is None
