"""Service: a ClusterIP and nodePorts allocated on create, the ports required, `kubectl get svc`."""

from __future__ import annotations

import itertools
from typing import Any

from sandbox.apiserver import meta
from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Cause, Column, Strategy, immutable_fields
from sandbox.hostports import pick_node_port
from sandbox.kinds.common import AGE, NAME, constant, required, spec

Obj = dict[str, Any]
NODE_PORTS = range(30000, 32768)
_cluster_ips = itertools.count(10)
_node_ports: set[int] = set()


def defaults(obj: Obj, old: Obj | None) -> None:
    """On create: type ClusterIP, a cluster IP, the IP families, and nodePorts where needed."""
    if old is not None:
        return
    svc = obj.setdefault("spec", {})
    svc.setdefault("type", "ClusterIP")
    svc.setdefault("sessionAffinity", "None")
    if svc.get("clusterIP") != "None":
        index = next(_cluster_ips)
        svc.setdefault("clusterIP", f"10.43.{index // 250}.{index % 250 + 1}")
        svc.setdefault("clusterIPs", [svc["clusterIP"]])
    svc.setdefault("ipFamilies", ["IPv4"])
    svc.setdefault("ipFamilyPolicy", "SingleStack")
    svc.setdefault("internalTrafficPolicy", "Cluster")
    exposed = svc["type"] in ("NodePort", "LoadBalancer")
    for port in svc.get("ports") or []:
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))
        if exposed and not port.get("nodePort"):
            port["nodePort"] = pick_node_port(set(NODE_PORTS) - _node_ports)
        if port.get("nodePort"):
            _node_ports.add(port["nodePort"])
    if exposed:
        svc.setdefault("externalTrafficPolicy", "Cluster")


def validate(obj: Obj) -> list[Cause]:
    """Every port has a number."""
    ports = spec(obj).get("ports") or []
    return [required(f"spec.ports[{i}].port") for i, p in enumerate(ports) if not p.get("port")]


def _ports(obj: Obj) -> str:
    parts = []
    for port in spec(obj).get("ports") or []:
        node = f":{port['nodePort']}" if port.get("nodePort") else ""
        parts.append(f"{port.get('port')}{node}/{port.get('protocol', 'TCP')}")
    return ",".join(parts) or "<none>"


def _selector(obj: Obj) -> str:
    return ",".join(f"{k}={v}" for k, v in (spec(obj).get("selector") or {}).items()) or "<none>"


KIND = ResourceType(
    "",
    "v1",
    "Service",
    "services",
    short_names=("svc",),
    status=True,
    categories=("all",),
    strategy=Strategy(
        defaults=defaults,
        validate=validate,
        immutable=immutable_fields("spec.clusterIP"),
        columns=(
            NAME,
            Column("Type", "string", 0, lambda o: spec(o).get("type", "ClusterIP")),
            Column("Cluster-IP", "string", 0, lambda o: spec(o).get("clusterIP", "<none>")),
            Column("External-IP", "string", 0, constant("<none>")),
            Column("Port(s)", "string", 0, _ports),
            AGE,
            Column("Selector", "string", 1, _selector),
        ),
        name_causes=meta.dns1035_name,
        kept_on_update=("clusterIP", "clusterIPs", "type"),
        returns_deleted=True,
        shape={"spec": {"ports[]": {"port": 0, "targetPort": 0}}, "status": {"loadBalancer": {}}},
    ),
)
