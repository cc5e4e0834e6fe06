"""ClusterRole: cluster-wide RBAC rules (read by access reviews), `kubectl get clusterroles`."""

from __future__ import annotations

from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Strategy
from sandbox.kinds.common import CREATED_AT, NAME

KIND = ResourceType(
    "rbac.authorization.k8s.io",
    "v1",
    "ClusterRole",
    "clusterroles",
    namespaced=False,
    strategy=Strategy(columns=(NAME, CREATED_AT)),
)
