"""The docker runtime: pods from the real images in the project's engine, with Kubernetes'
semantics (command/args, env, volumes and their owners, the security context, limits, probes,
restarts, termination, logs, exec and port-forward), in network namespaces of their own.

One sandbox for the module; nothing is mocked: the pods are containers of the engine, reached
through kubectl and the API as on a cluster.
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from docker_support import (
    APP_IMAGE,
    base_image,
    docker_sandbox,
    engine_or_fail,
    exec_in,
    state_of,
    wait_state,
)
from sandbox_workloads import KUBECTL, Sandbox, deployment, namespace, pod, wait_for
from support.engine import left_behind

from sandbox.client.objects import HOST_PORTS_ANNOTATION as HOST_PORTS

__all__ = ["namespace"]
pytestmark = pytest.mark.slow
SECRET_KEY = "docker-runtime-test-secret-key-0123456789"


@pytest.fixture(scope="module")
def engine_env() -> dict[str, str]:
    """The engine's environment (the test fails in one line without it)."""
    return engine_or_fail()


@pytest.fixture(scope="module")
def sandbox(
    tmp_path_factory: pytest.TempPathFactory, engine_env: dict[str, str]
) -> Iterator[Sandbox]:
    """The module's sandbox on the docker runtime; it leaves nothing in the engine."""
    with docker_sandbox(tmp_path_factory.mktemp("docker"), engine_env) as running:
        pid = running.control.process.pid
        yield running
    assert left_behind(engine_env, f"dev.myfoodbudget.sandbox.pid={pid}") == []


@pytest.fixture(scope="module")
def base(engine_env: dict[str, str]) -> str:
    """The Python base image (runs as root)."""
    return base_image(engine_env)


def app(**extra: Any) -> dict[str, Any]:
    """The real app image on its real port 8000 with a readiness probe."""
    container = {
        "name": "app",
        "image": APP_IMAGE,
        "env": [
            {"name": "SECRET_KEY", "value": SECRET_KEY},
            {"name": "DATABASE_URL", "value": "sqlite:////data/app.db"},
        ],
        "ports": [{"name": "http", "containerPort": 8000}],
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 1},
        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
    }
    container.update(extra)
    return container


def test_command_args_and_env_follow_kubernetes_over_the_image(
    sandbox: Sandbox, namespace: str, base: str
) -> None:
    settings = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings"},
        "data": {"MODE": "fast"},
    }
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "creds"},
        "data": {"token": base64.b64encode(b"s3cret").decode()},
    }
    script = (
        "import os, sys; print(sys.argv[1:], os.environ['GREETING'], os.environ['MODE'], "
        "os.environ['TOKEN'], os.environ['KUBERNETES_SERVICE_HOST'], os.getuid())"
    )
    env = [
        {"name": "NAME", "value": "cook"},
        {"name": "GREETING", "value": "hello $(NAME) $$(NAME)"},
        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token"}}},
    ]
    printer = {
        "name": "c",
        "image": APP_IMAGE,
        "command": ["python", "-c", script],
        "args": ["$(NAME)", "x"],
        "env": env,
        "envFrom": [{"configMapRef": {"name": "settings"}}],
    }
    # args alone replace the image's CMD (the base has no ENTRYPOINT)
    args_only = {"name": "c", "image": base, "args": ["sh", "-c", "echo args-only $(id -u)"]}
    sandbox.apply(
        namespace,
        settings,
        secret,
        pod("printer", [printer], restartPolicy="Never"),
        pod("argsonly", [args_only], restartPolicy="Never"),
    )
    wait_state(sandbox, namespace, "printer", "terminated", exit_code=0)
    wait_state(sandbox, namespace, "argsonly", "terminated", exit_code=0)
    logs = sandbox.kubectl("logs", "-n", namespace, "printer").stdout
    assert logs.strip() == "['cook', 'x'] hello cook $(NAME) fast s3cret 127.0.0.1 10001"
    assert sandbox.kubectl("logs", "-n", namespace, "argsonly").stdout.strip() == "args-only 0"
    found = sandbox.core.read_namespaced_pod("printer", namespace).status.container_statuses[0]
    assert found.container_id.startswith("docker://")
    assert found.image_id.startswith("docker://sha256:")


