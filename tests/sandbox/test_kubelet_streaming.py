"""`kubectl exec` (also `-it` on a real pty) and `kubectl port-forward` (pods and Services)
against the sandbox with the real kubectl 1.37, and what a pod gets to reach the API server:
its ServiceAccount token files, read by the pod itself with the `kubernetes` client."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from sandbox_workloads import (
    KUBECTL,
    Sandbox,
    http_get,
    namespace,
    sandbox,
    wait_for,
    web_container,
)
from support.sandbox import free_port

__all__ = ["namespace", "sandbox"]
pytestmark = pytest.mark.slow
TOKEN_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


def pod(name: str, containers: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    """A Pod manifest labelled app=<name>."""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"containers": containers, **spec}}  # fmt: skip


def running_web(sandbox: Sandbox, namespace: str, name: str = "web") -> None:
    """The test web server in a pod, Ready."""
    sandbox.apply(namespace, pod(name, [web_container()]))
    sandbox.kubectl("-n", namespace, "wait", "--for=condition=Ready", f"pod/{name}",
                    "--timeout=60s")  # fmt: skip


def test_exec_runs_in_the_container_and_reports_the_exit_code(
    sandbox: Sandbox, namespace: str
) -> None:
    running_web(sandbox, namespace)
    script = "echo out $GREETING; echo err >&2; exit 3"
    done = sandbox.kubectl("-n", namespace, "exec", "web", "--", "sh", "-c", script, check=False)
    assert done.returncode == 3
    assert done.stdout == "out hello\n"  # the container's env (the catalog's GREETING)
    assert "err\n" in done.stderr
    assert "command terminated with exit code 3" in done.stderr
    piped = sandbox.kubectl("-n", namespace, "exec", "-i", "web", "--", "cat", stdin="abc\ndef")
    assert piped.stdout == "abc\ndef"
    missing = sandbox.kubectl("-n", namespace, "exec", "web", "--", "no-such-program", check=False)
    assert missing.returncode == 1
    assert "error executing command in container" in missing.stderr


def test_exec_it_gets_a_terminal_of_the_client_size(sandbox: Sandbox, namespace: str) -> None:
    running_web(sandbox, namespace)
    argv = [str(KUBECTL), "--kubeconfig", str(sandbox.kubeconfig), "--cache-dir",
            str(sandbox.cache), "-n", namespace, "exec", "-it", "web", "--", "sh"]  # fmt: skip
    child, terminal = pty.fork()
    if child == 0:  # kubectl on a real terminal of 30 rows and 100 columns
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        os.execv(argv[0], argv)  # noqa: S606  # nosec B606 - kubectl, no shell
    output = b""

    def read_until(marker: bytes) -> bytes:
        nonlocal output
        deadline = time.monotonic() + 30
        while marker not in output and time.monotonic() < deadline:
            if select.select([terminal], [], [], 1)[0]:
                try:
                    output += os.read(terminal, 4096)
                except OSError:
                    break
        return output

    os.write(terminal, b"tty; stty size; echo done-$((6*7))\n")
    assert b"done-42" in read_until(b"done-42"), output
    os.write(terminal, b"exit 7\n")
    read_until(b"exit code 7")
    _, status = os.waitpid(child, 0)
    os.close(terminal)
    assert os.waitstatus_to_exitcode(status) == 7, output
    text = output.decode(errors="replace")
    assert "/dev/pts/" in text
    assert "30 100" in text


def _forward(sandbox: Sandbox, namespace: str, target: str, remote: str) -> tuple[Any, int]:
    """kubectl port-forward in the background; (process, local port) once it listens."""
    local = free_port()
    argv = [str(KUBECTL), "--kubeconfig", str(sandbox.kubeconfig), "--cache-dir",
            str(sandbox.cache), "-n", namespace, "port-forward", target,
            f"{local}:{remote}"]  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith(f"Forwarding from 127.0.0.1:{local}"), line
    return process, local


@pytest.mark.parametrize("target", ["pod/web", "svc/web"])
def test_port_forward_serves_the_pod(sandbox: Sandbox, namespace: str, target: str) -> None:
    running_web(sandbox, namespace)
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
               "spec": {"selector": {"app": "web"},
                        "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}  # fmt: skip
    sandbox.apply(namespace, service)
    process, local = _forward(
        sandbox, namespace, target, "80" if target.startswith("svc") else "http"
    )
    try:
        for _ in range(3):  # one tunnel, several connections
            code, body = http_get(local)
            assert code == 200
            assert json.loads(body)["pod"] == "web"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(10)
        process.stdout.close()


def test_pods_proxy_passes_a_request_to_the_pod_and_its_answer_back(
    sandbox: Sandbox, namespace: str
) -> None:
    running_web(sandbox, namespace)
    base = f"/api/v1/namespaces/{namespace}/pods"
    for name in ("web", "web:http"):  # the first declared port, or one by name
        shown = sandbox.kubectl("get", "--raw", f"{base}/{name}/proxy/anything?x=1")
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["pod"] == "web"
    missing = sandbox.kubectl("get", "--raw", f"{base}/web:nope/proxy/", check=False)
    assert missing.returncode != 0
    assert "declares no port named nope" in missing.stderr


IN_CLUSTER = """
import os, sys
from kubernetes import client
from kubernetes.config.incluster_config import InClusterConfigLoader
folder = sys.argv[1]
found = {n: open(os.path.join(folder, n)).read() for n in ("token", "ca.crt", "namespace")}
configuration = client.Configuration()
InClusterConfigLoader(os.path.join(folder, "token"), os.path.join(folder, "ca.crt")).load_and_set(
    configuration)
