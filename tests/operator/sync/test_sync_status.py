"""The status a sync attempt writes: fields kept apart, conditions and their reasons (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from gitops.api import Reason
from gitops.sync import metrics, reasons
from gitops.sync.model import ObjectRef
from gitops.sync.plan import decide_prune
from gitops.sync.reasons import outcome
from gitops.sync.status import Attempt, build_status, build_suspended_status
from prometheus_client import REGISTRY

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
A, B = "a" * 40, "b" * 40
CM = ObjectRef("v1", "ConfigMap", "apps", "settings")
PVC = ObjectRef("v1", "PersistentVolumeClaim", "apps", "data")
NS = ObjectRef("v1", "Namespace", "", "apps")


def _conditions(status: dict) -> dict[str, tuple[str, str]]:
    """type -> (status, reason)."""
    return {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}


def test_success_records_commit_inventory_and_ready() -> None:
    done = outcome(reasons.SYNCED, commit=A[:12], applied=2, pruned=0)
    status = build_status({}, Attempt(done, A, [CM, PVC], 2), generation=3, now=NOW, request="r")
    assert status["lastAppliedCommit"] == status["lastAttemptedCommit"] == A
    assert status["lastSyncTime"] == "2026-01-02T03:04:05Z"
    assert status["observedGeneration"] == 3
    assert status["lastHandledSyncRequest"] == "r"
    assert status["inventory"][0] == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "namespace": "apps",
        "name": "settings",
    }
    assert _conditions(status) == {
        "Ready": ("True", "Synced"),
        "Reconciling": ("False", "Synced"),
        "Stalled": ("False", "Synced"),
    }
    assert [c["type"] for c in status["conditions"]] == ["Ready", "Reconciling", "Stalled"]


@pytest.mark.parametrize(
    ("reason", "stalled"),
    [
        (reasons.BUILD_FAILED, True),
        (reasons.VALIDATION_FAILED, True),
        (reasons.FETCH_FAILED, False),
        (reasons.APPLY_FAILED, False),
    ],
)
def test_failure_keeps_the_applied_commit_apart(reason: Reason, stalled: bool) -> None:
    before = build_status(
        {},
        Attempt(outcome(reasons.SYNCED, commit="a", applied=1, pruned=0), A, [CM]),
        generation=1,
        now=NOW,
        request=None,
    )
    failed = outcome(reason, commit="b", error="x", branch="main", url="u", path="p")
    later = NOW + timedelta(minutes=5)
    status = build_status(
        before, Attempt(failed, B), generation=1, now=later, request=None, retry_in=4
    )
    assert status["lastAppliedCommit"] == A
    assert status["lastAttemptedCommit"] == B
    assert status["lastSyncTime"] == before["lastSyncTime"]
    assert status["inventory"] == before["inventory"]
    conditions = _conditions(status)
    assert conditions["Ready"] == ("False", reason.name)
    assert conditions["Stalled"] == ("True" if stalled else "False", reason.name)
    assert conditions["Reconciling"] == ("False" if stalled else "True", reason.name)
    times = {c["type"]: c["lastTransitionTime"] for c in status["conditions"]}
    assert times["Ready"] == "2026-01-02T03:09:05Z"
    if not stalled:
        assert times["Stalled"] == "2026-01-02T03:04:05Z"
        assert "Retrying in 4s" in next(
            c["message"] for c in status["conditions"] if c["type"] == "Reconciling"
        )


def test_up_to_date_only_moves_the_sync_time() -> None:
    before = build_status(
        {},
        Attempt(outcome(reasons.SYNCED, commit="a", applied=1, pruned=0), A, [CM]),
        generation=1,
        now=NOW,
        request=None,
    )
    later = NOW + timedelta(seconds=60)
    status = build_status(before, Attempt(None, A), generation=1, now=later, request=None)
    assert status["lastSyncTime"] == "2026-01-02T03:05:05Z"
    assert status["conditions"] == before["conditions"]


def test_suspended_keeps_ready() -> None:
    before = build_status(
        {},
        Attempt(outcome(reasons.SYNCED, commit="a", applied=1, pruned=0), A, [CM]),
        generation=1,
        now=NOW,
        request=None,
    )
    status = build_suspended_status(before, generation=2, now=NOW)
    assert _conditions(status)["Ready"] == ("True", "Synced")
    assert _conditions(status)["Reconciling"] == ("False", "Suspended")


def test_prune_never_takes_claims_or_namespaces() -> None:
    gone = ObjectRef("v1", "ConfigMap", "apps", "old")
    assert decide_prune([CM, PVC, NS, gone], [CM]) == [gone]
    assert decide_prune([CM], [CM, gone]) == []
    assert decide_prune([CM, gone], [], protected=gone) == [CM]


def test_messages_are_cut_to_a_sane_length() -> None:
    long = outcome(reasons.APPLY_FAILED, commit="a", error="x" * 10_000)
    assert len(long.message) == reasons.MAX_MESSAGE
    assert long.event_type == "Warning"
    assert outcome(reasons.SYNCED, commit="a", applied=1, pruned=0).event_type == "Normal"


def test_metrics_count_outcomes_objects_and_last_success() -> None:
    def sample(metric: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(metric, labels) or 0.0

    before = sample("gitops_syncs_total", outcome="Synced")
    applied = sample("gitops_sync_objects_applied_total", namespace="m", name="s")
    metrics.record("m", "s", "Synced", 0.5, 3)
    metrics.record("m", "s", "FetchFailed", 0.1, 0)
    assert sample("gitops_syncs_total", outcome="Synced") == before + 1
    assert sample("gitops_sync_objects_applied_total", namespace="m", name="s") == applied + 3
    assert sample("gitops_sync_last_success_timestamp_seconds", namespace="m", name="s") > 0
    assert sample("gitops_sync_duration_seconds_count") >= 2
