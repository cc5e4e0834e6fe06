"""Deployments on the sandbox: real processes behind a NodePort, rollouts, failures, deletion."""

from __future__ import annotations

import contextlib
import json
import threading
from typing import Any

import pytest
from kubernetes import watch
from sandbox_workloads import (
    Sandbox,
    conditions,
    container_pid,
    deployment,
    http_get,
    namespace,
    pid_alive,
    sandbox,
    wait_for,
    web_container,
)

__all__ = ["namespace", "sandbox"]
pytestmark = pytest.mark.slow


STUBBORN = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)"


def node_port_service(name: str) -> dict[str, Any]:
    """A NodePort Service for app=<name> targeting the named port."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {
            "type": "NodePort",
            "selector": {"app": name},
            "ports": [{"port": 80, "targetPort": "http"}],
        },
    }


def test_deployment_serves_http_through_its_node_port_and_rolls_out(
    sandbox: Sandbox, namespace: str
) -> None:
    web = web_container(env=[*web_container()["env"], {"name": "MESSAGE", "value": "v1"}])
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    sandbox.apply(
        namespace, deployment("web", [web], replicas=2, strategy=strategy), node_port_service("web")
    )
    sandbox.kubectl("rollout", "status", "deployment/web", "-n", namespace, "--timeout=60s")
    node_port = sandbox.core.read_namespaced_service("web", namespace).spec.ports[0].node_port
    answers = [json.loads(http_get(node_port)[1]) for _ in range(6)]
    assert {a["message"] for a in answers} == {"v1"}
    assert {a["greeting"] for a in answers} == {"hello"}  # from the catalog's env
    assert len({a["pod"] for a in answers}) == 2  # both Ready pods serve
    deploy = sandbox.apps.read_namespaced_deployment("web", namespace)
    assert (
        deploy.status.replicas,
        deploy.status.ready_replicas,
        deploy.status.updated_replicas,
    ) == (2, 2, 2)
    assert deploy.metadata.annotations["deployment.kubernetes.io/revision"] == "1"
    # the controller writes the revision through /status: generation stays 1, as on a real cluster
    assert (deploy.metadata.generation, deploy.status.observed_generation) == (1, 1)
    first = sandbox.apps.list_namespaced_replica_set(namespace).items
    assert len(first) == 1
    rs_hash = first[0].metadata.labels["pod-template-hash"]
    assert first[0].metadata.name == f"web-{rs_hash}"
    assert first[0].metadata.owner_references[0].controller

    ready_counts: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            status = sandbox.apps.read_namespaced_deployment_status("web", namespace).status
            ready_counts.append(status.available_replicas or 0)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        sandbox.kubectl("set", "env", "deployment/web", "-n", namespace, "MESSAGE=v2")
        sandbox.kubectl("rollout", "status", "deployment/web", "-n", namespace, "--timeout=60s")
    finally:
        stop.set()
        sampler.join()
    assert min(ready_counts) >= 2  # maxUnavailable 0: never below the desired count
    assert {json.loads(http_get(node_port)[1])["message"] for _ in range(4)} == {"v2"}
    sets = {
        rs.metadata.annotations["deployment.kubernetes.io/revision"]: rs
        for rs in sandbox.apps.list_namespaced_replica_set(namespace).items
    }
    assert sets["1"].spec.replicas == 0
    assert sets["2"].spec.replicas == 2
    deploy = sandbox.apps.read_namespaced_deployment("web", namespace)
    assert deploy.metadata.annotations["deployment.kubernetes.io/revision"] == "2"
    assert (deploy.metadata.generation, deploy.status.observed_generation) == (2, 2)
    assert conditions(deploy)["Progressing"].reason == "NewReplicaSetAvailable"
    assert conditions(deploy)["Available"].status == "True"


def test_recreate_ends_every_old_process_before_a_new_pod_exists(
    sandbox: Sandbox, namespace: str
) -> None:
    stubborn = {  # ignores SIGTERM: it ends only with SIGKILL after the 2 s grace period
        "name": "stubborn",
        "image": "sandbox.test/task:1",
        "command": ["python", "-c", STUBBORN],
    }
    manifest = deployment(
        "rec", [stubborn], replicas=2, strategy={"type": "Recreate"}, minReadySeconds=0
    )
    manifest["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 2
    sandbox.apply(namespace, manifest)
    sandbox.kubectl("rollout", "status", "deployment/rec", "-n", namespace, "--timeout=60s")
    listing = sandbox.core.list_namespaced_pod(namespace)
    old_pids = [container_pid(p) for p in listing.items]
    events: list[tuple[str, str, bool]] = []

    def record() -> None:
        stream = watch.Watch().stream(
            sandbox.core.list_namespaced_pod,
            namespace,
            resource_version=listing.metadata.resource_version,
            timeout_seconds=30,
        )
        with contextlib.closing(stream):
            for event in stream:
                alive = any(pid_alive(p) for p in old_pids)
                labels = event["object"].metadata.labels
                events.append((event["type"], labels["pod-template-hash"], alive))
                if sum(1 for e in events if e[0] == "ADDED") == 2:
                    return

    watcher = threading.Thread(target=record)
    watcher.start()
    sandbox.kubectl("set", "env", "deployment/rec", "-n", namespace, "MESSAGE=v2")
    sandbox.kubectl("rollout", "status", "deployment/rec", "-n", namespace, "--timeout=60s")
    watcher.join(timeout=30)
    old_hash = listing.items[0].metadata.labels["pod-template-hash"]
    added = [e for e in events if e[0] == "ADDED"]
    assert [e[1] != old_hash for e in added] == [True, True]
    assert not any(e[2] for e in added)  # no old process was alive when a new pod appeared
    first_new = events.index(added[0])
    deleted_old = [i for i, e in enumerate(events) if e[0] == "DELETED" and e[1] == old_hash]
    assert len(deleted_old) == 2
    assert max(deleted_old) < first_new


def test_deleting_a_deployment_removes_its_replicasets_pods_and_processes(
    sandbox: Sandbox, namespace: str
) -> None:
    sandbox.apply(namespace, deployment("gone", [web_container()], replicas=2))
    sandbox.kubectl("rollout", "status", "deployment/gone", "-n", namespace, "--timeout=60s")
    pids = [container_pid(p) for p in sandbox.core.list_namespaced_pod(namespace).items]
    assert all(pid_alive(p) for p in pids)
    sandbox.kubectl("delete", "deployment", "gone", "-n", namespace)
    wait_for(
        lambda: not sandbox.apps.list_namespaced_replica_set(namespace).items,
        "the ReplicaSets to go",
    )
    wait_for(lambda: not sandbox.core.list_namespaced_pod(namespace).items, "the pods to go")
    wait_for(lambda: not any(pid_alive(p) for p in pids), "the processes to end", 15)


def test_a_crashing_image_backs_off_and_the_deployment_misses_its_deadline(
    sandbox: Sandbox, namespace: str
) -> None:
    crash = {
        "name": "c",
        "image": "sandbox.test/crash:1",
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }
    sandbox.apply(namespace, deployment("crash", [crash], progressDeadlineSeconds=2))

    def backing_off() -> Any:
        pods = sandbox.core.list_namespaced_pod(namespace).items
        status = (
            pods[0].status.container_statuses[0]
            if pods and pods[0].status.container_statuses
            else None
        )
        waiting = status and status.state.waiting
        return (
            status
            if waiting and waiting.reason == "CrashLoopBackOff" and status.restart_count >= 1
            else None
        )

    status = wait_for(backing_off, "CrashLoopBackOff")
    last = status.last_state.terminated
    assert (last.exit_code, last.reason) == (3, "Error")
    assert last.message.strip() == "crashing"  # FallbackToLogsOnError: this run's log only
    deploy = wait_for(
        lambda: (
            (d := sandbox.apps.read_namespaced_deployment("crash", namespace))
            and conditions(d).get("Progressing")
            and conditions(d)["Progressing"].reason == "ProgressDeadlineExceeded"
            and d
        ),
        "ProgressDeadlineExceeded",
    )
    assert conditions(deploy)["Progressing"].status == "False"
    assert conditions(deploy)["Available"].status == "False"

    def repeated_backoff() -> bool:
        events = sandbox.core.list_namespaced_event(namespace).items
        return any(e.reason == "BackOff" and (e.count or 0) >= 2 for e in events)

    wait_for(repeated_backoff, "one BackOff event counted twice (events are aggregated)")
    result = sandbox.kubectl(
        "rollout", "status", "deployment/crash", "-n", namespace, "--timeout=20s", check=False
    )
    assert result.returncode != 0
    assert "exceeded its progress deadline" in result.stderr


def test_an_image_missing_from_the_catalog_cannot_be_pulled(
    sandbox: Sandbox, namespace: str
) -> None:
    sandbox.kubectl("run", "lost", "-n", namespace, "--image=registry.example/nothing:1")
    seen: set[str] = set()

    def reasons() -> bool:
        pod = sandbox.core.read_namespaced_pod("lost", namespace)
        for status in pod.status.container_statuses or []:
            if status.state.waiting:
                seen.add(status.state.waiting.reason)
        return {"ErrImagePull", "ImagePullBackOff"} <= seen

    wait_for(reasons, "ErrImagePull then ImagePullBackOff")
    pod = sandbox.core.read_namespaced_pod("lost", namespace)
    assert pod.status.phase == "Pending"
    described = sandbox.kubectl("describe", "pod", "lost", "-n", namespace).stdout
    assert "Failed to pull image" in described


def test_rollout_history_and_undo_reuse_the_old_replicaset(
    sandbox: Sandbox, namespace: str
) -> None:
    sandbox.apply(namespace, deployment("undo", [web_container()], replicas=1))
    sandbox.kubectl("rollout", "status", "deployment/undo", "-n", namespace, "--timeout=60s")
    sandbox.kubectl("set", "env", "deployment/undo", "-n", namespace, "MESSAGE=v2")
    sandbox.kubectl(
        "annotate", "deployment/undo", "-n", namespace, "kubernetes.io/change-cause=set v2"
    )
    sandbox.kubectl("rollout", "status", "deployment/undo", "-n", namespace, "--timeout=60s")
    history = sandbox.kubectl("rollout", "history", "deployment/undo", "-n", namespace).stdout
    assert "set v2" in history
    sandbox.kubectl("rollout", "undo", "deployment/undo", "-n", namespace)
    sandbox.kubectl("rollout", "status", "deployment/undo", "-n", namespace, "--timeout=60s")
    sets = sandbox.apps.list_namespaced_replica_set(namespace).items
    assert len(sets) == 2  # the first ReplicaSet came back, no third one
    revisions = {rs.metadata.annotations["deployment.kubernetes.io/revision"]: rs for rs in sets}
    assert sorted(revisions) == ["2", "3"]
    assert revisions["3"].spec.replicas == 1
    assert "MESSAGE" not in str(revisions["3"].spec.template.spec.containers[0].env)


def test_a_paused_deployment_scales_but_does_not_roll_out_until_resumed(
    sandbox: Sandbox, namespace: str
) -> None:
    sandbox.apply(namespace, deployment("held", [web_container()], replicas=1))
    sandbox.kubectl("rollout", "status", "deployment/held", "-n", namespace, "--timeout=60s")
    sandbox.kubectl("rollout", "pause", "deployment/held", "-n", namespace)
    sandbox.kubectl("set", "env", "deployment/held", "-n", namespace, "MESSAGE=v2")
    sandbox.kubectl("scale", "deployment/held", "-n", namespace, "--replicas=2")
    wait_for(
        lambda: (
            sandbox.apps.read_namespaced_deployment("held", namespace).status.ready_replicas == 2
        ),
        "two ready replicas of the old template",
    )
    assert len(sandbox.apps.list_namespaced_replica_set(namespace).items) == 1
    held = sandbox.apps.read_namespaced_deployment("held", namespace)
    assert (conditions(held)["Progressing"].status, conditions(held)["Progressing"].reason) == (
        "Unknown",
        "DeploymentPaused",
    )
    sandbox.kubectl("rollout", "resume", "deployment/held", "-n", namespace)
    sandbox.kubectl("rollout", "status", "deployment/held", "-n", namespace, "--timeout=60s")
    sets = sandbox.apps.list_namespaced_replica_set(namespace).items
    assert sorted(rs.spec.replicas for rs in sets) == [0, 2]
