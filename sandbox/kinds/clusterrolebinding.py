"""ClusterRoleBinding: subjects bound to a ClusterRole in every namespace."""

from __future__ import annotations

from sandbox.apiserver import meta
from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Strategy
from sandbox.kinds.common import AGE, NAME, ROLE, ROLE_REF

KIND = ResourceType(
    "rbac.authorization.k8s.io",
    "v1",
    "ClusterRoleBinding",
    "clusterrolebindings",
    namespaced=False,
    strategy=Strategy(
        columns=(NAME, ROLE, AGE), name_causes=meta.path_segment_name, shape={"roleRef": ROLE_REF}
    ),
)
