"""The GitSync controller end to end: the operator process, real git remotes and a cluster."""

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
from support.git import GitHttpsServer, GitRemote
from support.operator_process import running_operator

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "canary-e2e-token-93b1d0f7c2a6"


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
def remote(tmp_path: Path) -> GitRemote:
    """A bare repository with a work tree to commit from."""
    return GitRemote(tmp_path / "git")


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the HTTPS remote's certificate, shared with the operator."""
    return tmp_path_factory.mktemp("certs")


@pytest.fixture(scope="module")
def operator(cluster: Any, tmp_path_factory: pytest.TempPathFactory, certs: Path) -> Iterator[Path]:
    """The operator as its own process, cluster-wide; yields the file its logs go to."""
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
        found = self.custom.get_namespaced_custom_object(
            GROUP, VERSION, self.namespace, "gitsyncs", "site"
        )
        return cast(dict[str, Any], found)

    def condition(self, kind: str) -> dict[str, Any]:
        """One condition of the GitSync (empty when absent)."""
        conditions = (self.gitsync().get("status") or {}).get("conditions") or []
        return next((c for c in conditions if c["type"] == kind), {})

    def applied(self, commit: str) -> bool:
        """True once the commit is applied and Ready."""
        status = self.gitsync().get("status") or {}
        ready = self.condition("Ready").get("status") == "True"
        return ready and status.get("lastAppliedCommit") == commit

    def value(self, name: str = "settings") -> tuple[str, str] | None:
        """(data value, resourceVersion) of a ConfigMap, or None."""
        try:
            found = self.core.read_namespaced_config_map(name, self.namespace)
        except client.ApiException as error:
            if error.status == 404:
                return None
            raise
        return (found.data or {}).get("value"), found.metadata.resource_version

    def events(self, reason: str | None = None) -> list[Any]:
        """Events about the GitSync, optionally of one reason."""
        found = self.core.list_namespaced_event(self.namespace).items
        return [e for e in found if reason is None or e.reason == reason]

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
def kube(cluster: Any, operator: Path) -> Iterator[Cluster]:  # noqa: ARG001  runs beside it
    """A fresh namespace in the cluster, with the operator running."""
    namespace = f"gse-{uuid.uuid4().hex[:8]}"
    found = Cluster(str(cluster.kubeconfig), namespace)
    found.core.create_namespace({"metadata": {"name": namespace}})
    yield found
    found.core.delete_namespace(namespace)


def test_new_commit_is_applied_within_the_interval_and_an_unchanged_one_applies_nothing(
    kube: Cluster, remote: GitRemote
) -> None:
    kube.start(remote, remote.url, interval="3s")
    second = remote.commit(overlay("2"))
    pushed = time.monotonic()
    wait_for(lambda: (kube.value() or ("",))[0] == "2", 10, "applying the second commit")
    assert time.monotonic() - pushed <= 3 + 2
    wait_for(lambda: kube.applied(second), 5, "Ready on the second commit")
    value = kube.value()
    synced = kube.gitsync()["status"]["lastSyncTime"]
    wait_for(lambda: kube.gitsync()["status"]["lastSyncTime"] > synced, 10, "a later check")
    assert kube.value() == value
    assert len(kube.events("Synced")) == 2


def test_broken_commit_is_reported_and_changes_nothing_until_fixed(
    kube: Cluster, remote: GitRemote
) -> None:
    first = kube.start(remote, remote.url, interval="1h")
    before = kube.value()
    remote.commit({"app/settings.yaml": "data: [unclosed\n"})
    kube.request_sync()
    ready = wait_for(
        lambda: (c := kube.condition("Ready")).get("reason") == "BuildFailed" and c, 10, "failure"
    )
    assert ready["status"] == "False"
    assert "settings.yaml" in ready["message"]
    assert kube.condition("Stalled")["status"] == "True"
    [event] = kube.events("BuildFailed")
    assert event.type == "Warning"
    assert "settings.yaml" in event.message
    assert kube.value() == before
    assert kube.gitsync()["status"]["lastAppliedCommit"] == first
    fixed = remote.commit(overlay("3"))
    kube.request_sync()
    wait_for(lambda: kube.applied(fixed), 10, "the fixed commit")
    assert kube.value() is not None
    assert (kube.value() or ("",))[0] == "3"


