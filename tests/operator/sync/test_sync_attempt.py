"""One sync attempt against the sandbox API: real git, real kustomize, real dry-run and apply."""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from gitops.api import GITSYNC_LABEL, GROUP, SYNC_FIELD_MANAGER, VERSION, Reason
from gitops.kube import Kube, namespaced
from gitops.sync import reasons
from gitops.sync.attempt import SyncConfig, Target
from gitops.sync.build import find_kubectl
from gitops.sync.model import ObjectRef, SyncSpec
from gitops.sync.plan import Observed, SyncStatus
from gitops.sync.reconcile import run_attempt
from gitops.sync.status import Attempt
from support.git import GitHttpsServer, GitRemote
from support.operator_process import install_crds
from support.reliability import bad_input
from support.sandbox import tls_context, urlopen
from support.ssh import GitSshServer, make_key

pytestmark = pytest.mark.e2e

ROOT_CA = "kube-root-ca.crt"
KUSTOMIZATION = "resources:\n" + "".join(f"  - {n}.yaml\n" for n in ("settings", "extra", "data"))


def configmap(name: str, value: str) -> str:
    """A ConfigMap manifest."""
    return (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  value: '{value}'\n"
    )


PVC = (
    "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n"
    "spec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n"
)
GOOD = {
    "app/kustomization.yaml": KUSTOMIZATION,
    "app/settings.yaml": configmap("settings", "1"),
    "app/extra.yaml": configmap("extra", "x"),
    "app/data.yaml": PVC,
}


BAD_COMMITS = {
    "broken-yaml": "an overlay file whose YAML does not parse",
    "missing-file": "a kustomization naming a file that is not there",
    "missing-namespace": "an object for a namespace that does not exist",
    "invalid-name": "an object whose name is not a valid name",
}


@pytest.fixture
def kube(cluster: Any) -> Kube:
    """An API adapter for the test cluster."""
    return Kube.from_environment(str(cluster.kubeconfig))


@pytest.fixture
def namespace(kube: Kube) -> Iterator[str]:
    """A fresh namespace, deleted afterwards."""
    name = f"gs-{uuid.uuid4().hex[:8]}"
    asyncio.run(kube.create("/api/v1/namespaces", {"metadata": {"name": name}}))
    yield name
    asyncio.run(kube.delete(f"/api/v1/namespaces/{name}"))


@pytest.fixture
def config(tmp_path: Path) -> SyncConfig:
    """Sync settings with a private work dir."""
    return SyncConfig(kubectl=find_kubectl(), work_dir=tmp_path / "work")


class Syncer:
    """Runs attempts for one GitSync and keeps its status between them, as the loop does."""

    def __init__(self, kube: Kube, config: SyncConfig, namespace: str, url: str, **spec: Any):
        self.kube, self.config, self.namespace = kube, config, namespace
        self.spec = SyncSpec.from_spec({"url": url, "path": "app", **spec})
        self.inventory: list[ObjectRef] = []
        self.status = SyncStatus(observed_generation=1)

    def sync(self) -> Attempt:
        """One attempt; a success becomes the status the next attempt sees."""
        target = Target(self.namespace, "site", self.spec, self.inventory)
        observed = Observed(now=0, generation=1)
        attempt = asyncio.run(run_attempt(self.kube, self.config, target, self.status, observed))
        if attempt.inventory is not None:
            self.inventory = attempt.inventory
        if attempt.changed_cluster:
            ready = attempt.outcome is not None and attempt.outcome.ok
            self.status = SyncStatus(1, attempt.commit, 0.0, None, ready)
        return attempt

    def synced(self) -> Attempt:
        """One attempt that must succeed."""
        attempt = self.sync()
        assert attempt.outcome is not None
        assert attempt.outcome.ok, attempt.outcome.message
        return attempt

    def data(self, name: str) -> dict[str, str] | None:
        """The data of a ConfigMap, or None when it does not exist."""
        found = self.configmap(name)
        return None if found is None else found.get("data")

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until the claims are bound, so later writes can only come from a sync."""
        deadline = time.monotonic() + timeout
        path = namespaced("v1", "persistentvolumeclaims", self.namespace)
        while time.monotonic() < deadline:
            claims = asyncio.run(self.kube.list(path))
            if all((c.get("status") or {}).get("phase") == "Bound" for c in claims):
                return
            time.sleep(0.1)
        raise AssertionError(f"claims in {self.namespace} were not bound within {timeout}s")

    def objects(self) -> dict[str, str]:
        """kind/name -> resourceVersion of every ConfigMap and PVC in the namespace."""
        found = {}
        for plural in ("configmaps", "persistentvolumeclaims"):
            for item in asyncio.run(self.kube.list(namespaced("v1", plural, self.namespace))):
                meta = item["metadata"]
                if meta["name"] == ROOT_CA:  # every namespace holds it, as on Kubernetes
                    continue
                found[f"{plural}/{meta['name']}"] = meta["resourceVersion"]
        return found

    def configmap(self, name: str) -> dict[str, Any] | None:
        """A ConfigMap of the namespace, or None."""
        return asyncio.run(self.kube.get(namespaced("v1", "configmaps", self.namespace, name)))


@pytest.fixture
def syncer(kube: Kube, config: SyncConfig, namespace: str, remote: GitRemote) -> Syncer:
    """A GitSync 'site' following remote's main branch, already synced to GOOD."""
    remote.commit(GOOD)
    syncer = Syncer(kube, config, namespace, remote.url)
    syncer.synced()
    syncer.settle()
    return syncer


