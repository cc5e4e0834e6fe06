"""The operator installed in the cluster from manifests/ (the e2e tests on the docker runtime).

`kubectl kustomize manifests/` as the guide applies it, with the test's settings on the
operator Deployment only: the e2e operator image, short polling intervals, the notification
Secret, the host ports it may reach (the tests' webhook and git server, see
docs/sandbox.md), and the tests' git folder mounted at its own path (hostPath), for file://
remotes. It runs in its pod as the ServiceAccount manifests/ gives it, under its RBAC.
"""

from __future__ import annotations

import json
import socket
import subprocess
import uuid
from pathlib import Path
from typing import Any

import yaml
from polling import wait_for

from support.git import GitHttpsServer, GitRemote

ROOT = Path(__file__).resolve().parents[2]
APP_NS, OPERATOR_NS = "myfoodbudget", "myfoodbudget-system"
ACCOUNT = f"system:serviceaccount:{OPERATOR_NS}:gitops-operator"
NOTIFY_SECRET = "gitops-notify"  # the one Secret the operator's Role lets it read there
HOST_PORTS = "sandbox.myfoodbudget.dev/host-ports"
SELECTOR = "app.kubernetes.io/name=gitops-operator"
OPERATOR_UID = 10001  # manifests/deployment.yaml's runAsUser


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def operator_objects(
    image: str, env: dict[str, str], host_ports: list[int], shared: Path
) -> list[dict[str, Any]]:
    """manifests/ rendered by kustomize, the operator Deployment given the test's settings."""
    from kubecluster import KUBECTL

    rendered = subprocess.run(
        [str(KUBECTL), "kustomize", str(ROOT / "manifests")],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    objects = [o for o in yaml.safe_load_all(rendered) if o]
    for obj in objects:
        if obj["kind"] == "Deployment" and obj["metadata"]["name"] == "gitops-operator":
            _configure(obj["spec"]["template"], image, env, host_ports, shared)
    return objects


def _configure(
    template: dict[str, Any], image: str, env: dict[str, str], ports: list[int], shared: Path
) -> None:
    annotations = template["metadata"].setdefault("annotations", {})
    annotations[HOST_PORTS] = ",".join(str(p) for p in ports)
    spec = template["spec"]
    (container,) = spec["containers"]
    container["image"] = image
    settings = {**{e["name"]: e for e in container["env"]}, "OPERATOR_IMAGE": {"value": image}}
    settings.update({k: {"value": v} for k, v in env.items()})
    container["env"] = [{"name": k, **{f: v for f, v in e.items() if f != "name"}}
                        for k, e in settings.items()]  # fmt: skip
    container["volumeMounts"].append({"name": "tests", "mountPath": str(shared), "readOnly": True})
    spec["volumes"].append({"name": "tests", "hostPath": {"path": str(shared)}})


def git_remote(in_cluster: InClusterOperator | None, tmp_path: Path) -> GitRemote:
    """A git remote the operator can read: in the folder mounted into its pod, as its user,
    when it runs in the cluster."""
    if in_cluster is None:
        return GitRemote(tmp_path / "git")
    return GitRemote(in_cluster.shared / uuid.uuid4().hex[:8], owner=OPERATOR_UID)


def https_server(
    in_cluster: InClusterOperator | None, remote: GitRemote, user: str, token: str, certs: Path
) -> GitHttpsServer:
    """The remote over HTTPS, on the port the in-cluster operator may reach."""
    if in_cluster is None:
        return GitHttpsServer(remote.root, user, token, certs)
    return GitHttpsServer(remote.root, user, token, certs, in_cluster.git_port, OPERATOR_UID)


class InClusterOperator:
    """The operator Deployment of manifests/ running in the cluster."""

    def __init__(self, cluster: Any, shared: Path, webhook_port: int) -> None:
        """Nothing is installed before install()."""
        self.cluster, self.shared = cluster, shared
        self.git_port = free_port()  # for the tests' HTTPS git server
        self.webhook_port = webhook_port
        self.webhook: Any = None  # the sink the notification Secret names
        # Releases whose status a test wrote itself, as the admin (a schedule's anchor set back
        # to make it due): test_operator_identity.py leaves those writes out
        self.status_set_by_tests: set[str] = set()
        self.log = _Logs(self)

    def kubectl(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """kubectl in the operator's namespace."""
        return self.cluster.kubectl("-n", OPERATOR_NS, *args, input=input, timeout=200)

    def install(self, image: str, env: dict[str, str]) -> None:
        """Apply manifests/ with the settings, wait until the operator's pod is Ready."""
        objects = operator_objects(image, env, [self.webhook_port, self.git_port], self.shared)
        applied = self.cluster.kubectl("apply", "--validate=false", "-f", "-",
                                       input=yaml.safe_dump_all(objects))  # fmt: skip
        assert applied.returncode == 0, applied.stderr
        self.start()

    def start(self, ready: bool = True) -> None:
        """Wait until the Deployment's pod is Ready again (after kill(): the ReplicaSet makes
        the new pod a moment after the old one went, so `kubectl wait` may find none yet), or
        with ready=False only until its container runs (the operator works before its
        readiness probe, every 10 s, says so)."""
        done = self.kubectl("rollout", "status", "deployment/gitops-operator", "--timeout=180s")
        assert done.returncode == 0, done.stdout + done.stderr + self.describe()

        def up() -> bool:
            found = self.kubectl("get", "pods", "-l", SELECTOR, "-o", "json")
            pods = json.loads(found.stdout)["items"] if found.returncode == 0 else []
            return any(not pod["metadata"].get("deletionTimestamp") and _up(pod, ready)
                       for pod in pods)  # fmt: skip

        wait_for(up, 180, f"the operator's new pod {'Ready' if ready else 'running'}", 0.2)

    def describe(self) -> str:
        """The operator's pods and events, for a failure message."""
        return self.kubectl("describe", "pods").stdout[-4000:]

    def pod(self) -> str:
        """The name of the operator's running pod."""
        found = self.kubectl("get", "pods", "-l", SELECTOR,
                             "--field-selector=status.phase=Running", "-o", "json")  # fmt: skip
        items = [i for i in json.loads(found.stdout)["items"]
                 if not i["metadata"].get("deletionTimestamp")]  # fmt: skip
        assert items, found.stderr + self.describe()
        return str(items[0]["metadata"]["name"])

    def kill(self) -> None:
        """Delete the pod at once (grace 0: SIGKILL); its Deployment starts another."""
        pod = self.pod()
        done = self.kubectl("delete", "pod", pod, "--grace-period=0", "--force")
        assert done.returncode == 0, done.stderr

    def stop(self) -> None:
        """Nothing: the operator keeps running for the next module."""

    def metrics(self) -> str:
        """The Prometheus text of /metrics, read inside its pod."""
        url = "http://127.0.0.1:8080/metrics"
        read = f"import urllib.request as u; print(u.urlopen({url!r}).read().decode())"
        done = self.kubectl("exec", self.pod(), "--", "python", "-c", read)
        assert done.returncode == 0, done.stderr
        return done.stdout


def _up(pod: dict[str, Any], ready: bool) -> bool:
    """Whether the pod is Ready (ready) or its containers all run."""
    status = pod.get("status") or {}
    if ready:
        conditions = status.get("conditions") or []
        return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)
    containers = status.get("containerStatuses") or []
    return bool(containers) and all("running" in (c.get("state") or {}) for c in containers)


class _Logs:
    """The operator's log as a file-like path (`read_text()`), read from its pod."""

    def __init__(self, operator: InClusterOperator) -> None:
        self.operator = operator

    def read_text(self) -> str:
        """What the current operator pod logged."""
        return self.operator.kubectl("logs", "deployment/gitops-operator", "--tail=-1").stdout

    def __fspath__(self) -> str:
        path = self.operator.shared / "operator.log"
        path.write_text(self.read_text())
        return str(path)
