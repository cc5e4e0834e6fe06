"""Jobs on the sandbox: completion, termination messages, back-off limit, deadline, PVC data."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_workloads import (
    Sandbox,
    conditions,
    container_pid,
    namespace,
    pid_alive,
    sandbox,
    wait_for,
)

__all__ = ["namespace", "sandbox"]
pytestmark = pytest.mark.slow


def job(
    name: str, args: list[str], image: str = "sandbox.test/task:1", **spec: Any
) -> dict[str, Any]:
    """A Job running the test task image (PVC `data` mounted at /data when it exists)."""
    container: dict[str, Any] = {"name": "task", "image": image, "args": args}
    pod_spec: dict[str, Any] = {
        "restartPolicy": spec.pop("restartPolicy", "Never"),
        "containers": [container],
    }
    if spec.pop("with_claim", False):
        pod_spec["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]
        container["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
    container.update(spec.pop("container", {}))
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {"template": {"spec": pod_spec}, **spec},
    }


def terminated(sandbox: Sandbox, namespace: str, job_name: str) -> list[Any]:
    """The terminated states of the job's pods."""
    pods = sandbox.core.list_namespaced_pod(namespace, label_selector=f"job-name={job_name}").items
    return [
        s.state.terminated
        for p in pods
        for s in p.status.container_statuses or []
        if s.state.terminated
    ]


def test_a_job_completes_and_a_file_it_wrote_to_a_claim_is_read_by_a_later_pod(
    sandbox: Sandbox, namespace: str
) -> None:
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    writer_args = [
        "--append",
        "/data/notes/out.txt",
        "written-by-writer",
        "--message",
        "wrote",
        "--message-file",
        "/dev/termination-log",
    ]
    sandbox.apply(namespace, claim, job("writer", writer_args, with_claim=True))
    sandbox.kubectl(
        "wait", "--for=condition=complete", "job/writer", "-n", namespace, "--timeout=60s"
    )
    done = sandbox.batch.read_namespaced_job("writer", namespace)
    assert done.status.succeeded == 1
    assert done.status.completion_time is not None
    assert done.status.start_time is not None
    assert not done.status.active
    for kind in ("SuccessCriteriaMet", "Complete"):
        assert (conditions(done)[kind].status, conditions(done)[kind].reason) == (
            "True",
            "CompletionsReached",
        )
    pod = sandbox.core.list_namespaced_pod(namespace, label_selector="job-name=writer").items[0]
    assert pod.metadata.labels["controller-uid"] == done.metadata.uid
    assert pod.status.phase == "Succeeded"
    state = pod.status.container_statuses[0].state.terminated
    assert (state.exit_code, state.reason, state.message) == (0, "Completed", "wrote")
    assert (
        sandbox.core.read_namespaced_persistent_volume_claim("data", namespace).status.phase
        == "Bound"
    )

    sandbox.kubectl("delete", "job", "writer", "-n", namespace)
    sandbox.apply(
        namespace,
        job(
            "reader",
            ["--read", "/data/notes/out.txt", "--message-file", "/dev/termination-log"],
            with_claim=True,
        ),
    )
    sandbox.kubectl(
        "wait", "--for=condition=complete", "job/reader", "-n", namespace, "--timeout=60s"
    )
    assert [t.message for t in terminated(sandbox, namespace, "reader")] == ["written-by-writer\n"]


def test_a_failing_job_stops_at_its_backoff_limit(sandbox: Sandbox, namespace: str) -> None:
    args = ["--message", "", "--exit", "2"]
    fallback = {"terminationMessagePolicy": "FallbackToLogsOnError"}
    sandbox.apply(namespace, job("failer", args, backoffLimit=1, container=fallback))
    sandbox.kubectl(
        "wait", "--for=condition=failed", "job/failer", "-n", namespace, "--timeout=60s"
    )
    failed = sandbox.batch.read_namespaced_job("failer", namespace)
    assert failed.status.failed == 2
    assert failed.status.completion_time is None
    for kind in ("FailureTarget", "Failed"):
        assert (conditions(failed)[kind].status, conditions(failed)[kind].reason) == (
            "True",
            "BackoffLimitExceeded",
        )
    states = terminated(sandbox, namespace, "failer")
    assert [(s.exit_code, s.reason) for s in states] == [(2, "Error"), (2, "Error")]
    assert all("task done" in s.message for s in states)  # the log tail, as nothing was written


def test_a_job_past_its_active_deadline_fails_and_its_process_ends(
    sandbox: Sandbox, namespace: str
) -> None:
    sleeper = {"command": ["python", "-c", "import time; time.sleep(120)"]}
    sandbox.apply(namespace, job("slow", [], activeDeadlineSeconds=2, container=sleeper))
    pod = wait_for(
        lambda: next(
            (
                p
                for p in sandbox.core.list_namespaced_pod(namespace).items
                if p.status.container_statuses and p.status.container_statuses[0].container_id
            ),
            None,
        ),
        "the job's pod to run",
    )
    pid = container_pid(pod)
    sandbox.kubectl("wait", "--for=condition=failed", "job/slow", "-n", namespace, "--timeout=60s")
    assert (
        conditions(sandbox.batch.read_namespaced_job("slow", namespace))["Failed"].reason
        == "DeadlineExceeded"
    )
    wait_for(lambda: not pid_alive(pid), "the job's process to end", 15)


def test_on_failure_restarts_in_place_until_the_backoff_limit(
    sandbox: Sandbox, namespace: str
) -> None:
    sandbox.apply(
        namespace, job("again", ["--exit", "1"], backoffLimit=2, restartPolicy="OnFailure")
    )
    sandbox.kubectl("wait", "--for=condition=failed", "job/again", "-n", namespace, "--timeout=60s")
    failed = sandbox.batch.read_namespaced_job("again", namespace)
    assert conditions(failed)["Failed"].reason == "BackoffLimitExceeded"
    pods = sandbox.core.list_namespaced_pod(namespace, label_selector="job-name=again").items
    assert len(pods) <= 1  # one pod, restarted in place (then removed when the job failed)


def test_a_finished_job_is_deleted_after_its_ttl(sandbox: Sandbox, namespace: str) -> None:
    sandbox.apply(namespace, job("brief", [], ttlSecondsAfterFinished=1))
    sandbox.kubectl(
        "wait", "--for=condition=complete", "job/brief", "-n", namespace, "--timeout=60s"
    )
    wait_for(lambda: not sandbox.batch.list_namespaced_job(namespace).items, "the job to expire")
    wait_for(lambda: not sandbox.core.list_namespaced_pod(namespace).items, "its pod to go")
