"""metav1.Condition helpers: lastTransitionTime moves only when the status flips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gitops.clock import format_time, parse_time
from gitops.conditions import Update, find_condition, set_condition, set_conditions

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_new_condition_gets_all_fields() -> None:
    [cond] = set_condition(
        [], Update("Ready", "False", "RolloutStarted", "rolling out"), now=T0, generation=4
    )
    assert cond == {
        "type": "Ready",
        "status": "False",
        "reason": "RolloutStarted",
        "message": "rolling out",
        "lastTransitionTime": "2026-03-01T12:00:00Z",
        "observedGeneration": 4,
    }


def test_transition_time_moves_only_on_flip() -> None:
    first = set_condition([], Update("Ready", "False", "A", "a"), now=T0, generation=1)
    same = set_condition(
        first, Update("Ready", "False", "B", "b"), now=T0 + timedelta(minutes=5), generation=2
    )
    assert same[0]["lastTransitionTime"] == first[0]["lastTransitionTime"]
    assert (same[0]["reason"], same[0]["observedGeneration"]) == ("B", 2)
    flipped = set_condition(
        same, Update("Ready", "True", "C", "c"), now=T0 + timedelta(minutes=9), generation=2
    )
    assert flipped[0]["lastTransitionTime"] == "2026-03-01T12:09:00Z"


def test_set_conditions_orders_and_keeps_others() -> None:
    start = set_condition([], Update("Custom", "True", "X", "x"), now=T0, generation=1)
    updates = [Update("Degraded", "False", "R", "m"), Update("Ready", "True", "R", "m")]
    result = set_conditions(
        start, updates, now=T0, generation=1, order=("Ready", "Progressing", "Degraded")
    )
    assert [c["type"] for c in result] == ["Ready", "Degraded", "Custom"]
    assert find_condition(result, "Custom") is not None
    assert start == [
        set_condition([], Update("Custom", "True", "X", "x"), now=T0, generation=1)[0]
    ]  # input unchanged


def test_time_round_trip_and_garbage() -> None:
    assert parse_time(format_time(T0)) == T0
    assert parse_time("2026-03-01T12:00:00") == T0  # naive stamps are taken as UTC
    assert parse_time("yesterday") is None
    assert parse_time(None) is None
