"""What the GitSync e2e modules share: manifests, the operator process, the test's API view."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from gitops.api import GROUP, SYNC_REQUEST_ANNOTATION, VERSION
from kubernetes import client, config
from release_support import wait_for
from support.git import GitRemote
from support.in_cluster import APP_NS, git_remote
from support.operator_process import running_operator


def configmap(name: str, value: str) -> str:
    """A ConfigMap manifest."""
    return (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  value: '{value}'\n"
    )


def overlay(value: str) -> dict[str, str]:
    """An overlay with one ConfigMap whose value is given."""
    return {
        "app/kustomization.yaml": "resources:\n  - settings.yaml\n",
        "app/settings.yaml": configmap("settings", value),
    }


def never(probe: Callable[[], object], seconds: float) -> bool:
    """True when probe stays falsy for the whole window."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if probe():
            return False
        time.sleep(0.1)
    return True


@pytest.fixture
def remote(in_cluster: Any, tmp_path: Path) -> GitRemote:
    """A bare repository with a work tree to commit from (one the in-cluster operator reads)."""
    return git_remote(in_cluster, tmp_path)


@pytest.fixture(scope="module")
def certs(in_cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the HTTPS remote's certificate, shared with the operator."""
    return in_cluster.shared / "certs" if in_cluster else tmp_path_factory.mktemp("certs")


@pytest.fixture(scope="module")
def operator(
    cluster: Any, in_cluster: Any, tmp_path_factory: pytest.TempPathFactory, certs: Path
) -> Iterator[Any]:
    """The operator: the in-cluster one (its log), or its own process, cluster-wide (the file
    its logs go to)."""
    if in_cluster is not None:
        yield in_cluster.log
        return
    env = {
        "SYNC_RETRY_SECONDS": "0.5",
        "SYNC_RETRY_MAX_SECONDS": "4",
        "GIT_SSL_CAINFO": str(certs / "server.crt"),
    }
    folder = tmp_path_factory.mktemp("operator")
    with running_operator(Path(cluster.kubeconfig), folder, env) as log:
        yield log


class Cluster:
    """What the tests read and write, through the official client only."""

    def __init__(self, kubeconfig: str, namespace: str) -> None:
        api = config.new_client_from_config(config_file=kubeconfig)
        self.core = client.CoreV1Api(api)
        self.custom = client.CustomObjectsApi(api)
        self.namespace = namespace
        self.last_uid = ""  # of the GitSync, as last read (its Events outlive it)

    def create_gitsync(self, url: str, **spec: Any) -> None:
        """Create the GitSync `site` following the overlay `app` unless spec names another."""
        self.create_spec({"url": url, "path": "app", **spec})

    def create_spec(self, spec: dict[str, Any]) -> None:
        """Create the GitSync `site` with exactly this spec."""
        body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "GitSync",
                "metadata": {"name": "site"}, "spec": spec}  # fmt: skip
        self.custom.create_namespaced_custom_object(
            GROUP, VERSION, self.namespace, "gitsyncs", body
        )

    def start(self, remote: GitRemote, url: str, **spec: Any) -> str:
        """Commit the first overlay, create the GitSync and wait until it is applied."""
        first = remote.commit(overlay("1"))
        self.create_gitsync(url, **spec)
        wait_for(lambda: self.applied(first), 30, "the first sync")
        return first

    def patch_gitsync(self, patch: dict[str, Any]) -> None:
        """Merge-patch the GitSync."""
        self.custom.patch_namespaced_custom_object(
            GROUP, VERSION, self.namespace, "gitsyncs", "site", patch
        )

    def request_sync(self) -> None:
        """Ask for a sync now with a new annotation value."""
        request = {SYNC_REQUEST_ANNOTATION: uuid.uuid4().hex}
        self.patch_gitsync({"metadata": {"annotations": request}})

    def gitsync(self) -> dict[str, Any]:
        """The GitSync as stored."""
        found = cast(
            dict[str, Any],
            self.custom.get_namespaced_custom_object(
                GROUP, VERSION, self.namespace, "gitsyncs", "site"
            ),
        )
        self.last_uid = str(found["metadata"]["uid"])
        return found

    def condition(self, kind: str) -> dict[str, Any]:
        """One condition of the GitSync (empty when absent)."""
        conditions = (self.gitsync().get("status") or {}).get("conditions") or []
        return next((c for c in conditions if c["type"] == kind), {})

    def applied(self, commit: str) -> bool:
        """True once the commit is applied and Ready."""
        status = self.gitsync().get("status") or {}
        ready = self.condition("Ready").get("status") == "True"
        return ready and status.get("lastAppliedCommit") == commit

    def value(self, name: str = "settings", namespace: str = "") -> tuple[str, str] | None:
        """(data value, resourceVersion) of a ConfigMap (of the test's namespace), or None."""
        try:
            found = self.core.read_namespaced_config_map(name, namespace or self.namespace)
        except client.ApiException as error:
            if error.status == 404:
                return None
            raise
        return (found.data or {}).get("value"), found.metadata.resource_version

    def events(self, reason: str | None = None) -> list[Any]:
        """Events of the namespace, optionally only those of one reason about this GitSync."""
        found = self.core.list_namespaced_event(self.namespace).items
        if reason is None:
            return list(found)
        try:
            uid = self.gitsync()["metadata"]["uid"]
        except client.ApiException as error:
            if error.status != 404:
                raise
            uid = self.last_uid  # deleted: its Events still name the uid it had
        return [e for e in found if e.reason == reason and e.involved_object.uid == uid]

    def secret(self, name: str, **values: str) -> None:
        """Create or replace a Secret."""
        data = {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}
        body = {"metadata": {"name": name}, "data": data}
        try:
            self.core.delete_namespaced_secret(name, self.namespace)
        except client.ApiException as error:
            if error.status != 404:
                raise
        self.core.create_namespaced_secret(self.namespace, body)


@pytest.fixture
def kube(cluster: Any, in_cluster: Any, operator: Path) -> Iterator[Cluster]:  # noqa: ARG001
    """A fresh namespace in the cluster, with the operator running (the in-cluster
    operator's own namespace, emptied of what the test made, on the docker runtime)."""
    if in_cluster is not None:
        yield Cluster(str(cluster.kubeconfig), APP_NS)
        cluster.kubectl(
            "-n", APP_NS, "delete", "gitsync/site", "--ignore-not-found", "--timeout=60s"
        )
        cluster.kubectl("-n", APP_NS, "delete", "configmap/settings", "secret/git-auth",
                        "--ignore-not-found")  # fmt: skip
        return
    namespace = f"gse-{uuid.uuid4().hex[:8]}"
    found = Cluster(str(cluster.kubeconfig), namespace)
    found.core.create_namespace({"metadata": {"name": namespace}})
    yield found
    found.core.delete_namespace(namespace)