def test_volumes_have_the_owners_and_modes_of_a_kubelet(sandbox: Sandbox, namespace: str) -> None:
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "key"},
        "stringData": {"key": "k"},
    }
    container = app(
        volumeMounts=[
            {"name": "data", "mountPath": "/data"},
            {"name": "scratch", "mountPath": "/scratch"},
            {"name": "small", "mountPath": "/small"},
            {"name": "key", "mountPath": "/etc/key"},
        ]
    )
    volumes = [
        {"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
        {"name": "scratch", "emptyDir": {}},
        {"name": "small", "emptyDir": {"sizeLimit": "1Mi"}},
        {"name": "key", "secret": {"secretName": "key", "defaultMode": 0o440}},
    ]
    sandbox.apply(
        namespace,
        claim,
        secret,
        pod("files", [container], volumes=volumes, securityContext={"fsGroup": 3000}),
    )
    sandbox.kubectl("wait", "-n", namespace, "--for=condition=Ready", "pod/files", "--timeout=90s")
    uid = sandbox.core.read_namespaced_persistent_volume_claim("data", namespace).metadata.uid
    folder = sandbox.data / "storage" / f"pvc-{uid}_{namespace}_data"  # local-path's naming
    assert oct(folder.stat().st_mode & 0o7777) == "0o777"
    assert folder.joinpath("app.db").stat().st_uid == 10001  # the app migrated it as its user
    shown = exec_in(
        sandbox,
        namespace,
        "files",
        "sh",
        "-c",
        "id -G; touch /scratch/f /small/f; stat -c '%g %a' /scratch/f /etc/key/key; "
        "head -c 2000000 /dev/zero > /small/big 2>&1 || echo full",
    )
    lines = shown.splitlines()
    assert "3000" in lines[0].split()  # fsGroup among the groups
    assert lines[1] == "3000 644"  # emptyDir: setgid folder of the fsGroup
    assert lines[2] == "3000 440"  # the Secret file: its defaultMode, the fsGroup's group
    assert "full" in shown  # sizeLimit enforced: a tmpfs of 1Mi


def test_security_context_and_limits_reach_the_container(sandbox: Sandbox, namespace: str) -> None:
    hardened = app(
        resources={"limits": {"memory": "200Mi", "cpu": "500m"}},
        securityContext={
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        volumeMounts=[{"name": "data", "mountPath": "/data"}, {"name": "tmp", "mountPath": "/tmp"}],
    )
    volumes = [{"name": "data", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}]
    sandbox.apply(namespace, pod("hardened", [hardened], volumes=volumes))
    sandbox.kubectl(
        "wait", "-n", namespace, "--for=condition=Ready", "pod/hardened", "--timeout=90s"
    )
    shown = exec_in(
        sandbox,
        namespace,
        "hardened",
        "sh",
        "-c",
        "grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; touch /x 2>&1; "
        "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us",
    )
    assert "CapEff:\t0000000000000000" in shown
    assert "NoNewPrivs:\t1" in shown
    assert "Read-only file system" in shown
    assert str(200 * 2**20) in shown.split()
    assert "50000" in shown.split()  # half of the 100 ms period


def test_root_images_are_refused_with_run_as_non_root_and_missing_images_back_off(
    sandbox: Sandbox, namespace: str, base: str
) -> None:
    rooted = {"name": "c", "image": base, "command": ["sleep", "60"]}
    missing = {"name": "c", "image": "ghcr.io/e2e/not-in-any-engine:1"}
    sandbox.apply(
        namespace,
        pod("rooted", [rooted], securityContext={"runAsNonRoot": True}),
        pod("missing", [missing]),
    )
    refused = wait_state(
        sandbox, namespace, "rooted", "waiting", reason="CreateContainerConfigError"
    )
    assert refused["message"].startswith("container has runAsNonRoot and image will run as root")
    pulled = wait_state(sandbox, namespace, "missing", "waiting", reason="ErrImagePull")
    assert "never pulls" in pulled["message"]
    wait_state(sandbox, namespace, "missing", "waiting", reason="ImagePullBackOff")


def restarts(sandbox: Sandbox, namespace: str, name: str) -> int:
    """The first container's restartCount (0 before it ran)."""
    statuses = sandbox.core.read_namespaced_pod(name, namespace).status.container_statuses
    return int(statuses[0].restart_count) if statuses else 0


def test_crash_loop_keeps_the_previous_log_and_the_termination_message(
    sandbox: Sandbox, namespace: str, base: str
) -> None:
    # the first run writes a message and fails; the second one serves its log and stays up
    script = (
        "if [ -e /state/ran ]; then echo second run; exec sleep 600; fi; "
        "touch /state/ran; echo first run; echo bye > /dev/termination-log; exit 3"
    )
    crash = {
        "name": "c",
        "image": base,
        "command": ["sh", "-c", script],
        "volumeMounts": [{"name": "state", "mountPath": "/state"}],
    }
    fallback = {
        "name": "c",
        "image": base,
        "command": ["sh", "-c", "echo from the log; exit 4"],
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }
    volumes = [{"name": "state", "emptyDir": {}}]
    sandbox.apply(
        namespace,
        pod("crash", [crash], volumes=volumes),
        pod("fallback", [fallback], restartPolicy="Never"),
    )
    wait_for(lambda: restarts(sandbox, namespace, "crash") == 1, "one restart", timeout=60)
    wait_state(sandbox, namespace, "crash", "running")
    last = state_of(sandbox, namespace, "crash", "last_state")["terminated"]
    assert (last["exit_code"], last["reason"], last["message"]) == (3, "Error", "bye\n")
    wait_for(lambda: sandbox.kubectl("logs", "-n", namespace, "crash").stdout, "the second log")
    assert sandbox.kubectl("logs", "-n", namespace, "crash").stdout == "second run\n"
    previous = sandbox.kubectl("logs", "-n", namespace, "crash", "--previous").stdout
    assert previous == "first run\n"
    ended = wait_state(sandbox, namespace, "fallback", "terminated", exit_code=4)
    assert ended["message"] == "from the log\n"  # the last lines of the log, as they are


def test_a_container_over_its_memory_limit_is_oomkilled_and_restarted(
    sandbox: Sandbox, namespace: str, base: str
) -> None:
    hog = {
        "name": "c",
        "image": base,
        "command": ["python3", "-c", "x = bytearray(300 * 2**20)"],
        "resources": {"limits": {"memory": "64Mi"}},
    }
    sandbox.apply(namespace, pod("hog", [hog]))

    def restarted_after_oom() -> Any:
        last = state_of(sandbox, namespace, "hog", "last_state").get("terminated")
        return restarts(sandbox, namespace, "hog") >= 1 and last

    last = wait_for(restarted_after_oom, "an OOMKilled run counted as a restart", timeout=60)
    assert (last["reason"], last["exit_code"]) == ("OOMKilled", 137)


def test_grace_period_sigterm_then_sigkill(sandbox: Sandbox, namespace: str, base: str) -> None:
    polite = "import signal, sys, time; signal.signal(15, lambda *a: sys.exit(0)); time.sleep(600)"
    stubborn = "import signal, time; signal.signal(15, signal.SIG_IGN); time.sleep(600)"
    containers = [
        {"name": "polite", "image": base, "command": ["python3", "-c", polite]},
        {"name": "stubborn", "image": base, "command": ["python3", "-c", stubborn]},
    ]
    # the deadline stops the containers with the grace period and keeps the pod to read; it
    # leaves both time to start on a loaded machine (one that never ran would stay waiting)
    sandbox.apply(
        namespace,
        pod(
            "graceful",
            containers,
            activeDeadlineSeconds=15,
            terminationGracePeriodSeconds=1,
            restartPolicy="Never",
        ),
    )

    def states(kind: str) -> dict[str, Any]:
        found = sandbox.core.read_namespaced_pod("graceful", namespace).status
        return {s.name: getattr(s.state, kind) for s in found.container_statuses or []}

    def both(kind: str) -> dict[str, Any] | None:
        found = states(kind)
        return found if len(found) == 2 and all(found.values()) else None

    wait_for(lambda: both("running"), "both containers running", timeout=60)
    ended = wait_for(lambda: both("terminated"), "both containers stopped", timeout=60)
    codes = {name: state.exit_code for name, state in ended.items()}
    assert codes == {"polite": 0, "stubborn": 137}


def test_two_replicas_listen_on_the_same_port_behind_a_service(
    sandbox: Sandbox, namespace: str
) -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {
            "type": "NodePort",
            "selector": {"app": "web"},
            "ports": [{"port": 80, "targetPort": "http"}],
        },
    }
    template = app(volumeMounts=[{"name": "data", "mountPath": "/data"}])
    web = deployment("web", [template], replicas=2)
    web["spec"]["template"]["spec"]["volumes"] = [{"name": "data", "emptyDir": {}}]
    sandbox.apply(namespace, web, service)
    sandbox.kubectl(
        "rollout", "status", "-n", namespace, "deployment/web", "--timeout=120s", timeout=150
    )
    port = sandbox.core.read_namespaced_service("web", namespace).spec.ports[0].node_port
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/version", timeout=5) as answer:
        assert "schema_version" in json.loads(answer.read())
    assert exec_in(sandbox, namespace, "deploy/web", "id", "-u").strip() == "10001"
    echoed = sandbox.kubectl(
        "exec", "-i", "-n", namespace, "deploy/web", "--", "cat", stdin="piped\n"
    )
    assert echoed.stdout == "piped\n"
    assert forwarded_version(sandbox, namespace, "svc/web", "80") == 200


def forwarded_version(sandbox: Sandbox, namespace: str, target: str, port: str) -> int:
    """`kubectl port-forward` on a free local port; the status of GET /version through it."""
    forward = subprocess.Popen(
        [
            str(KUBECTL),
            "--kubeconfig",
            str(sandbox.kubeconfig),
            "-n",
            namespace,
            "port-forward",
            target,
            f":{port}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert forward.stdout is not None
        line = forward.stdout.readline()  # "Forwarding from 127.0.0.1:PORT -> 8000"
        local = line.split("127.0.0.1:")[1].split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{local}/version", timeout=10) as answer:
            return int(answer.status)
    finally:
        forward.terminate()
        forward.communicate(timeout=10)


def test_an_annotated_namespace_lets_its_pods_reach_those_host_ports_only(
    sandbox: Sandbox, namespace: str, base: str
) -> None:
    # a server on the host's loopback, as a test's sshd or git server
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    sandbox.core.patch_namespace(namespace, {"metadata": {"annotations": {HOST_PORTS: str(port)}}})
    other = f"{namespace}-closed"
    sandbox.core.create_namespace({"metadata": {"name": other}})
    reach = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=5)"
    probe = {"name": "c", "image": base, "command": ["python3", "-c", reach]}
    try:
        for ns in (namespace, other):
            sandbox.apply(ns, pod("reach", [probe], restartPolicy="Never"))
        reached = wait_state(sandbox, namespace, "reach", "terminated")
        refused = wait_state(sandbox, other, "reach", "terminated")
    finally:
        server.close()
    assert reached["exit_code"] == 0, reached
    assert refused["exit_code"] == 1, refused  # ConnectionRefusedError: not reachable there


def test_exec_with_a_terminal(sandbox: Sandbox, namespace: str, base: str) -> None:
    sleeper = {"name": "c", "image": base, "command": ["sleep", "600"]}
    sandbox.apply(namespace, pod("shell", [sleeper]))
    sandbox.kubectl("wait", "-n", namespace, "--for=condition=Ready", "pod/shell", "--timeout=60s")
    # `script` gives kubectl a terminal, so -t is honoured
    command = f"{KUBECTL} --kubeconfig {sandbox.kubeconfig} -n {namespace} exec -it shell -- tty"
    done = subprocess.run(
        ["script", "-qec", command, "/dev/null"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "/dev/pts/" in done.stdout


def test_a_killed_sandbox_leaves_nothing_once_the_next_one_starts(
    tmp_path_factory: pytest.TempPathFactory, engine_env: dict[str, str], base: str
) -> None:
    with docker_sandbox(tmp_path_factory.mktemp("killed"), engine_env) as first:
        first.apply(
            "default", pod("orphan", [{"name": "c", "image": base, "command": ["sleep", "600"]}])
        )
        wait_for(
            lambda: state_of(first, "default", "orphan").get("running"),
            "the pod running",
            timeout=60,
        )
        pid = first.control.process.pid
        first.control.process.kill()  # SIGKILL: no clean-up of any kind
        first.control.process.wait(10)
        assert left_behind(engine_env, f"dev.myfoodbudget.sandbox.pid={pid}") != []
    with docker_sandbox(tmp_path_factory.mktemp("next"), engine_env):
        assert left_behind(engine_env, f"dev.myfoodbudget.sandbox.pid={pid}") == []
