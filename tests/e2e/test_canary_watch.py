"""The canary search sees what the cluster shows: an Event's message and a pod's log.

A control value (not one of the canaries, so the run's own search stays clean) is put where a
leak would land: in an Event and in the output of a pod that then ends. The session's watchers
must have written both where the end-of-run search reads, under the cluster's sources.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from kubernetes import client
from polling import wait_for
from support.canary import COLLECTOR

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def found_in(value: str) -> set[str]:
    """The sources in which the collector finds the value now."""
    hits = COLLECTOR.search({"control": value}).found
    return {hit.split(": control in ")[0] for hit in hits}


def test_an_event_and_a_pod_log_reach_the_search(kube: Any, kube_namespace: str) -> None:
    core = client.CoreV1Api(kube)
    control = f"control-{uuid.uuid4().hex}"
    event = client.CoreV1Event(
        metadata=client.V1ObjectMeta(name=f"control.{uuid.uuid4().hex[:8]}"),
        involved_object=client.V1ObjectReference(kind="Pod", name="p", namespace=kube_namespace),
        reason="Control",
        message=f"an Event holding {control}",
        type="Normal",
    )
    core.create_namespaced_event(kube_namespace, event)
    # the pod prints the value joined from two variables, so that only its log holds it whole
    halves = [
        client.V1EnvVar(name="HEAD", value=control),
        client.V1EnvVar(name="TAIL", value="-in-a-log"),
    ]
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="printer"),
        spec=client.V1PodSpec(
            restart_policy="Never",
            containers=[
                client.V1Container(name="print", image="busybox:1.36",
                                   command=["sh", "-c", 'echo "$HEAD$TAIL"'], env=halves)
            ],
        ),
    )  # fmt: skip
    core.create_namespaced_pod(kube_namespace, pod)
    events = wait_for(lambda: "cluster events" in found_in(control), 30, "the Event", 0.5)
    assert events
    logs = wait_for(
        lambda: "cluster pods" in found_in(f"{control}-in-a-log"), 60, "the pod's log", 0.5
    )
    assert logs