def test_apply_labels_everything_and_an_unchanged_commit_applies_nothing(syncer: Syncer) -> None:
    settings = syncer.configmap("settings")
    assert settings is not None
    assert settings["metadata"]["labels"][GITSYNC_LABEL] == f"{syncer.namespace}_site"
    managers = {(m["manager"], m["operation"]) for m in settings["metadata"]["managedFields"]}
    assert (SYNC_FIELD_MANAGER, "Apply") in managers
    assert {str(ref) for ref in syncer.inventory} == {
        f"ConfigMap {syncer.namespace}/settings",
        f"ConfigMap {syncer.namespace}/extra",
        f"PersistentVolumeClaim {syncer.namespace}/data",
    }
    before = syncer.objects()
    again = syncer.sync()
    assert again.outcome is None
    assert syncer.objects() == before


def test_new_commit_updates_in_place(syncer: Syncer, remote: GitRemote) -> None:
    commit = remote.commit({"app/settings.yaml": configmap("settings", "2")})
    result = syncer.synced()
    assert result.commit == commit
    assert syncer.data("settings") == {"value": "2"}


@pytest.mark.parametrize(
    ("files", "reason", "named"),
    [
        ({"app/settings.yaml": "data: [unclosed\n"}, reasons.BUILD_FAILED, "settings.yaml"),
        ({"app/extra.yaml": None}, reasons.BUILD_FAILED, "extra.yaml"),
        (
            {
                "app/settings.yaml": configmap("settings", "2")
                + "---\n"
                + configmap("elsewhere", "y").replace(
                    "name: elsewhere", "name: elsewhere\n  namespace: no-such-ns"
                )
            },
            reasons.VALIDATION_FAILED,
            "ConfigMap no-such-ns/elsewhere",
        ),
        (
            {
                "app/settings.yaml": configmap("settings", "2")
                + "---\n"
                + configmap("Bad_Name", "y")
            },
            reasons.VALIDATION_FAILED,
            "Bad_Name",
        ),
    ],
    ids=list(BAD_COMMITS),
)
def test_a_bad_commit_changes_nothing_and_says_why(
    syncer: Syncer,
    remote: GitRemote,
    files: dict[str, str | None],
    reason: Reason,
    named: str,
    request: pytest.FixtureRequest,
) -> None:
    before = syncer.objects()
    applied = syncer.status.last_applied_commit
    bad = remote.commit(files)
    result = syncer.sync()
    assert result.outcome is not None
    unchanged = syncer.objects() == before and syncer.status.last_applied_commit == applied
    given = BAD_COMMITS[request.node.callspec.id]
    bad_input(
        "kustomize output",
        given,
        result.outcome.message,
        unchanged=unchanged,
        namespace=syncer.namespace,
    )
    assert result.outcome.reason == reason
    assert named in result.outcome.message
    assert result.commit == bad
    assert not result.changed_cluster
    assert syncer.objects() == before
    assert syncer.status.last_applied_commit == applied
    assert syncer.data("settings") == {"value": "1"}


def test_prune_removes_a_dropped_configmap_but_keeps_the_claim(
    syncer: Syncer, remote: GitRemote
) -> None:
    remote.commit({"app/kustomization.yaml": "resources:\n  - settings.yaml\n"})
    result = syncer.synced()
    assert [str(ref) for ref in result.pruned] == [f"ConfigMap {syncer.namespace}/extra"]
    assert syncer.configmap("extra") is None
    assert "persistentvolumeclaims/data" in syncer.objects()
    assert [ref.name for ref in syncer.inventory] == ["settings"]


