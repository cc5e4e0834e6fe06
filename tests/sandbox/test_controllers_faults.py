"""The controllers and kubelet converge while the API server injects errors and drops watches."""

from __future__ import annotations

import pytest
from sandbox_workloads import Sandbox, deployment, namespace, sandbox, wait_for, web_container

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
