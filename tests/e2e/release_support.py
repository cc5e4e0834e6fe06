"""Helpers for the Release e2e tests: the operator process, the API, waiting for outcomes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import yaml
from kubernetes import client, config
from polling import wait_for
from release_app import answers, http_get
from release_objects import (
    GOOD,
    GROUP,
    OPERATOR_IMAGE,
    PLURAL,
    VERSION,
    claim,
    namespace_object,
    node_port_service,
    release_object,
)
from support.canary import COLLECTOR

ROOT = Path(__file__).resolve().parents[2]
CRD = ROOT / "manifests" / "crds" / "releases.yaml"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Operator:
    """`python -m gitops --namespace NS` as its own process, restartable and killable."""

    def __init__(
        self, kubeconfig: Path, namespace: str, log: Path, env: dict[str, str] | None = None
    ) -> None:
        self.kubeconfig, self.namespace, self.log = kubeconfig, namespace, log
        self.extra_env = env or {}
        self.metrics_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the operator with short polling intervals, appending to its log."""
        env = {
            **os.environ,
            "KUBECONFIG": str(self.kubeconfig),
            "OPERATOR_IMAGE": OPERATOR_IMAGE,
            "METRICS_PORT": str(self.metrics_port),
            "METRICS_HOST": "127.0.0.1",
            "POLL_SECONDS": "0.3",
            "RESYNC_SECONDS": "5",
            **self.extra_env,
        }
        COLLECTOR.add_file(f"operator log {self.log}", self.log)
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gitops", "--namespace", self.namespace],
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=ROOT,
            )
        wait_for(self.healthy, 30, "the operator's /healthz answering")

    def healthy(self) -> bool:
        """True when /healthz answers 200."""
        try:
            return http_get(f"http://127.0.0.1:{self.metrics_port}/healthz")[0] == 200
        except OSError:
            return False

    def metrics(self) -> str:
        """The Prometheus text of /metrics."""
        return http_get(f"http://127.0.0.1:{self.metrics_port}/metrics")[1]

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL when it does not exit."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()


class Api:
    """The kubernetes client bound to the cluster under test, plus kubectl."""

    def __init__(self, cluster: Any, namespace: str) -> None:
        self.cluster, self.ns = cluster, namespace
        self.client = config.new_client_from_config(str(cluster.kubeconfig))
        self.custom = client.CustomObjectsApi(self.client)
        self.core = client.CoreV1Api(self.client)
        self.apps = client.AppsV1Api(self.client)
        self.batch = client.BatchV1Api(self.client)

    def kubectl(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """kubectl in the test namespace."""
        return self.cluster.kubectl("-n", self.ns, *args, input=input)

    def apply(self, *objects: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        """kubectl apply the objects; the result carries any refusal."""
        text = yaml.safe_dump_all(objects)
        return self.kubectl("apply", "--validate=false", "-f", "-", input=text)

    def release(self, name: str) -> dict[str, Any]:
        """The Release as the API returns it."""
        found = self.custom.get_namespaced_custom_object(GROUP, VERSION, self.ns, PLURAL, name)
        return cast(dict[str, Any], found)

    def status(self, name: str) -> dict[str, Any]:
        """The Release's status ({} before the first write)."""
        return dict(self.release(name).get("status") or {})

    def patch_release(self, name: str, patch: dict[str, Any]) -> None:
        """Merge-patch the Release."""
        self.custom.patch_namespaced_custom_object(GROUP, VERSION, self.ns, PLURAL, name, patch)

    def wait_phase(
        self, name: str, phase: str, timeout: float = 60, interval: float = 0.1
    ) -> dict[str, Any]:
        """Wait until status.phase is phase; return the status."""

        def reached() -> dict[str, Any] | None:
            status = self.status(name)
            return status if status.get("phase") == phase else None

        try:
            return wait_for(reached, timeout, f"Release {name} reaching phase {phase}", interval)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.describe(name)}") from None

    def describe(self, name: str) -> str:
        """The Release's status and its children, for a failure message."""
        children = self.kubectl("get", "deployments,replicasets,pods,jobs", "-o", "wide").stdout
        status = json.dumps(self.status(name), indent=1)[:3000]
        return f"status: {status}\n{children}"

    def deployment_image(self, name: str) -> str | None:
        """The image of the `app` container of the owned Deployment (None when absent)."""
        try:
            deployment = self.apps.read_namespaced_deployment(name, self.ns)
        except client.ApiException as error:
            if error.status == 404:
                return None
            raise
        return next(c.image for c in deployment.spec.template.spec.containers if c.name == "app")

    def jobs(self, name: str) -> list[str]:
        """Names of the Jobs the Release owns."""
        selector = f"{GROUP}/release={name}"
        return [
            j.metadata.name
            for j in self.batch.list_namespaced_job(self.ns, label_selector=selector).items
        ]

    def events(self, name: str) -> list[tuple[str, str]]:
        """(type, reason) of the Events recorded on the Release, oldest first."""
        selector = f"involvedObject.name={name},involvedObject.kind=Release"
        items = self.core.list_namespaced_event(self.ns, field_selector=selector).items
        return [(e.type, e.reason) for e in items]

    def node_port(self, service: str) -> int:
        """The nodePort of a NodePort Service (allocated by the cluster)."""

        def allocated() -> int | None:
            spec = self.core.read_namespaced_service(service, self.ns).spec
            return spec.ports[0].node_port

        return wait_for(allocated, 10, f"a nodePort for Service {service}")


def install_crd(api: Api) -> None:
    """Apply the Release CRD and create the namespace; wait until Releases can be listed."""
    applied = api.cluster.kubectl("apply", "--validate=false", "-f", str(CRD))
    assert applied.returncode == 0, applied.stderr
    created = api.cluster.kubectl(
        "apply", "--validate=false", "-f", "-", input=yaml.safe_dump(namespace_object(api.ns))
    )
    assert created.returncode == 0, created.stderr

    def served() -> bool:
        try:
            api.custom.list_namespaced_custom_object(GROUP, VERSION, api.ns, PLURAL)
        except client.ApiException:
            return False
        return True

    wait_for(served, 30, "the Release CRD being served")


def deploy_good(api: Api, name: str, image: str = GOOD, **spec: Any) -> str:
    """Create claim, Service and Release; wait until Ready and serving; return the app's URL."""
    applied = api.apply(
        claim(f"{name}-data"), node_port_service(name), release_object(name, image, **spec)
    )
    assert applied.returncode == 0, applied.stderr
    api.wait_phase(name, "Ready", timeout=60)
    url = api.cluster.node_url(api.node_port(name))
    try:
        wait_for(lambda: answers(f"{url}/version"), 60, f"{name} answering /version at {url}")
    except AssertionError as error:
        seen = api.kubectl("get", "services,endpointslices,pods", "-o", "wide")
        seen_text = seen.stdout + seen.stderr
        raise AssertionError(f"{error}\n{seen_text}") from None
    return url