def test_prune_keeps_objects_without_the_label(syncer: Syncer, remote: GitRemote) -> None:
    path = namespaced("v1", "configmaps", syncer.namespace, "extra")
    patch = {"metadata": {"labels": {GITSYNC_LABEL: None}}}
    asyncio.run(syncer.kube.merge_patch(path, patch))
    remote.commit({"app/kustomization.yaml": "resources:\n  - settings.yaml\n  - data.yaml\n"})
    result = syncer.synced()
    assert result.pruned == []
    assert syncer.configmap("extra") is not None


def refused_fetch(syncer: Syncer, given: str) -> str:
    """A first attempt that cannot fetch: FetchFailed, nothing applied; returns the message."""
    result = syncer.sync()
    assert result.outcome is not None
    message, unchanged = result.outcome.message, syncer.objects() == {}
    bad_input("git auth Secret", given, message, unchanged=unchanged, namespace=syncer.namespace)
    assert result.outcome.reason == reasons.FETCH_FAILED
    assert unchanged
    return message


def test_wrong_token_names_the_secret_not_the_token(
    kube: Kube, config: SyncConfig, namespace: str, remote: GitRemote, https: GitHttpsServer
) -> None:
    remote.commit(GOOD)
    wrong = "canary-wrong-5e1f0c9a7d3b"
    data = {
        k: base64.b64encode(v.encode()).decode()
        for k, v in {"username": "ci", "password": wrong}.items()
    }
    secret = {"metadata": {"name": "git-auth"}, "data": data}
    asyncio.run(kube.create(namespaced("v1", "secrets", namespace), secret))
    syncer = Syncer(
        kube, config, namespace, https.url("remote.git"), secretRef={"name": "git-auth"}
    )
    message = refused_fetch(syncer, "an https token the remote refuses")
    assert f"Secret {namespace}/git-auth" in message
    assert wrong not in message


def test_wrong_ssh_identity_names_the_secret_not_the_key(
    kube: Kube, config: SyncConfig, namespace: str, remote: GitRemote, sshd: GitSshServer
) -> None:
    remote.commit(GOOD)
    wrong = make_key(sshd.folder / "wrong_client", "wrong-client")
    values = {"identity": wrong.private, "known_hosts": sshd.known_hosts_line()}
    data = {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}
    secret = {"metadata": {"name": "git-ssh"}, "data": data}
    asyncio.run(kube.create(namespaced("v1", "secrets", namespace), secret))
    url = sshd.url(remote.bare)
    syncer = Syncer(kube, config, namespace, url, secretRef={"name": "git-ssh"})
    message = refused_fetch(syncer, "an ssh identity the remote refuses")
    assert "Permission denied (publickey)" in message
    assert f"Secret {namespace}/git-ssh" in message
    for line in wrong.private.splitlines():
        assert "PRIVATE KEY" in line or line not in message


def test_missing_secret_is_named(
    kube: Kube, config: SyncConfig, namespace: str, remote: GitRemote
) -> None:
    remote.commit(GOOD)
    syncer = Syncer(kube, config, namespace, remote.url, secretRef={"name": "absent"})
    message = refused_fetch(syncer, "spec.secretRef naming a Secret that does not exist")
    assert f"Secret {namespace}/absent (spec.secretRef) was not found" in message


def test_a_slow_api_server_fails_the_attempt_within_the_timeout(
    cluster: Any, kube: Kube, config: SyncConfig, namespace: str, remote: GitRemote
) -> None:
    if not cluster.is_sandbox:
        pytest.skip("needs the sandbox's injected latency")
    remote.commit(GOOD)
    syncer = Syncer(kube, config, namespace, remote.url, timeout="1s")
    server = yaml.safe_load(Path(cluster.kubeconfig).read_text())["clusters"][0]["cluster"]
    faults = f"{server['server']}/sandbox/faults"
    context = tls_context(Path(cluster.kubeconfig))
    urlopen(faults, context, {"latency_ms": 1500}).close()
    try:
        started = time.monotonic()
        result = syncer.sync()
        elapsed = time.monotonic() - started
    finally:
        urlopen(faults, context, {}).close()
    assert result.outcome is not None
    assert result.outcome.reason == reasons.APPLY_FAILED
    assert "did not finish within spec.timeout (1s)" in result.outcome.message
    assert elapsed < 3


