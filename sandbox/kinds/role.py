"""Role: namespaced RBAC rules (enforced for ServiceAccount tokens), `kubectl get roles`."""

from __future__ import annotations

from sandbox.apiserver import meta
from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Strategy
from sandbox.kinds.common import CREATED_AT, NAME

KIND = ResourceType(
    "rbac.authorization.k8s.io",
    "v1",
    "Role",
    "roles",
    strategy=Strategy(
        columns=(NAME, CREATED_AT), name_causes=meta.path_segment_name, shape={"rules": None}
    ),
)
