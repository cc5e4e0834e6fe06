"""Turning API objects into the plan's views (pure parts of gitops.release.observe)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from gitops.api import TEMPLATE_HASH_ANNOTATION
from gitops.release.observe import (
    build_deployment_view,
    build_job_view,
    build_pod_view,
    current_hash,
)
from gitops.release.observed import Observed
from gitops.release.plan.queries import fail_fast_cause

NEW, OLD = "ghcr.io/o/app:2", "ghcr.io/o/app:1"


def pod(
    image: str,
    *,
    hash_: str = "new",
    ready: bool = False,
    restarts: int = 0,
    waiting: str = "",
    deleting: bool = False,
    node: str = "n1",
) -> dict[str, Any]:
    """A pod with one `app` container as the kubelet reports it."""
    state: dict[str, Any] = {"waiting": {"reason": waiting}} if waiting else {"running": {}}
    meta: dict[str, Any] = {"name": f"p-{image[-1]}", "labels": {"pod-template-hash": hash_}}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {
        "metadata": meta,
        "spec": {"nodeName": node, "containers": [{"name": "app", "image": image}]},
        "status": {
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [{"name": "app", "restartCount": restarts, "state": state}],
        },
    }


def test_pod_view_reads_readiness_restarts_and_waiting_reason() -> None:
    view = build_pod_view(pod(NEW, restarts=4, waiting="CrashLoopBackOff"), "app")
    assert (view.image, view.ready, view.restart_count) == (NEW, False, 4)
    assert (view.waiting_reason, view.node_name) == ("CrashLoopBackOff", "n1")
    assert build_pod_view(pod(NEW, ready=True), "app").ready


def test_pod_view_reads_why_the_container_last_terminated() -> None:
    body = pod(NEW, restarts=2, waiting="CrashLoopBackOff")
    status = body["status"]["containerStatuses"][0]
    status["lastState"] = {"terminated": {"reason": "OOMKilled", "exitCode": 137}}
    view = build_pod_view(body, "app")
    assert view.last_exit == "OOMKilled"
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert fail_fast_cause(Observed(now=now, pods=(view,)), NEW, 5) == (
        "container is in CrashLoopBackOff, last terminated OOMKilled"
    )
    assert build_pod_view(pod(NEW), "app").last_exit == ""


def test_terminating_pod_is_neither_ready_nor_failing() -> None:
    view = build_pod_view(
        pod(OLD, ready=True, restarts=9, waiting="CrashLoopBackOff", deleting=True), "app"
    )
    assert (view.image, view.ready, view.restart_count, view.waiting_reason) == (OLD, False, 0, "")


def replicaset(hash_: str, revision: str, owner: str = "d-uid") -> dict[str, Any]:
    """A ReplicaSet owned by the Deployment."""
    return {
        "metadata": {
            "labels": {"pod-template-hash": hash_},
            "annotations": {"deployment.kubernetes.io/revision": revision},
            "ownerReferences": [{"uid": owner}],
        }
    }


def deployment(image: str = NEW, revision: str = "2") -> dict[str, Any]:
    """A Deployment mid-rollout."""
    return {
        "metadata": {
            "uid": "d-uid",
            "generation": 4,
            "annotations": {
                "deployment.kubernetes.io/revision": revision,
                TEMPLATE_HASH_ANNOTATION: "h1",
            },
        },
        "spec": {
            "replicas": 1,
            "template": {"spec": {"containers": [{"name": "app", "image": image}]}},
        },
        "status": {"observedGeneration": 3, "updatedReplicas": 1, "readyReplicas": 1},
    }


def test_current_hash_is_the_replicaset_of_the_deployment_revision() -> None:
    sets = [replicaset("old", "1"), replicaset("new", "2"), replicaset("alien", "9", owner="x")]
    assert current_hash(deployment(revision="2"), sets) == "new"
    assert current_hash(deployment(revision=""), sets) == "new"  # newest owned one
    assert current_hash(deployment(), []) == ""


def test_deployment_view_counts_pods_of_older_templates() -> None:
    pods = [pod(NEW, hash_="new"), pod(OLD, hash_="old"), pod(OLD, hash_="old", deleting=True)]
    view = build_deployment_view(deployment(), pods, "new", "app")
    assert (view.image, view.replicas, view.generation, view.observed_generation) == (NEW, 1, 4, 3)
    assert (view.updated_replicas, view.ready_replicas, view.available_replicas) == (1, 1, 0)
    assert view.old_pods == 2
    assert view.template_hash == "h1"


def test_without_replicasets_old_pods_are_those_of_another_image() -> None:
    view = build_deployment_view(deployment(), [pod(NEW), pod(OLD)], "", "app")
    assert view.old_pods == 1


def job(conditions: list[dict[str, str]]) -> dict[str, Any]:
    """A Job named snap-1 with the given conditions."""
    return {"metadata": {"name": "snap-1"}, "status": {"conditions": conditions}}


def job_pod(message: str, name: str = "snap-1") -> dict[str, Any]:
    """The Job's pod, terminated with a message."""
    return {
        "metadata": {"labels": {"job-name": name}},
        "status": {"containerStatuses": [{"state": {"terminated": {"message": message}}}]},
    }


def test_completed_job_carries_its_json_result() -> None:
    result = {"ok": True, "file": "a.db", "sizeBytes": 10}
    view = build_job_view(
        job([{"type": "Complete", "status": "True"}]), [job_pod(json.dumps(result))]
    )
    assert (view.name, view.outcome, view.result) == ("snap-1", "Complete", result)


@pytest.mark.parametrize(
    ("conditions", "outcome"),
    [
        ([], None),
        ([{"type": "Complete", "status": "False"}], None),
        ([{"type": "SuccessCriteriaMet", "status": "True"}], "Complete"),
        ([{"type": "FailureTarget", "status": "True"}], "Failed"),
        ([{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}], "Failed"),
    ],
)
def test_job_outcome_follows_its_conditions(conditions: list[dict[str, str]], outcome: str) -> None:
    assert build_job_view(job(conditions), []).outcome == outcome


def test_crashed_job_reports_its_log_tail_as_the_message() -> None:
    failed = [{"type": "Failed", "status": "True", "message": "Job has reached the backoff limit"}]
    view = build_job_view(job(failed), [job_pod("Traceback ...\nOSError: disk full")])
    assert view.result is None
    assert view.message.endswith("OSError: disk full")
    assert build_job_view(job(failed), []).message == "Job has reached the backoff limit"


def test_pods_of_other_jobs_are_ignored() -> None:
    view = build_job_view(job([]), [job_pod('{"ok": true}', name="other")])
    assert view.result is None
