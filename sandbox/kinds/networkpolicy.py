"""NetworkPolicy: stored and shown by `kubectl get networkpolicies` (never enforced here)."""

from __future__ import annotations

from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Column, Strategy
from sandbox.kinds.common import AGE, NAME, match_labels, spec

KIND = ResourceType(
    "networking.k8s.io",
    "v1",
    "NetworkPolicy",
    "networkpolicies",
    short_names=("netpol",),
    generation=True,
    strategy=Strategy(
        columns=(
            NAME,
            Column("Pod-Selector", "string", 0, lambda o: match_labels(spec(o).get("podSelector"))),
            AGE,
        ),
        shape={"spec": {"podSelector": {}}},
    ),
)
