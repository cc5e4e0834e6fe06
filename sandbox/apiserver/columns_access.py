"""Table columns of the networking and RBAC kinds, as kubectl's server-side printers show them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Obj = dict[str, Any]
Column = tuple[str, str, int, Callable[[Obj], Any]]


def _name(obj: Obj) -> str:
    return obj["metadata"]["name"]


def _age(obj: Obj) -> Any:
    from sandbox.apiserver.tables import age

    return age(obj["metadata"].get("creationTimestamp"))


def _created(obj: Obj) -> Any:
    return obj["metadata"].get("creationTimestamp")


def _spec(obj: Obj) -> dict[str, Any]:
    return obj.get("spec") or {}


def _hosts(obj: Obj) -> str:
    hosts = [r.get("host") for r in _spec(obj).get("rules") or [] if r.get("host")]
    return ",".join(hosts) or "*"


def _ingress_ports(obj: Obj) -> str:
    return "80, 443" if _spec(obj).get("tls") else "80"


def _address(obj: Obj) -> str:
    found = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return ",".join(i.get("ip") or i.get("hostname") or "" for i in found)


def _pod_selector(obj: Obj) -> str:
    labels = (_spec(obj).get("podSelector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in labels.items()) or "<none>"


def _role(obj: Obj) -> str:
    ref = obj.get("roleRef") or {}
    return f"{ref.get('kind', '')}/{ref.get('name', '')}"


ACCESS_COLUMNS: dict[str, list[Column]] = {
    "Ingress": [
        ("Name", "string", 0, _name),
        ("Class", "string", 0, lambda o: _spec(o).get("ingressClassName", "<none>")),
        ("Hosts", "string", 0, _hosts),
        ("Address", "string", 0, _address),
        ("Ports", "string", 0, _ingress_ports),
        ("Age", "string", 0, _age),
    ],
    "NetworkPolicy": [
        ("Name", "string", 0, _name),
        ("Pod-Selector", "string", 0, _pod_selector),
        ("Age", "string", 0, _age),
    ],
    "Role": [("Name", "string", 0, _name), ("Created At", "date", 0, _created)],
    "ClusterRole": [("Name", "string", 0, _name), ("Created At", "date", 0, _created)],
    "RoleBinding": [
        ("Name", "string", 0, _name),
        ("Role", "string", 0, _role),
        ("Age", "string", 0, _age),
    ],
    "ClusterRoleBinding": [
        ("Name", "string", 0, _name),
        ("Role", "string", 0, _role),
        ("Age", "string", 0, _age),
    ],
}
