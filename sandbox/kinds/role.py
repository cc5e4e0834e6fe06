"""Role: namespaced RBAC rules (read by access reviews, not enforced), `kubectl get roles`."""

from __future__ import annotations

from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Strategy
from sandbox.kinds.common import CREATED_AT, NAME

KIND = ResourceType(
    "rbac.authorization.k8s.io",
    "v1",
    "Role",
    "roles",
    strategy=Strategy(columns=(NAME, CREATED_AT)),
)
