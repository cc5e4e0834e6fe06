"""Unit tests of the controllers' pure rules: rollout arithmetic and Deployment status."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.client.objects import selector_matches, set_condition
from sandbox.controllers.deploy_status import compute_status, max_unavailable
from sandbox.controllers.rollout import fenceposts, new_rs_target, old_rs_targets, template_hash


def deployment(
    replicas: int = 4, surge: Any = "25%", unavailable: Any = "25%", **spec: Any
) -> dict:
    strategy = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable},
    }
    return {
        "metadata": {"name": "d", "generation": 1},
        "spec": {"replicas": replicas, "strategy": strategy, **spec},
        "status": {},
    }


def rs(
    name: str,
    replicas: int,
    available: int = 0,
    created: str = "2026-01-01T00:00:00Z",
    **status: int,
) -> dict:
    return {
        "metadata": {"name": name, "creationTimestamp": created},
        "spec": {"replicas": replicas},
        "status": {"replicas": replicas, "availableReplicas": available, **status},
    }


@pytest.mark.parametrize(
    ("replicas", "surge", "unavailable", "expected"),
    [
        (4, "25%", "25%", (1, 1)),
        (10, "25%", "25%", (3, 2)),
        (1, "25%", "25%", (1, 0)),
        (3, 0, 0, (0, 1)),
        (5, 2, "50%", (2, 2)),
    ],
)
def test_fenceposts_round_surge_up_and_unavailable_down(
    replicas: int, surge: Any, unavailable: Any, expected: tuple
) -> None:
    assert fenceposts(deployment(replicas, surge, unavailable)) == expected


def test_rolling_update_grows_new_within_surge_and_shrinks_old_within_unavailable() -> None:
    deploy = deployment(4, 1, 1)
    old = rs("old", 4, available=4)
    new = rs("new", 0)
    assert new_rs_target(deploy, new, [old, new]) == 1
    new = rs("new", 1, available=0)
    assert old_rs_targets(deploy, new, [old]) == {"old": 3}
    old = rs("old", 3, available=3)
    assert new_rs_target(deploy, new, [old, new]) == 2  # 3 old + 1 new, 4 + maxSurge 1 allows 5
    assert new_rs_target(deploy, new, [rs("old", 4), new]) == 1  # at 4 + 1 already: no room


def test_unhealthy_old_pods_go_first_without_touching_availability() -> None:
    deploy = deployment(2, 0, 1)
    old = rs("old", 2, available=1)
    new = rs("new", 0)
    assert old_rs_targets(deploy, new, [old]) == {"old": 1}


def test_template_hash_is_stable_and_changes_with_the_template() -> None:
    a = {"spec": {"containers": [{"name": "c", "image": "x:1"}]}}
    b = {"spec": {"containers": [{"name": "c", "image": "x:2"}]}}
    assert template_hash(a) == template_hash(dict(a))
    assert template_hash(a) != template_hash(b)
    assert template_hash(a) != template_hash(a, collision_count=1)
    assert set(template_hash(a)) <= set("bcdfghjklmnpqrstvwxz2456789")


def test_complete_rollout_reports_counts_and_conditions() -> None:
    deploy = deployment(2)
    new = rs("d-abc", 2, available=2, readyReplicas=2)
    status = compute_status(deploy, new, [new])
    assert {
        k: status[k] for k in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas")
    } == {
        "replicas": 2,
        "updatedReplicas": 2,
        "readyReplicas": 2,
        "availableReplicas": 2,
    }
    assert "unavailableReplicas" not in status
    conditions = {c["type"]: c for c in status["conditions"]}
    assert conditions["Available"]["reason"] == "MinimumReplicasAvailable"
    assert conditions["Progressing"]["reason"] == "NewReplicaSetAvailable"


def test_stalled_rollout_exceeds_the_progress_deadline() -> None:
    deploy = deployment(1, progressDeadlineSeconds=5)
    new = rs("d-abc", 1, available=0)
    deploy["status"] = {
        "replicas": 1,
        "updatedReplicas": 1,
        "conditions": [
            {
                "type": "Progressing",
                "status": "True",
                "reason": "ReplicaSetUpdated",
                "lastUpdateTime": "2020-01-01T00:00:00Z",
                "lastTransitionTime": "2020-01-01T00:00:00Z",
            }
        ],
    }
    status = compute_status(deploy, new, [new])
    progressing = next(c for c in status["conditions"] if c["type"] == "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("False", "ProgressDeadlineExceeded")
    assert status["unavailableReplicas"] == 1
    available = next(c for c in status["conditions"] if c["type"] == "Available")
    assert available["status"] == "False"


def test_recreate_allows_no_unavailability() -> None:
    assert max_unavailable({"spec": {"replicas": 3, "strategy": {"type": "Recreate"}}}) == 0
    assert max_unavailable(deployment(4)) == 1


def test_condition_transition_time_moves_only_when_status_flips() -> None:
    status: dict = {
        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "then"}]
    }
    set_condition(status, {"type": "Ready", "status": "True", "reason": "Still"}, with_update=False)
    assert status["conditions"][0]["lastTransitionTime"] == "then"
    set_condition(status, {"type": "Ready", "status": "False"}, with_update=False)
    assert status["conditions"][0]["lastTransitionTime"] != "then"


@pytest.mark.parametrize(
    ("selector", "labels", "matches"),
    [
        ({"matchLabels": {"app": "a"}}, {"app": "a", "x": "y"}, True),
        ({"matchLabels": {"app": "a"}}, {"app": "b"}, False),
        (
            {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]},
            {"tier": "web"},
            True,
        ),
        (
            {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["web"]}]},
            {"tier": "web"},
            False,
        ),
        ({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, {}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, {}, True),
        ({}, {"app": "a"}, False),
    ],
)
def test_label_selectors(selector: dict, labels: dict, matches: bool) -> None:
    assert selector_matches(selector, labels) is matches


def test_progress_refreshes_the_progressing_update_time() -> None:
    deploy = deployment(2, progressDeadlineSeconds=600)
    stale = "2020-01-01T00:00:00Z"
    deploy["status"] = {
        "replicas": 2,
        "updatedReplicas": 1,
        "availableReplicas": 1,
        "conditions": [
            {
                "type": "Progressing",
                "status": "True",
                "reason": "ReplicaSetUpdated",
                "message": 'ReplicaSet "d-abc" is progressing.',
                "lastUpdateTime": stale,
                "lastTransitionTime": stale,
            }
        ],
    }
    new = rs("d-abc", 2, available=1)  # one more updated replica than before: progress
    old = rs("d-old", 1, available=1)
    status = compute_status(deploy, new, [new, old])
    progressing = next(c for c in status["conditions"] if c["type"] == "Progressing")
    assert progressing["reason"] == "ReplicaSetUpdated"
    assert progressing["lastTransitionTime"] == stale
    assert progressing["lastUpdateTime"] != stale