def test_wrong_token_names_the_secret_and_never_shows_a_token(
    kube: Cluster, remote: GitRemote, certs: Path, operator: Path
) -> None:
    wrong = "canary-e2e-wrong-51c8a0e2f4d7"
    commit = remote.commit(overlay("1"))
    with GitHttpsServer(remote.root, "ci", TOKEN, certs) as server:
        kube.secret("git-auth", username="ci", password=wrong)
        kube.create_gitsync(server.url("remote.git"), interval="1h", secretRef={"name": "git-auth"})
        ready = wait_for(
            lambda: (c := kube.condition("Ready")).get("reason") == "FetchFailed" and c, 20, "fail"
        )
        assert f"Secret {kube.namespace}/git-auth" in ready["message"]
        kube.secret("git-auth", username="ci", password=TOKEN)
        kube.request_sync()
        wait_for(lambda: kube.applied(commit), 15, "the sync with the right token")
    log = operator.read_text()
    assert f"{kube.namespace}/site FetchFailed" in log
    texts = [str(kube.gitsync()), log, *(f"{e.reason} {e.message}" for e in kube.events())]
    for text in texts:
        assert wrong not in text
        assert TOKEN not in text


def test_unreachable_remote_backs_off_and_recovers(
    kube: Cluster, remote: GitRemote, certs: Path
) -> None:
    server = GitHttpsServer(remote.root, "ci", TOKEN, certs)
    server.start()
    kube.secret("git-auth", username="ci", password=TOKEN)
    kube.start(remote, server.url("remote.git"), interval="1h", secretRef={"name": "git-auth"})
    server.stop()
    second = remote.commit(overlay("2"))
    kube.request_sync()
    delays: list[str] = []

    def backing_off() -> bool:
        message = kube.condition("Reconciling").get("message", "")
        if message.startswith("Retrying in ") and message.split()[2] not in delays:
            delays.append(message.split()[2])
        return len(delays) >= 3

    wait_for(backing_off, 15, "three growing retry delays")
    assert [float(d.rstrip("s:")) for d in delays] == sorted(float(d.rstrip("s:")) for d in delays)
    assert kube.condition("Ready")["reason"] == "FetchFailed"
    server.start()
    try:
        wait_for(lambda: kube.applied(second), 15, "recovery once the remote is back")
    finally:
        server.stop()


def test_sync_request_applies_at_once_and_suspend_holds_still(
    kube: Cluster, remote: GitRemote
) -> None:
    kube.start(remote, remote.url, interval="1h")
    second = remote.commit(overlay("2"))
    kube.request_sync()
    wait_for(lambda: kube.applied(second), 5, "the requested sync")
    kube.patch_gitsync({"spec": {"suspend": True}})
    wait_for(lambda: kube.condition("Reconciling").get("reason") == "Suspended", 5, "suspension")
    third = remote.commit(overlay("3"))
    kube.request_sync()
    assert never(lambda: kube.applied(third), 2.5)
    assert (kube.value() or ("",))[0] == "2"
    kube.patch_gitsync({"spec": {"suspend": False}})
    wait_for(lambda: (kube.value() or ("",))[0] == "3", 10, "the sync after resuming")


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"url": "http://example.org/r.git", "path": "app"}, "spec.url"),
        ({"url": "https://u:token@example.org/r.git", "path": "app"}, "spec.url"),
        ({"url": "file:///r.git", "path": "app", "interval": "5 minutes"}, "spec.interval"),
        ({"url": "file:///r.git", "path": "app", "timeout": "2d"}, "spec.timeout"),
        ({"url": "file:///r.git"}, "spec.path"),
    ],
    ids=["http", "credentials-in-url", "interval", "timeout", "no-path"],
)
def test_schema_refuses_bad_specs(kube: Cluster, spec: dict[str, Any], field: str) -> None:
    with pytest.raises(client.ApiException) as caught:
        kube.create_spec(spec)
    assert caught.value.status == 422
    assert field in str(caught.value.body)


def test_defaults_columns_and_an_unusable_path(kube: Cluster, cluster: Any) -> None:
    kube.create_gitsync("file:///nowhere.git", path="../outside")
    spec = kube.gitsync()["spec"]
    assert (spec["branch"], spec["interval"], spec["timeout"]) == ("main", "60s", "120s")
    assert (spec["prune"], spec["suspend"]) == (True, False)
    stalled = wait_for(lambda: (c := kube.condition("Stalled")).get("status") == "True" and c, 10,
                       "the invalid spec being reported")  # fmt: skip
    assert stalled["reason"] == "InvalidSpec"
    assert "spec.path '../outside'" in stalled["message"]
    # The Event is posted right after the status write: wait for it rather than race it.
    [event] = wait_for(lambda: kube.events("InvalidSpec"), 10, "the InvalidSpec Event")
    assert event.type == "Warning"
    table = cluster.kubectl("get", "gs", "-n", kube.namespace).stdout.splitlines()
    assert table[0].split() == ["NAME", "COMMIT", "READY", "LAST", "SYNC", "AGE"]
    assert table[1].split()[:2] == ["site", "False"]