def test_an_overlay_holding_its_own_gitsync_never_prunes_it(
    cluster: Any, syncer: Syncer, remote: GitRemote
) -> None:
    install_crds(Path(cluster.kubeconfig))
    itself = yaml.safe_dump({"apiVersion": f"{GROUP}/{VERSION}", "kind": "GitSync",
                             "metadata": {"name": "site"},
                             "spec": {"url": remote.url, "path": "app"}})  # fmt: skip
    remote.commit({"app/gitsync.yaml": itself, "app/kustomization.yaml": KUSTOMIZATION
                   + "  - gitsync.yaml\n"})  # fmt: skip
    syncer.synced()
    assert "GitSync" in {ref.kind for ref in syncer.inventory}
    remote.commit({"app/gitsync.yaml": None, "app/kustomization.yaml": KUSTOMIZATION})
    result = syncer.synced()
    assert result.pruned == []
    path = f"/apis/{GROUP}/{VERSION}/namespaces/{syncer.namespace}/gitsyncs/site"
    assert asyncio.run(syncer.kube.get(path)) is not None


def test_a_build_may_create_its_target_namespace(
    kube: Kube, config: SyncConfig, namespace: str, remote: GitRemote
) -> None:
    extra = f"{namespace}-extra"
    ns = f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {extra}\n"
    remote.commit({"app/kustomization.yaml": "resources:\n  - inside.yaml\n  - ns.yaml\n",
                   "app/ns.yaml": ns, "app/inside.yaml": configmap("inside", "1")})  # fmt: skip
    allowed = SyncConfig(config.kubectl, config.work_dir, cluster_kinds=frozenset({"Namespace"}))
    syncer = Syncer(kube, allowed, namespace, remote.url, targetNamespace=extra)
    try:
        syncer.synced()
        found = asyncio.run(kube.get(namespaced("v1", "configmaps", extra, "inside")))
        assert found is not None
        assert found["data"] == {"value": "1"}
        assert syncer.configmap("inside") is None  # nothing in the GitSync's own namespace
    finally:
        asyncio.run(kube.delete(f"/api/v1/namespaces/{extra}"))


def elsewhere(name: str, namespace: str) -> str:
    """A ConfigMap manifest naming a namespace."""
    return configmap(name, "x").replace(f"name: {name}", f"name: {name}\n  namespace: {namespace}")


CLUSTER_ROLE = (
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {}\n"
)


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (
            elsewhere("leak", "kube-system"),
            "ConfigMap kube-system/leak: a GitSync applies only into",
        ),
        (CLUSTER_ROLE, "ClusterRole {}: cluster-scoped kind ClusterRole is not allowed"),
    ],
    ids=["another-namespace", "cluster-scoped-kind"],
)
def test_an_object_outside_the_target_namespace_is_refused_and_nothing_changes(
    syncer: Syncer, remote: GitRemote, extra: str, named: str, request: pytest.FixtureRequest
) -> None:
    role = f"gitsync-{uuid.uuid4().hex[:8]}"
    before, system = syncer.objects(), asyncio.run(configmaps(syncer.kube, "kube-system"))
    remote.commit({"app/settings.yaml": configmap("settings", "2") + "---\n" + extra.format(role)})
    result = syncer.sync()
    assert result.outcome is not None
    assert result.outcome.reason == reasons.VALIDATION_FAILED
    unchanged = syncer.objects() == before and syncer.data("settings") == {"value": "1"}
    unchanged &= asyncio.run(configmaps(syncer.kube, "kube-system")) == system
    given = {
        "another-namespace": "an overlay object for kube-system",
        "cluster-scoped-kind": "an overlay ClusterRole (cluster-scoped, not listed)",
    }
    bad_input(
        "GitSync overlay",
        given[request.node.callspec.id],
        result.outcome.message.replace(role, "<name>"),
        unchanged=unchanged,
        namespace=syncer.namespace,
    )
    assert result.outcome.message.startswith("Nothing applied; commit ")
    assert named.format(role) in result.outcome.message
    assert syncer.objects() == before
    assert syncer.data("settings") == {"value": "1"}
    assert asyncio.run(configmaps(syncer.kube, "kube-system")) == system
    path = f"/apis/rbac.authorization.k8s.io/v1/clusterroles/{role}"
    assert asyncio.run(syncer.kube.get(path)) is None


async def configmaps(kube: Kube, namespace: str) -> dict[str, str]:
    """name -> resourceVersion of the ConfigMaps of a namespace."""
    found = await kube.list(namespaced("v1", "configmaps", namespace))
    return {item["metadata"]["name"]: item["metadata"]["resourceVersion"] for item in found}
