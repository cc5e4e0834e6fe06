"""What every sandbox cluster starts with: four namespaces, the one node, the `kubernetes`
Service, the bootstrap RBAC policy and the APIServices of the built-in group versions."""

from __future__ import annotations

import pathlib

from sandbox.apiserver import aggregator, discovery, host
from sandbox.apiserver.policy import seed_policy
from sandbox.apiserver.query import Options
from sandbox.apiserver.registry import Target
from sandbox.apiserver.state import State

NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
RUNTIME_VERSION = "sandbox://1.0"  # the scheme of the process runtime's container ids


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


def seed(
    state: State, data_dir: pathlib.Path, port: int = 6443, runtime_version: str = RUNTIME_VERSION
) -> None:
    """Create the namespaces, the node with this machine's facts (its data on `data_dir`'s
    filesystem), the `kubernetes` Service (to the API server's port), the RBAC policy and the
    built-in APIServices; each namespace then gets its default ServiceAccount and root CA."""
    api, lookup = state.api, state.registry.lookup
    namespaces, nodes = lookup("", "v1", "namespaces"), lookup("", "v1", "nodes")
    assert namespaces is not None
    assert nodes is not None
    for name in NAMESPACES:
        api.create(namespaces, "", {"metadata": {"name": name}}, Options())
    node = host.node(data_dir, discovery.VERSION["gitVersion"], runtime_version)
    created = api.create(nodes, "", node, Options())  # create drops status, as in Kubernetes
    api.update(Target(nodes, None, created["metadata"]["name"], "status"), node, Options())
    services = lookup("", "v1", "services")
    assert services is not None
    api.create(services, "default", _kubernetes_service(port), Options())
    seed_policy(api)
    aggregator.register_built_ins(api)
