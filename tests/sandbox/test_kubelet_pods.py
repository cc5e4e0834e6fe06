"""Pods on the sandbox's process kubelet: env, volumes, ports, probes, termination."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from sandbox_workloads import (
    Sandbox,
    container_pid,
    http_get,
    namespace,
    pid_alive,
    pod,
    pod_port,
    sandbox,
    wait_for,
    web_container,
)

from sandbox.kubelet.process.logs import read_log

__all__ = ["namespace", "sandbox"]
pytestmark = pytest.mark.slow


def ready_pod(sandbox: Sandbox, namespace: str, name: str) -> Any:
    """Wait until the pod is Ready; return it."""
    sandbox.kubectl(
        "wait", "--for=condition=Ready", f"pod/{name}", "-n", namespace, "--timeout=60s"
    )
    return sandbox.core.read_namespaced_pod(name, namespace)


def test_env_config_and_secret_files_reach_the_process_and_nothing_else(
    sandbox: Sandbox, namespace: str
) -> None:
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings"},
        "data": {"mode": "fast", "app.ini": "[app]\nx = 1\n"},
    }
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "creds"},
        "data": {"token": base64.b64encode(b"s3cret").decode()},
    }
    web = web_container(
        env=[
            *web_container()["env"],
            {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "mode"}}},
            {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token"}}},
            {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "FILE_TO_SERVE", "value": "/etc/app/app.ini"},
            {"name": "DB_URL", "value": "sqlite:////data/app.db"},
        ],
        volumeMounts=[
            {"name": "cfg", "mountPath": "/etc/app"},
            {"name": "scratch", "mountPath": "/data"},
        ],
    )
    volumes = [
        {"name": "cfg", "configMap": {"name": "settings"}},
        {"name": "scratch", "emptyDir": {}},
    ]
    sandbox.apply(namespace, config_map, secret, pod("envy", [web], volumes=volumes))
    running = ready_pod(sandbox, namespace, "envy")
    assert running.status.pod_ip == "127.0.0.1"
    port = pod_port(running, "http")
    assert pod_port(running, "8080") == port
    about = json.loads(http_get(port)[1])
    assert about["pod"] == "envy"
    assert set(about["env"]) == {
        "DB_URL",
        "FILE_TO_SERVE",
        "GREETING",
        "HOME",
        "LANG",
        "MODE",
        "NS",
        "PATH",
        "PORT",
        "POD_NAME",
        "TOKEN",
        # where the pod reaches the API server, as the kubelet sets for every container
        "KUBERNETES_SERVICE_HOST",
        "KUBERNETES_SERVICE_PORT",
        "KUBERNETES_SERVICE_PORT_HTTPS",
        "KUBERNETES_PORT",
    }
    assert http_get(port, "/file") == (200, "[app]\nx = 1\n")
    assert f"listening on {port}" in read_log(sandbox.data, running.to_dict(), "web")
    described = sandbox.kubectl("describe", "pod", "envy", "-n", namespace).stdout
    assert "s3cret" not in described


def test_a_failing_liveness_probe_restarts_the_container(sandbox: Sandbox, namespace: str) -> None:
    live = {
        "httpGet": {"path": "/healthz", "port": "http"},
        "initialDelaySeconds": 2,
        "periodSeconds": 1,
        "failureThreshold": 1,
    }
    sandbox.apply(namespace, pod("alive", [web_container(livenessProbe=live)]))
    first = ready_pod(sandbox, namespace, "alive")
    old_pid = container_pid(first)
    assert http_get(pod_port(first, "http"), "/sicken")[0] == 200

    def restarted() -> Any:
        status = sandbox.core.read_namespaced_pod("alive", namespace).status.container_statuses[0]
        return status if status.restart_count == 1 and status.ready else None

    status = wait_for(restarted, "a restart after the liveness failure")
    assert status.last_state.terminated.exit_code in (0, 143)  # SIGTERM, then the server exits
    assert not pid_alive(old_pid)
    assert container_pid(sandbox.core.read_namespaced_pod("alive", namespace)) != old_pid
    events = sandbox.core.list_namespaced_event(namespace).items
    assert {"Killing", "Started", "Scheduled", "Pulled", "Created"} <= {e.reason for e in events}
    unhealthy = [e.message for e in events if e.reason == "Unhealthy"]
    assert "Liveness probe failed: HTTP probe failed with statuscode: 500" in unhealthy


def test_deleting_a_pod_that_ignores_sigterm_kills_it_after_the_grace_period(
    sandbox: Sandbox, namespace: str
) -> None:
    stubborn = {
        "name": "stubborn",
        "image": "sandbox.test/task:1",
        "command": [
            "python",
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)",
        ],
    }
    sandbox.apply(namespace, pod("stubborn", [stubborn], terminationGracePeriodSeconds=2))
    running = ready_pod(sandbox, namespace, "stubborn")
    pid = container_pid(running)
    began = time.monotonic()
    sandbox.kubectl("delete", "pod", "stubborn", "-n", namespace, "--wait=true", "--timeout=30s")
    wait_for(lambda: not pid_alive(pid), "SIGKILL after the grace period", 15)
    took = time.monotonic() - began
    assert 1.5 <= took < 10  # SIGTERM was ignored; SIGKILL came after the 2 s grace period
    events = sandbox.core.list_namespaced_event(
        namespace, field_selector="involvedObject.name=stubborn"
    )
    assert "Killing" in {e.reason for e in events.items}


def test_init_containers_run_first_and_a_failed_one_fails_the_pod(
    sandbox: Sandbox, namespace: str
) -> None:
    shared = [{"name": "work", "mountPath": "/work"}]
    init = {
        "name": "prepare",
        "image": "sandbox.test/task:1",
        "args": ["--append", "/work/greeting.txt", "prepared"],
        "volumeMounts": shared,
    }
    web = web_container(
        env=[{"name": "FILE_TO_SERVE", "value": "/work/greeting.txt"}], volumeMounts=shared
    )
    volumes = [{"name": "work", "emptyDir": {}}]
    sandbox.apply(namespace, pod("inits", [web], initContainers=[init], volumes=volumes))
    running = ready_pod(sandbox, namespace, "inits")
    assert http_get(pod_port(running, "http"), "/file") == (200, "prepared\n")
    init_state = running.status.init_container_statuses[0].state.terminated
    assert (init_state.exit_code, init_state.reason) == (0, "Completed")

    broken = {**init, "name": "broken", "args": ["--exit", "4"]}
    spec = {"initContainers": [broken], "volumes": volumes, "restartPolicy": "Never"}
    sandbox.apply(namespace, pod("blocked", [web_container(volumeMounts=shared)], **spec))
    failed = wait_for(
        lambda: (
            (p := sandbox.core.read_namespaced_pod("blocked", namespace)).status.phase == "Failed"
            and p
        ),
        "the pod to fail on its init container",
    )
    assert failed.status.container_statuses[0].state.waiting.reason == "PodInitializing"
    initialized = next(c for c in failed.status.conditions if c.type == "Initialized")
    assert initialized.status == "False"


def test_a_program_that_cannot_start_is_a_start_error_and_backs_off(
    sandbox: Sandbox, namespace: str
) -> None:
    sandbox.apply(namespace, pod("broken", [{"name": "b", "image": "sandbox.test/broken:1"}]))

    def backing_off() -> Any:
        status = sandbox.core.read_namespaced_pod("broken", namespace).status
        container = (status.container_statuses or [None])[0]
        waiting = container and container.state.waiting
        return container if waiting and waiting.reason == "CrashLoopBackOff" else None

    container = wait_for(backing_off, "CrashLoopBackOff after a StartError")
    last = container.last_state.terminated
    assert (last.exit_code, last.reason) == (128, "StartError")
    assert "no-such-program" in last.message


def test_a_pod_past_its_active_deadline_is_stopped_and_failed(
    sandbox: Sandbox, namespace: str
) -> None:
    sandbox.apply(namespace, pod("short", [web_container()], activeDeadlineSeconds=2))
    pid = container_pid(ready_pod(sandbox, namespace, "short"))
    failed = wait_for(
        lambda: (
            (p := sandbox.core.read_namespaced_pod("short", namespace)).status.phase == "Failed"
            and p
        ),
        "the pod to fail at its deadline",
    )
    assert failed.status.reason == "DeadlineExceeded"
    assert not pid_alive(pid)


def test_exec_and_tcp_probes_see_volumes_at_their_container_paths(
    sandbox: Sandbox, namespace: str
) -> None:
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "flags"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Mi"}}},
    }
    check = "import os, sys; sys.exit(0 if os.path.exists(sys.argv[1]) else 1)"
    web = web_container(
        readinessProbe={
            "exec": {"command": ["python", "-c", check, "/flags/ready"]},
            "periodSeconds": 1,
        },
        # the startup probe gates readiness: Ready proves the containerPort number resolved
        startupProbe={"tcpSocket": {"port": 8080}, "periodSeconds": 1, "failureThreshold": 20},
        volumeMounts=[{"name": "flags", "mountPath": "/flags"}],
    )
    volumes = [{"name": "flags", "persistentVolumeClaim": {"claimName": "flags"}}]
    sandbox.apply(namespace, claim, pod("probed", [web], volumes=volumes))

    def running() -> Any:
        status = sandbox.core.read_namespaced_pod("probed", namespace).status
        containers = status.container_statuses or []
        return containers and containers[0].state.running and status

    status = wait_for(running, "the container to run")
    assert not status.container_statuses[0].ready  # /flags/ready does not exist yet
    [folder] = sandbox.data.glob(f"storage/pvc-*_{namespace}_flags")  # local-path's naming
    (folder / "ready").write_text("yes")
    probed = ready_pod(sandbox, namespace, "probed")
    assert probed.status.container_statuses[0].started
    assert probed.status.container_statuses[0].restart_count == 0


IN_CLUSTER = """
import os, sys
from kubernetes import client, config
api = client.CoreV1Api(config.new_client_from_config(os.environ["KUBECONFIG"]))
pods = api.list_namespaced_pod(os.environ["NS"])
open(sys.argv[1], "w").write(" ".join(p.metadata.name for p in pods.items))
"""


def test_a_pod_given_the_kubeconfig_in_a_secret_reaches_the_api(
    sandbox: Sandbox, namespace: str
) -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "kube"},
        "stringData": {"config": sandbox.kubeconfig.read_text()},
    }
    client_container = {
        "name": "client",
        "image": "sandbox.test/task:1",
        "command": ["python", "-c", IN_CLUSTER, "/dev/termination-log"],
        "env": [
            {"name": "KUBECONFIG", "value": "/etc/kube/config"},
            {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        ],
        "volumeMounts": [{"name": "kube", "mountPath": "/etc/kube"}],
    }
    volumes = [{"name": "kube", "secret": {"secretName": "kube"}}]
    sandbox.apply(
        namespace, secret, pod("inside", [client_container], volumes=volumes, restartPolicy="Never")
    )

    def finished() -> Any:
        status = sandbox.core.read_namespaced_pod("inside", namespace).status
        return status.phase in ("Succeeded", "Failed") and status

    status = wait_for(finished, "the pod to finish")
    assert status.phase == "Succeeded"
    assert status.container_statuses[0].state.terminated.message == "inside"


def test_a_sub_path_mount_sees_only_its_folder_of_the_claim(
    sandbox: Sandbox, namespace: str
) -> None:
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "shared"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Mi"}}},
    }
    volumes = [{"name": "data", "persistentVolumeClaim": {"claimName": "shared"}}]

    def writer(name: str, sub: str) -> dict[str, Any]:
        task = {
            "name": "task",
            "image": "sandbox.test/task:1",
            "args": ["--append", "/data/written.txt", name],
            "volumeMounts": [{"name": "data", "mountPath": "/data", "subPath": sub}],
        }
        return pod(name, [task], volumes=volumes, restartPolicy="Never")

    sandbox.apply(namespace, claim, writer("inside", "scratch/one"), writer("escape", "../x"))
    wait_for(
        lambda: sandbox.core.read_namespaced_pod("inside", namespace).status.phase == "Succeeded",
        "the pod writing through its subPath to end",
    )
    uid = sandbox.core.read_namespaced_persistent_volume_claim("shared", namespace).metadata.uid
    folder = sandbox.data / "storage" / f"pvc-{uid}_{namespace}_shared"  # local-path's name
    assert (folder / "scratch" / "one" / "written.txt").read_text() == "inside\n"
    assert not (folder / "written.txt").exists()

    def refused() -> Any:
        statuses = sandbox.core.read_namespaced_pod("escape", namespace).status.container_statuses
        waiting = statuses and statuses[0].state.waiting
        return waiting and waiting.reason == "CreateContainerConfigError" and waiting

    assert "subPath '../x'" in wait_for(refused, "the escaping subPath to be refused").message
    assert not (folder.parent / "x").exists()
