"""RoleBinding: subjects bound to a Role or ClusterRole within one namespace."""

from __future__ import annotations

from sandbox.apiserver import meta
from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Strategy
from sandbox.kinds.common import AGE, NAME, ROLE, ROLE_REF

KIND = ResourceType(
    "rbac.authorization.k8s.io",
    "v1",
    "RoleBinding",
    "rolebindings",
    strategy=Strategy(
        columns=(NAME, ROLE, AGE), name_causes=meta.path_segment_name, shape={"roleRef": ROLE_REF}
    ),
)
