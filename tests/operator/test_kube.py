"""The API adapter against a real API server (the sandbox, or --kubeconfig)."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import pytest
import yaml
from gitops.api import COMPONENT
from gitops.kube import Kube, KubeError, namespaced

pytestmark = [pytest.mark.e2e]


@pytest.fixture(scope="module")
def namespace(cluster: Any) -> str:
    """A fresh namespace."""
    name = f"kube-{uuid.uuid4().hex[:6]}"
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    done = cluster.kubectl("apply", "--validate=false", "-f", "-", input=yaml.safe_dump(body))
    assert done.returncode == 0, done.stderr
    return name


def configmap(name: str, **labels: str) -> dict[str, Any]:
    """A ConfigMap body."""
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}}


async def crud(kube: Kube, ns: str) -> None:
    """Create, read, patch, list, conflict, delete."""
    collection = namespaced("v1", "configmaps", ns)
    created = await kube.create(collection, {**configmap("a", tier="web"), "data": {"k": "1"}})
    assert created["metadata"]["uid"]
    await kube.create(collection, configmap("b", tier="db"))
    patched = await kube.merge_patch(f"{collection}/a", {"data": {"k": "2", "j": "3"}})
    assert patched["data"] == {"k": "2", "j": "3"}
    assert [o["metadata"]["name"] for o in await kube.list(collection, "tier=web")] == ["a"]
    with pytest.raises(KubeError) as caught:
        await kube.create(collection, configmap("a"))
    assert caught.value.conflict
    await kube.delete(f"{collection}/b")
    await kube.delete(f"{collection}/b")  # already gone: fine
    assert await kube.get(f"{collection}/b") is None


def test_crud_and_errors(cluster: Any, namespace: str) -> None:
    asyncio.run(crud(Kube.from_environment(str(cluster.kubeconfig)), namespace))


async def event_on(kube: Kube, ns: str) -> list[dict[str, Any]]:
    """Record an Event on a ConfigMap and read the Events back."""
    obj = await kube.create(namespaced("v1", "configmaps", ns), configmap("evented"))
    await kube.create_event(obj, "Warning", "SnapshotFailed", "disk full " + "x" * 2000)
    return await kube.list(namespaced("v1", "events", ns))


def test_events_name_their_object_and_are_bounded(cluster: Any, namespace: str) -> None:
    kube = Kube.from_environment(str(cluster.kubeconfig))
    events = asyncio.run(event_on(kube, namespace))
    (event,) = [e for e in events if e["involvedObject"]["name"] == "evented"]
    assert (event["type"], event["reason"]) == ("Warning", "SnapshotFailed")
    assert event["involvedObject"]["kind"] == "ConfigMap"
    assert len(event["message"]) == 1024


MICRO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


async def repeated(kube: Kube, ns: str, times: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Record the same Warning `times` times, and one other message; read the Events back."""
    obj = await kube.create(namespaced("v1", "configmaps", ns), configmap("repeated"))
    for _ in range(times):
        await kube.create_event(obj, "Warning", "ValidationFailed", "nothing applied")
    await kube.create_event(obj, "Warning", "ValidationFailed", "something else")
    events = await kube.list(namespaced("v1", "events", ns))
    return obj, [e for e in events if e["involvedObject"]["name"] == "repeated"]


def test_a_repeated_event_updates_its_count_and_series(cluster: Any, namespace: str) -> None:
    kube = Kube.from_environment(str(cluster.kubeconfig))
    obj, events = asyncio.run(repeated(kube, namespace, 3))
    [again] = [e for e in events if e["message"] == "nothing applied"]
    [other] = [e for e in events if e["message"] == "something else"]
    assert (again["count"], again["series"]["count"]) == (3, 3)
    assert MICRO.match(again["eventTime"])
    assert again["series"]["lastObservedTime"] > again["eventTime"]
    assert again["lastTimestamp"] >= again["firstTimestamp"]
    assert (other["count"], other.get("series")) == (1, None)
    assert re.match(r"^repeated\.[0-9a-f]{16}$", again["metadata"]["name"])
    assert (again["action"], again["reportingComponent"]) == ("Reconcile", COMPONENT)
    assert again["reportingInstance"].startswith(COMPONENT)
    shown = cluster.kubectl("get", "events", "-n", namespace, "--field-selector=type=Warning")
    assert re.search(
        r"\(x3 over \S+\)\s+Warning\s+ValidationFailed\s+configmap/repeated", shown.stdout
    )
    # An Event that is gone (they expire) starts a new count.
    asyncio.run(kube.delete(namespaced("v1", "events", namespace, again["metadata"]["name"])))
    asyncio.run(kube.create_event(obj, "Warning", "ValidationFailed", "nothing applied"))
    found = asyncio.run(kube.list(namespaced("v1", "events", namespace)))
    [fresh] = [e for e in found if e["message"] == "nothing applied"]
    assert (fresh["count"], fresh.get("series")) == (1, None)
