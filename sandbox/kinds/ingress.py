"""Ingress: stored and shown by `kubectl get ingresses` (no ingress controller runs here)."""

from __future__ import annotations

from typing import Any

from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Column, Strategy
from sandbox.kinds.common import AGE, NAME, spec

Obj = dict[str, Any]
# IngressBackend: `service` is a pointer; its name has no omitempty, its port is a struct
BACKEND = {"service?": {"name": "", "port": {}}}


def _hosts(obj: Obj) -> str:
    hosts = [r.get("host") for r in spec(obj).get("rules") or [] if r.get("host")]
    return ",".join(hosts) or "*"


def _address(obj: Obj) -> str:
    found = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return ",".join(i.get("ip") or i.get("hostname") or "" for i in found)


KIND = ResourceType(
    "networking.k8s.io",
    "v1",
    "Ingress",
    "ingresses",
    short_names=("ing",),
    status=True,
    generation=True,
    strategy=Strategy(
        columns=(
            NAME,
            Column("Class", "string", 0, lambda o: spec(o).get("ingressClassName", "<none>")),
            Column("Hosts", "string", 0, _hosts),
            Column("Address", "string", 0, _address),
            Column("Ports", "string", 0, lambda o: "80, 443" if spec(o).get("tls") else "80"),
            AGE,
        ),
        shape={
            "spec": {
                "defaultBackend?": BACKEND,
                "rules[]": {"http?": {"paths[]": {"backend": BACKEND}}},
            },
            "status": {"loadBalancer": {}},
        },
    ),
)
