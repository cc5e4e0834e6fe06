"""Metrics and notifications derived from one decision."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from gitops.release.actions import Decision, Event, Wait
from gitops.release.outcomes import build_notification, record_metrics
from prometheus_client import REGISTRY

NOW = datetime(2026, 1, 1, 0, 1, 0, tzinfo=UTC)
ROLLOUT = {"step": "RollingBack", "startedAt": "2026-01-01T00:00:30Z", "targetImage": "app:2"}


def value(name: str, **labels: str) -> float:
    """The current value of a sample (0 when never set)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def decision(phase: str, reason: str = "", warning: bool = False, **status: Any) -> Decision:
    """A decision moving to phase with an event of reason."""
    event = (
        Event("Warning" if warning else "Normal", reason, f"{reason} happened") if reason else None
    )
    return Decision(Wait(None), {"phase": phase, **status}, event)


def test_a_rollback_counts_a_release_a_rollback_and_its_duration() -> None:
    before = value("gitops_rollbacks_total", reason="ReadinessFailed")
    released = value("gitops_releases_total", outcome="RolledBack")
    durations = value("gitops_release_duration_seconds_count", outcome="RolledBack")
    rollout = {**ROLLOUT, "failure": {"reason": "ReadinessFailed", "message": "CrashLoopBackOff"}}
    new = decision("RolledBack", "RolledBack", warning=True)
    record_metrics({"phase": "RollingBack", "rollout": rollout}, new, NOW)
    assert value("gitops_rollbacks_total", reason="ReadinessFailed") == before + 1
    assert value("gitops_releases_total", outcome="RolledBack") == released + 1
    assert value("gitops_release_duration_seconds_count", outcome="RolledBack") == durations + 1


def test_a_steady_state_counts_nothing() -> None:
    released = value("gitops_releases_total", outcome="Ready")
    record_metrics({"phase": "Ready"}, decision("Ready"), NOW)
    assert value("gitops_releases_total", outcome="Ready") == released


@pytest.mark.parametrize(
    ("reason", "metric", "outcome"),
    [
        ("SnapshotTaken", "gitops_snapshots_total", "succeeded"),
        ("SnapshotFailed", "gitops_snapshots_total", "failed"),
        ("RestoreCompleted", "gitops_restores_total", "succeeded"),
        ("RestoreFailed", "gitops_restores_total", "failed"),
    ],
)
def test_jobs_are_counted_by_outcome(reason: str, metric: str, outcome: str) -> None:
    before = value(metric, outcome=outcome)
    record_metrics(
        {"phase": "Snapshotting", "rollout": ROLLOUT}, decision("RollingOut", reason), NOW
    )
    assert value(metric, outcome=outcome) == before + 1


@pytest.mark.parametrize(
    ("key", "metric"), [("preflight", "gitops_preflights_total"), ("bake", "gitops_bakes_total")]
)
def test_a_preflight_and_a_bake_are_counted_once_when_judged(key: str, metric: str) -> None:
    before = {o: value(metric, outcome=o) for o in ("passed", "failed")}
    judged = Decision(Wait(None), {"phase": "Baking", key: {"outcome": "Failed", "image": "app:2"}})
    record_metrics({"phase": "RollingOut", "rollout": ROLLOUT}, judged, NOW)
    record_metrics(judged.status, judged, NOW)  # the next reconcile: nothing new
    assert value(metric, outcome="failed") == before["failed"] + 1
    assert value(metric, outcome="passed") == before["passed"]


def test_rollback_and_failure_notify_once() -> None:
    new = decision("RolledBack", "RolledBack", warning=True, image="app:1", failedImage="app:2")
    note = build_notification("web", "shop", {"phase": "RollingBack"}, new)
    assert note is not None
    assert note.subject == "Release web/shop: RolledBack (RolledBack)"
    assert note.fields["failedImage"] == "app:2"
    assert note.text == "RolledBack happened"
    assert build_notification("web", "shop", {"phase": "RolledBack"}, new) is None


@pytest.mark.parametrize(
    ("old_phase", "new", "notified"),
    [
        ("RollingOut", decision("Failed", "SnapshotFailed", warning=True), True),
        ("Ready", decision("Failed", "InvalidSpec", warning=True), True),
        ("Failed", decision("Failed", "InvalidSpec", warning=True), True),
        ("RollingOut", decision("Ready", "RolloutSucceeded"), False),
        ("RolledBack", decision("RolledBack", "FailedImageNotRetried", warning=True), False),
        ("RollingOut", decision("RollingBack", "ReadinessFailed", warning=True), False),
    ],
)
def test_who_gets_notified(old_phase: str, new: Decision, notified: bool) -> None:
    assert (build_notification("web", "shop", {"phase": old_phase}, new) is not None) is notified
