"""APIService (apiregistration.k8s.io/v1): the group versions the server lists, local or proxied.

The sandbox serves every group version itself: the built-in ones and those of CRDs are
registered as local APIServices (apiserver/aggregator.py); one that names a Service is stored
and reported unavailable, since the sandbox proxies to no extension API server.
"""

from __future__ import annotations

from typing import Any

from sandbox.apiserver import meta
from sandbox.apiserver.errors import cause
from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.strategy import Cause, Column, Strategy
from sandbox.kinds.common import AGE, NAME, required, spec, status

Obj = dict[str, Any]


def defaults(obj: Obj, _old: Obj | None) -> None:
    """A Service reference defaults its port to 443."""
    service = spec(obj).get("service")
    if isinstance(service, dict):
        service.setdefault("port", 443)


def validate(obj: Obj) -> list[Cause]:
    """The name is `<version>.<group>` (`v1.` for the core group); both priorities are set."""
    svc_spec = spec(obj)
    causes = [
        required(f"spec.{key}")
        for key in ("groupPriorityMinimum", "versionPriority")
        if not svc_spec.get(key)
    ]
    expected = f"{svc_spec.get('version', '')}.{svc_spec.get('group', '')}"
    if obj["metadata"]["name"] != expected:
        name = obj["metadata"]["name"]
        message = f'Invalid value: "{name}": must be `spec.version+"."+spec.group`'
        causes.append(cause("metadata.name", "FieldValueInvalid", message))
    return causes


def name_causes(name: str) -> list[Cause]:
    """`<version>.<group>`: the core group's `v1.` ends with the dot."""
    return meta.subdomain_name(name.removesuffix(".") if name.count(".") == 1 else name)


def _service(obj: Obj) -> str:
    ref = spec(obj).get("service")
    return f"{ref.get('namespace', '')}/{ref.get('name', '')}" if ref else "Local"


def _available(obj: Obj) -> str:
    found = [c for c in status(obj).get("conditions") or [] if c.get("type") == "Available"]
    if not found:
        return "Unknown"
    cond = found[0]
    if cond.get("status") == "True" or not cond.get("reason"):
        return str(cond.get("status", "Unknown"))
    return f"{cond.get('status')} ({cond['reason']})"


KIND = ResourceType(
    "apiregistration.k8s.io",
    "v1",
    "APIService",
    "apiservices",
    namespaced=False,
    status=True,
    categories=("api-extensions",),
    strategy=Strategy(
        defaults=defaults,
        validate=validate,
        name_causes=name_causes,
        columns=(
            NAME,
            Column("Service", "string", 0, _service),
            Column("Available", "string", 0, _available),
            AGE,
        ),
        shape={"spec": {"groupPriorityMinimum": 0, "versionPriority": 0}, "status": {}},
    ),
)
