"""The sandbox's own Events (kubelet, scheduler, controllers), as real kubectl shows them."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sandbox_workloads import Sandbox, namespace, sandbox, wait_for, web_container

__all__ = ["namespace", "sandbox"]
pytestmark = pytest.mark.slow
MICRO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
NAME = re.compile(r"^(?P<object>.+)\.(?P<nanoseconds>[0-9a-f]{16})$")


def pod(name: str, image: str) -> dict[str, Any]:
    """A bare Pod with one container."""
    container = web_container() if "web" in image else {"name": "c", "image": image}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [container]}}  # fmt: skip


def events(sandbox: Sandbox, namespace: str, *args: str) -> list[dict[str, Any]]:
    """kubectl get events -o json with extra arguments, as a list of Events."""
    found = sandbox.kubectl("get", "events", "-n", namespace, "-o", "json", *args)
    return json.loads(found.stdout)["items"]


def test_a_pods_events_sort_in_the_order_they_happened(sandbox: Sandbox, namespace: str) -> None:
    sandbox.apply(namespace, pod("web", "sandbox.test/web:1"))
    sandbox.kubectl("wait", "--for=condition=Ready", "pod/web", "-n", namespace, "--timeout=60s")
    about = "--field-selector=involvedObject.name=web"
    listed = wait_for(lambda: len(found := events(sandbox, namespace, about)) >= 4 and found,
                      "the pod's first four Events")  # fmt: skip
    for event in listed:
        assert MICRO.match(event["eventTime"]), event
        assert NAME.match(event["metadata"]["name"])["object"] == "web"
        assert all(event[key] for key in ("action", "reportingComponent", "reportingInstance"))
    happened = [e["reason"] for e in sorted(listed, key=lambda e: e["eventTime"])]
    assert happened[:4] == ["Scheduled", "Pulled", "Created", "Started"]
    # Same-second Events: --sort-by=.lastTimestamp keeps the server's order, which is by name,
    # and the names carry the nanosecond clock; --sort-by=.eventTime orders by microseconds.
    for field in (".lastTimestamp", ".eventTime"):
        table = sandbox.kubectl("get", "events", "-n", namespace, about, f"--sort-by={field}")
        reasons = [line.split()[2] for line in table.stdout.splitlines()[1:]]
        assert reasons[:4] == happened[:4], (field, table.stdout)


def test_a_repeated_kubelet_event_is_one_event_with_a_series(
    sandbox: Sandbox, namespace: str
) -> None:
    sandbox.apply(namespace, pod("crash", "sandbox.test/crash:1"))

    def backed_off_twice() -> list[dict[str, Any]]:
        found = [e for e in events(sandbox, namespace) if e["reason"] == "BackOff"]
        return found if found and found[0].get("count", 1) >= 2 else []

    [backoff] = wait_for(backed_off_twice, "a second BackOff of the crashing container")
    series = backoff["series"]
    assert series["count"] == backoff["count"] >= 2
    assert MICRO.match(series["lastObservedTime"])
    assert series["lastObservedTime"] > backoff["eventTime"]
    table = sandbox.kubectl("get", "events", "-n", namespace, "--field-selector=reason=BackOff")
    assert re.search(r" \(x\d+ over \S+\)\s+Warning\s+BackOff\s+pod/crash", table.stdout), (
        table.stdout
    )