api = client.CoreV1Api(client.ApiClient(configuration))
names = [p.metadata.name for p in api.list_namespaced_pod(found["namespace"]).items]
try:
    api.list_namespaced_secret(found["namespace"])
    secrets = "allowed"
except client.ApiException as error:
    secrets = error.status
report = {"host": configuration.host, "namespace": found["namespace"], "pods": names,
          "secrets": secrets, "ca": found["ca.crt"].startswith("-----BEGIN CERTIFICATE")}
open(sys.argv[2], "w").write(__import__("json").dumps(report))
"""


def _finished(sandbox: Sandbox, namespace: str, name: str) -> Any:
    def check() -> Any:
        status = sandbox.core.read_namespaced_pod(name, namespace).status
        return status.phase in ("Succeeded", "Failed") and status

    return wait_for(check, f"pod {name} to finish", 60)


def test_a_pod_reads_its_token_files_and_calls_the_api_in_cluster_style(
    sandbox: Sandbox, namespace: str
) -> None:
    sandbox.kubectl("-n", namespace, "create", "rolebinding", "view", "--clusterrole=view",
                    f"--serviceaccount={namespace}:default")  # fmt: skip
    client_container = {
        "name": "client",
        "image": "sandbox.test/task:1",
        "command": ["python", "-c", IN_CLUSTER, TOKEN_DIR, "/dev/termination-log"],
    }
    sandbox.apply(namespace, pod("inside", [client_container], restartPolicy="Never"))
    status = _finished(sandbox, namespace, "inside")
    assert status.phase == "Succeeded", status
    report = json.loads(status.container_statuses[0].state.terminated.message)
    port = yaml.safe_load(sandbox.kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    assert report == {"host": port, "namespace": namespace, "pods": ["inside"],
                      "secrets": 403, "ca": True}  # fmt: skip
    spec = sandbox.core.read_namespaced_pod("inside", namespace).spec
    assert spec.service_account_name == "default"
    (volume,) = [v for v in spec.volumes if v.name.startswith("kube-api-access-")]
    assert [m.mount_path for m in spec.containers[0].volume_mounts] == [TOKEN_DIR]
    assert volume.projected.sources[0].service_account_token.expiration_seconds == 3607


def test_automount_false_mounts_no_token(sandbox: Sandbox, namespace: str) -> None:
    quiet = {"name": "c", "image": "sandbox.test/task:1", "command": ["python", "-c", "pass"]}
    plain = pod("plain", [quiet], automountServiceAccountToken=False, restartPolicy="Never")
    sandbox.apply(namespace, plain)
    spec = sandbox.core.read_namespaced_pod("plain", namespace).spec
    assert not spec.volumes
    assert not spec.containers[0].volume_mounts
    missing = pod("lost", [{"name": "c", "image": "x"}], serviceAccountName="nobody")
    refused = sandbox.kubectl("-n", namespace, "apply", "-f", "-", stdin=json.dumps(missing),
                              check=False)  # fmt: skip
    assert (
        f'error looking up service account {namespace}/nobody: serviceaccount "nobody" not found'
        in refused.stderr
    )


def test_exec_needs_create_on_pods_exec(sandbox: Sandbox, namespace: str, tmp_path: Path) -> None:
    running_web(sandbox, namespace)
    sandbox.kubectl("-n", namespace, "create", "serviceaccount", "viewer")
    sandbox.kubectl("-n", namespace, "create", "rolebinding", "viewer", "--clusterrole=view",
                    f"--serviceaccount={namespace}:viewer")  # fmt: skip
    token = sandbox.kubectl("-n", namespace, "create", "token", "viewer").stdout.strip()
    config = yaml.safe_load(sandbox.kubeconfig.read_text())
    config["users"] = [{"name": "sandbox", "user": {"token": token}}]
    viewer = tmp_path / "viewer.kubeconfig"
    viewer.write_text(yaml.safe_dump(config))
    denied = sandbox.kubectl("--kubeconfig", str(viewer), "-n", namespace, "exec", "web", "--",
                             "true", check=False)  # fmt: skip
    assert denied.returncode == 1
    assert (
        f'pods "web" is forbidden: User "system:serviceaccount:{namespace}:viewer" cannot create '
        f'resource "pods/exec" in API group "" in the namespace "{namespace}"'
    ) in denied.stderr
