"""What every sandbox cluster starts with: four namespaces and the one node."""

from __future__ import annotations

import copy

from sandbox.apiserver.query import Options
from sandbox.apiserver.registry import Target
from sandbox.apiserver.state import State

NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
NODE = {
    "metadata": {
        "name": "sandbox",
        "labels": {
            "kubernetes.io/hostname": "sandbox",
            "kubernetes.io/os": "linux",
            "node-role.kubernetes.io/control-plane": "true",
        },
    },
    "spec": {},
    "status": {
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "message": "sandbox process kubelet is ready",
            }
        ],
        "addresses": [
            {"type": "InternalIP", "address": "127.0.0.1"},
            {"type": "Hostname", "address": "sandbox"},
        ],
        "capacity": {"cpu": "2", "memory": "4Gi", "pods": "110"},
        "allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110"},
        "nodeInfo": {
            "kubeletVersion": "v1.37.0+sandbox",
            "operatingSystem": "linux",
            "architecture": "amd64",
            "containerRuntimeVersion": "sandbox://1.0",
        },
    },
}


def seed(state: State) -> None:
    """Create the namespaces and the node (each namespace then gets its default ServiceAccount)."""
    api, lookup = state.api, state.registry.lookup
    namespaces, nodes = lookup("", "v1", "namespaces"), lookup("", "v1", "nodes")
    assert namespaces is not None
    assert nodes is not None
    for name in NAMESPACES:
        api.create(namespaces, "", {"metadata": {"name": name}}, Options())
    node = copy.deepcopy(NODE)
    created = api.create(nodes, "", node, Options())  # create drops status, as in Kubernetes
    api.update(Target(nodes, None, created["metadata"]["name"], "status"), node, Options())
