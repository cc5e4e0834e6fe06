"""What every sandbox cluster starts with: four namespaces, the one node, the `kubernetes`
Service and the bootstrap RBAC policy."""

from __future__ import annotations

import copy

from sandbox.apiserver.policy import seed_policy
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


def _kubernetes_service(port: int) -> dict[str, object]:
    return {
        "metadata": {
            "name": "kubernetes",
            "labels": {"component": "apiserver", "provider": "kubernetes"},
        },
        "spec": {
            "clusterIP": "10.43.0.1",
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}],
            "type": "ClusterIP",
        },
    }


def seed(state: State, port: int = 6443) -> None:
    """Create the namespaces, the node, the `kubernetes` Service (to the API server's port) and
    the RBAC policy; each namespace then gets its default ServiceAccount and root CA."""
    api, lookup = state.api, state.registry.lookup
    namespaces, nodes = lookup("", "v1", "namespaces"), lookup("", "v1", "nodes")
    assert namespaces is not None
    assert nodes is not None
    for name in NAMESPACES:
        api.create(namespaces, "", {"metadata": {"name": name}}, Options())
    node = copy.deepcopy(NODE)
    created = api.create(nodes, "", node, Options())  # create drops status, as in Kubernetes
    api.update(Target(nodes, None, created["metadata"]["name"], "status"), node, Options())
    services = lookup("", "v1", "services")
    assert services is not None
    api.create(services, "default", _kubernetes_service(port), Options())
    seed_policy(api)
