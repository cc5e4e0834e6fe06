"""Contract: Events keep eventTime (microseconds) and series on both APIs, as kubectl reads them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from api_support import raw

pytestmark = pytest.mark.e2e
FIRST, LATER, LAST = (
    "2026-01-01T00:00:00.000001Z",
    "2026-01-01T00:00:00.250000Z",
    "2026-01-01T00:00:07.654321Z",
)


def core_path(namespace: str, name: str = "") -> str:
    """The core/v1 Events of a namespace, or one of them."""
    return f"/api/v1/namespaces/{namespace}/events" + (f"/{name}" if name else "")


def new_path(namespace: str, name: str = "") -> str:
    """The events.k8s.io/v1 Events of a namespace, or one of them."""
    return f"/apis/events.k8s.io/v1/namespaces/{namespace}/events" + (f"/{name}" if name else "")


def regarding(namespace: str) -> dict[str, str]:
    """The object the Events are about."""
    return {"apiVersion": "v1", "kind": "ConfigMap", "name": "cm", "namespace": namespace}


def core_event(namespace: str, name: str) -> dict[str, Any]:
    """A core/v1 Event as the operator records a repeated one."""
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name},
        "involvedObject": regarding(namespace),
        "type": "Warning",
        "reason": "ValidationFailed",
        "message": "nothing applied",
        "action": "Sync",
        "reportingComponent": "contract-test",
        "reportingInstance": "contract-test-1",
        "source": {"component": "contract-test"},
        "eventTime": "2026-01-01T00:00:00.000001+00:00",
        "firstTimestamp": "2026-01-01T00:00:00Z",
        "lastTimestamp": "2026-01-01T00:00:07Z",
        "count": 2,
        "series": {"count": 2, "lastObservedTime": LAST},
    }


def test_core_events_keep_micro_times_and_series_on_both_apis(kube: Any, kube_namespace: str):
    assert raw(kube, "POST", core_path(kube_namespace), core_event(kube_namespace, "a.1"))[0] == 201
    _, core = raw(kube, "GET", core_path(kube_namespace, "a.1"))
    _, new = raw(kube, "GET", new_path(kube_namespace, "a.1"))
    for body in (core, new):
        assert body["eventTime"] == FIRST
        assert body["series"] == {"count": 2, "lastObservedTime": LAST}
    assert (core["count"], core["lastTimestamp"]) == (2, "2026-01-01T00:00:07Z")
    assert (new["deprecatedCount"], new["deprecatedLastTimestamp"]) == (2, core["lastTimestamp"])
    assert (new["note"], new["reportingController"]) == ("nothing applied", "contract-test")
    patch = {"count": 3, "series": {"count": 3, "lastObservedTime": LATER}}
    status, _ = raw(kube, "PATCH", core_path(kube_namespace, "a.1"), patch,
                    {"Content-Type": "application/merge-patch+json"})  # fmt: skip
    assert status == 200
    _, new = raw(kube, "GET", new_path(kube_namespace, "a.1"))
    assert new["series"] == {"count": 3, "lastObservedTime": LATER}


def test_new_api_events_with_a_series_read_back_through_core_and_kubectl(
    cluster: Any, kube: Any, kube_namespace: str
):
    event = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "b.1"},
        "regarding": regarding(kube_namespace),
        "type": "Normal",
        "reason": "Synced",
        "note": "applied",
        "action": "Sync",
        "reportingController": "contract-test",
        "reportingInstance": "contract-test-1",
        "eventTime": FIRST,
        "series": {"count": 3, "lastObservedTime": LAST},
    }
    status, made = raw(kube, "POST", new_path(kube_namespace), event)
    assert status == 201, made
    _, core = raw(kube, "GET", core_path(kube_namespace, "b.1"))
    assert (core["eventTime"], core["series"]) == (FIRST, event["series"])
    assert (core["message"], core["involvedObject"]["name"]) == ("applied", "cm")
    assert not core.get("count")  # the new API leaves the deprecated fields unset
    shown = cluster.kubectl("get", "events", "-n", kube_namespace, "--field-selector=reason=Synced")
    assert shown.returncode == 0, shown.stderr
    assert re.search(r"\(x3 over \S+\)\s+Normal\s+Synced\s+configmap/cm\s+applied", shown.stdout)
