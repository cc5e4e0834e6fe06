"""A deleted GitSync's clean-up against the sandbox API: what goes, what stays, and retries."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from gitops.api import API_VERSION, GITSYNC_LABEL, GITSYNC_PLURAL
from gitops.kube import Kube, namespaced
from gitops.runtime import Runtime
from gitops.settings import Settings
from gitops.sync.finalize import FAILED_SECONDS, LOOP_STOPPING_SECONDS, finalize_gitsync
from support.operator_process import install_crds
from support.sandbox import tls_context, urlopen

pytestmark = pytest.mark.e2e


@pytest.fixture
def runtime(cluster: Any) -> Runtime:
    """The operator's runtime against the test cluster, with the CRDs installed."""
    install_crds(Path(cluster.kubeconfig))
    settings = Settings(operator_image="ghcr.io/owner/myfoodbudget-operator:test")
    return Runtime(Kube.from_environment(str(cluster.kubeconfig)), settings)


@pytest.fixture
def namespace(runtime: Runtime) -> Iterator[str]:
    """A fresh namespace, deleted afterwards."""
    name = f"gsf-{uuid.uuid4().hex[:8]}"
    asyncio.run(runtime.kube.create("/api/v1/namespaces", {"metadata": {"name": name}}))
    yield name
    asyncio.run(runtime.kube.delete(f"/api/v1/namespaces/{name}"))


async def applied(kube: Kube, namespace: str, labelled: dict[str, bool]) -> None:
    """ConfigMaps (labelled as the GitSync's or not) and a GitSync whose inventory holds them."""
    for name, mine in labelled.items():
        labels = {GITSYNC_LABEL: f"{namespace}_site"} if mine else {}
        body = {"metadata": {"name": name, "labels": labels}}
        await kube.create(namespaced("v1", "configmaps", namespace), body)
    gitsync = {"apiVersion": API_VERSION, "kind": "GitSync", "metadata": {"name": "site"},
               "spec": {"url": "file:///r.git", "path": "app"}}  # fmt: skip
    path = namespaced(API_VERSION, GITSYNC_PLURAL, namespace)
    await kube.create(path, gitsync)
    entries = [{"apiVersion": "v1", "kind": "ConfigMap", "namespace": namespace, "name": name}
               for name in labelled]  # fmt: skip
    await kube.merge_patch(f"{path}/site/status", {"status": {"inventory": entries}})


def names(kube: Kube, namespace: str) -> set[str]:
    """The ConfigMaps of the namespace (but the one every namespace has)."""
    found = asyncio.run(kube.list(namespaced("v1", "configmaps", namespace)))
    return {c["metadata"]["name"] for c in found} - {"kube-root-ca.crt"}


def messages(kube: Kube, namespace: str, reason: str) -> list[str]:
    """The messages of the Events of one reason."""
    found = asyncio.run(kube.list(namespaced("v1", "events", namespace)))
    return [e["message"] for e in found if e["reason"] == reason]


def test_the_clean_up_waits_for_the_sync_loop_to_stop(runtime: Runtime, namespace: str) -> None:
    asyncio.run(applied(runtime.kube, namespace, {"settings": True}))
    runtime.wakeups.started((GITSYNC_PLURAL, namespace, "site"))
    assert asyncio.run(finalize_gitsync(runtime, namespace, "site")) == LOOP_STOPPING_SECONDS
    assert names(runtime.kube, namespace) == {"settings"}
    runtime.wakeups.forget((GITSYNC_PLURAL, namespace, "site"))
    assert asyncio.run(finalize_gitsync(runtime, namespace, "site")) is None
    assert names(runtime.kube, namespace) == set()


def test_an_object_relabelled_by_hand_is_kept_and_said_so(runtime: Runtime, namespace: str) -> None:
    asyncio.run(applied(runtime.kube, namespace, {"settings": True, "mine": False}))
    assert asyncio.run(finalize_gitsync(runtime, namespace, "site")) is None
    assert names(runtime.kube, namespace) == {"mine"}
    [message] = messages(runtime.kube, namespace, "GarbageCollected")
    assert message == (
        f"GitSync deleted with spec.prune true: deleted ConfigMap {namespace}/settings; kept "
        f"ConfigMap {namespace}/mine: not labelled {GITSYNC_LABEL}={namespace}_site, kept"
    )


def test_a_failed_clean_up_is_a_warning_and_is_retried(
    cluster: Any, runtime: Runtime, namespace: str
) -> None:
    if not cluster.is_sandbox:
        pytest.skip("needs the sandbox's injected faults")
    asyncio.run(applied(runtime.kube, namespace, {"settings": True}))
    server = yaml.safe_load(Path(cluster.kubeconfig).read_text())["clusters"][0]["cluster"]
    faults, context = f"{server['server']}/sandbox/faults", tls_context(Path(cluster.kubeconfig))
    urlopen(faults, context, {"rate": 1, "codes": [500], "methods": ["DELETE"]}).close()
    try:
        assert asyncio.run(finalize_gitsync(runtime, namespace, "site")) == FAILED_SECONDS
        assert asyncio.run(finalize_gitsync(runtime, namespace, "site")) == FAILED_SECONDS
    finally:
        urlopen(faults, context, {}).close()
    assert names(runtime.kube, namespace) == {"settings"}
    [warning] = messages(runtime.kube, namespace, "GarbageCollectionFailed")
    assert warning.startswith("GitSync deletion waits: deleting what it applied failed, retrying: ")
    assert f"ConfigMap {namespace}/settings: 500 InternalError" in warning
    assert asyncio.run(finalize_gitsync(runtime, namespace, "site")) is None
    assert names(runtime.kube, namespace) == set()
