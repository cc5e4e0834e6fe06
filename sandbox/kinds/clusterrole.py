"""ClusterRole: cluster-wide RBAC rules (enforced), aggregated ones, `kubectl get clusterroles`."""

from __future__ import annotations

from sandbox.apiserver import meta
from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Strategy
from sandbox.kinds.common import CREATED_AT, NAME

KIND = ResourceType(
    "rbac.authorization.k8s.io",
    "v1",
    "ClusterRole",
    "clusterroles",
    namespaced=False,
    strategy=Strategy(
        columns=(NAME, CREATED_AT), name_causes=meta.path_segment_name, shape={"rules": None}
    ),
)
