"""The controllers and kubelet converge while the API server injects errors and drops watches."""

from __future__ import annotations

import pytest
from sandbox_workloads import (
    Sandbox,
    conditions,
    deployment,
    namespace,
    sandbox,
    wait_for,
    web_container,
)

__all__ = ["namespace", "sandbox"]
pytestmark = pytest.mark.slow


def test_a_rollout_converges_through_injected_faults_without_extra_pods(
    sandbox: Sandbox, namespace: str
) -> None:
    sandbox.apply(namespace, deployment("steady", [web_container()], replicas=2))
    sandbox.kubectl("rollout", "status", "deployment/steady", "-n", namespace, "--timeout=60s")
    sandbox.control.set_faults(rate=0.2, codes=[500, 503, 409, 429], drop_watch_after=2)
    try:
        patch = {"spec": {"template": {"metadata": {"annotations": {"rev": "2"}}}}}
        wait_for(
            lambda: sandbox.apps.patch_namespaced_deployment("steady", namespace, patch),
            "the template change to be accepted",
        )

        def rolled_out() -> bool:
            deploy = sandbox.apps.read_namespaced_deployment("steady", namespace)
            status = deploy.status
            return status.observed_generation == deploy.metadata.generation and (
                status.updated_replicas,
                status.replicas,
                status.available_replicas,
            ) == (2, 2, 2)

        wait_for(rolled_out, "the rollout to finish despite the faults", 60)
    finally:
        sandbox.control.clear_faults()
    sets = sandbox.apps.list_namespaced_replica_set(namespace).items
    assert sorted(rs.spec.replicas for rs in sets) == [0, 2]
    wait_for(
        lambda: len(sandbox.core.list_namespaced_pod(namespace).items) == 2,
        "exactly the two new pods (no duplicates from retried writes)",
    )


def _finished_phases(sandbox: Sandbox, namespace: str, selector: str) -> list[str]:
    """The phases of the pods matching selector (reads are never faulted here)."""
    pods = sandbox.core.list_namespaced_pod(namespace, label_selector=selector).items
    return [p.status.phase for p in pods]


def test_a_job_and_a_rollout_complete_while_writes_fail(sandbox: Sandbox, namespace: str) -> None:
    """Half the PATCHes fail (500, or 409 that is not retried): final pod statuses still land."""
    sandbox.apply(namespace, deployment("web", [web_container()], replicas=2))
    sandbox.kubectl("rollout", "status", "deployment/web", "-n", namespace, "--timeout=60s")
    sandbox.control.set_faults(rate=0.5, codes=[500, 409], methods=["PATCH"])
    try:
        task = {"name": "task", "image": "sandbox.test/task:1", "args": ["--message", "done"]}
        pod_spec = {"restartPolicy": "Never", "containers": [task]}
        job = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "batch"},
            "spec": {"completions": 4, "parallelism": 4, "template": {"spec": pod_spec}},
        }
        sandbox.apply(namespace, job)
        patch = {"spec": {"template": {"metadata": {"annotations": {"rev": "2"}}}}}
        wait_for(
            lambda: sandbox.apps.patch_namespaced_deployment("web", namespace, patch),
            "the template change to be accepted",
        )
        sandbox.kubectl("rollout", "status", "deployment/web", "-n", namespace, "--timeout=90s")
        wait_for(
            lambda: conditions(sandbox.batch.read_namespaced_job("batch", namespace)).get(
                "Complete"
            ),
            "the Job to complete despite the faults",
            90,
        )
        phases = _finished_phases(sandbox, namespace, "job-name=batch")
        assert phases == ["Succeeded"] * 4
        web = _finished_phases(sandbox, namespace, "app=web")
        wait_for(
            lambda: _finished_phases(sandbox, namespace, "app=web") == ["Running"] * 2,
            f"only the two new web pods, Running (had {web})",
        )
    finally:
        sandbox.control.clear_faults()
