"""Contract: Deployment and Job status transitions, as kubectl and the client observe them."""

from __future__ import annotations

import pytest
from api_support import wait_for
from kubernetes import client

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
IMAGE = "busybox:1.36"


def _job(name: str, script: str, backoff: int = 0) -> dict:
    container = {"name": "main", "image": IMAGE, "command": ["sh", "-c", script]}
    return {
        "metadata": {"name": name},
        "spec": {
            "backoffLimit": backoff,
            "template": {"spec": {"restartPolicy": "Never", "containers": [container]}},
        },
    }


def _conditions(obj) -> dict[str, str]:
    return {c.type: c.status for c in (obj.status and obj.status.conditions) or []}


def test_job_completes_and_fails_with_the_real_conditions(cluster, kube, kube_namespace):
    batch = client.BatchV1Api(kube)
    batch.create_namespaced_job(kube_namespace, _job("ok", "echo finished; exit 0"))
    batch.create_namespaced_job(kube_namespace, _job("bad", "exit 3"))

    def finished(name: str, kind: str):
        job = batch.read_namespaced_job_status(name, kube_namespace)
        return job if _conditions(job).get(kind) == "True" else None

    ok = wait_for(lambda: finished("ok", "Complete"), 60, "Job Complete")
    assert ok.status.succeeded == 1
    assert ok.status.completion_time is not None
    assert ok.status.start_time is not None
    assert _conditions(ok)["SuccessCriteriaMet"] == "True"
    logs = cluster.kubectl("logs", "job/ok", "-n", kube_namespace)
    assert logs.returncode == 0, logs.stderr
    assert logs.stdout == "finished\n"
    bad = wait_for(lambda: finished("bad", "Failed"), 60, "Job Failed")
    failed = next(c for c in bad.status.conditions if c.type == "Failed")
    assert failed.reason == "BackoffLimitExceeded"
    assert bad.status.failed == 1


def test_deployment_rolls_out_and_its_deletion_removes_everything(cluster, kube, kube_namespace):
    apps, core = client.AppsV1Api(kube), client.CoreV1Api(kube)
    container = {"name": "main", "image": IMAGE, "command": ["sh", "-c", "sleep 3600"]}
    apps.create_namespaced_deployment(
        kube_namespace,
        {
            "metadata": {"name": "sleeper"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "sleeper"}},
                "template": {
                    "metadata": {"labels": {"app": "sleeper"}},
                    "spec": {"terminationGracePeriodSeconds": 2, "containers": [container]},
                },
            },
        },
    )
    done = cluster.kubectl(
        "rollout", "status", "deployment/sleeper", "-n", kube_namespace, "--timeout=60s"
    )
    assert done.returncode == 0, done.stderr
    assert "successfully rolled out" in done.stdout
    status = apps.read_namespaced_deployment_status("sleeper", kube_namespace).status
    assert (status.replicas, status.updated_replicas, status.available_replicas) == (1, 1, 1)
    assert _conditions(apps.read_namespaced_deployment_status("sleeper", kube_namespace)) == {
        "Available": "True",
        "Progressing": "True",
    }
    deploy = apps.read_namespaced_deployment("sleeper", kube_namespace)
    assert deploy.metadata.annotations["deployment.kubernetes.io/revision"] == "1"
    assert (deploy.metadata.generation, deploy.status.observed_generation) == (1, 1)
    _status_write_keeps_spec_and_labels(apps, kube_namespace)
    apps.delete_namespaced_deployment("sleeper", kube_namespace)

    def nothing_left():
        rs = apps.list_namespaced_replica_set(kube_namespace).items
        pods = core.list_namespaced_pod(kube_namespace).items
        return not rs and not pods

    wait_for(nothing_left, 60, "ReplicaSets and pods of the deleted Deployment gone")


def _status_write_keeps_spec_and_labels(apps, namespace: str) -> None:
    """A /status write takes annotations but keeps spec and labels, without a generation bump."""
    body = {
        "metadata": {"labels": {"status-write": "yes"}, "annotations": {"example.com/note": "x"}},
        "spec": {"replicas": 5},
    }
    after = apps.patch_namespaced_deployment_status("sleeper", namespace, body)
    assert after.metadata.annotations["example.com/note"] == "x"
    assert "status-write" not in (after.metadata.labels or {})
    assert (after.spec.replicas, after.metadata.generation) == (1, 1)
