"""Fidelity: the Node reads as a kubelet registers it.

From the 1.37 NodeSystemInfo schema (all ten strings required) and the kubelet's status
setters: nodeInfo has machineID, systemUUID, bootID, kernelVersion, osImage,
containerRuntimeVersion, kubeletVersion, kubeProxyVersion (no longer set: empty),
operatingSystem and architecture; the conditions MemoryPressure, DiskPressure, PIDPressure and
Ready come in that order; capacity and allocatable give cpu, memory, pods and
ephemeral-storage. On the sandbox the values are this machine's. Runs on the sandbox and on k3s.
"""

from __future__ import annotations

import json
import os
import platform
import re

import pytest
from fidelity_support import raw_text, schema_definitions
from kubernetes import client

pytestmark = pytest.mark.fidelity


# NodeSystemInfo's required fields in the 1.37 schema: the ten strings, in Go's order
NODE_INFO = list(schema_definitions()["io.k8s.api.core.v1.NodeSystemInfo"]["required"])
CONDITIONS = ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def node(kube) -> dict:
    """The first node, as raw JSON."""
    name = client.CoreV1Api(kube).list_node().items[0].metadata.name
    status, text, _ = raw_text(kube, "GET", f"/api/v1/nodes/{name}")
    assert status == 200
    return json.loads(text)


def test_node_info_has_all_ten_fields_in_order(node):
    info = node["status"]["nodeInfo"]
    assert len(NODE_INFO) == 10
    assert [k for k in info if k in NODE_INFO] == NODE_INFO
    assert all(isinstance(info[k], str) for k in NODE_INFO)
    assert re.fullmatch(r"[0-9a-f]{32}", info["machineID"]), info["machineID"]
    assert UUID.match(info["bootID"]), info["bootID"]
    assert info["systemUUID"] == "" or re.fullmatch(r"[0-9A-Fa-f-]{36}", info["systemUUID"])
    assert info["operatingSystem"] == "linux"
    assert info["architecture"] in ("amd64", "arm64", "arm", "ppc64le", "s390x")
    assert re.match(r"^v1\.\d+\.\d+", info["kubeletVersion"]), info["kubeletVersion"]
    assert re.match(r"^[a-z-]+://\S+$", info["containerRuntimeVersion"])
    assert info["kernelVersion"]
    assert info["osImage"]


def test_conditions_come_in_the_kubelets_order(node):
    conditions = node["status"]["conditions"]
    types = [c["type"] for c in conditions if c["type"] in CONDITIONS]
    assert types == CONDITIONS
    by_type = {c["type"]: c for c in conditions}
    assert by_type["Ready"]["status"] == "True"
    assert by_type["Ready"]["reason"] == "KubeletReady"
    for kind in CONDITIONS[:3]:
        assert by_type[kind]["status"] == "False"
    for condition in conditions:
        assert list(condition)[:2] == ["type", "status"]
        assert condition["lastHeartbeatTime"]
        assert condition["lastTransitionTime"]


def test_capacity_and_allocatable_describe_the_machine(cluster, node):
    capacity, allocatable = node["status"]["capacity"], node["status"]["allocatable"]
    for resources in (capacity, allocatable):
        assert {"cpu", "memory", "pods", "ephemeral-storage"} <= set(resources)
        assert list(resources) == sorted(resources)
    assert re.fullmatch(r"\d+Ki", capacity["memory"]), capacity["memory"]
    assert re.fullmatch(r"\d+", capacity["cpu"]), capacity["cpu"]
    if cluster.is_sandbox:  # the sandbox's node is this machine
        with open("/proc/meminfo") as meminfo:
            total = next(line.split()[1] for line in meminfo if line.startswith("MemTotal:"))
        assert capacity["memory"] == f"{total}Ki"
        assert capacity["cpu"] == str(os.cpu_count())
        info = node["status"]["nodeInfo"]
        assert info["kernelVersion"] == platform.release()
        with open("/etc/machine-id") as machine_id:
            assert info["machineID"] == machine_id.read().strip()
