"""A container's declared environment: envFrom, then env in order, with Kubernetes' $(VAR)."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from sandbox.kubelet.runtime import ConfigError, Fetch

_VAR = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.\-]*)\)")


def expand(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes $(VAR) expansion: known names expand, $$ escapes, unknown ones stay."""

    def sub(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        return env[name] if name in env else match.group(0)

    return _VAR.sub(sub, text)


async def _key(fetch: Fetch, resource: str, namespace: str, ref: dict[str, Any]) -> str | None:
    """One key of a ConfigMap or Secret (Secret values are base64-decoded)."""
    obj = await fetch(resource, namespace, ref.get("name", ""))
    data = (obj or {}).get("data") or {}
    key = ref.get("key", "")
    if key in data:
        value = str(data[key])
        return base64.b64decode(value).decode() if resource == "secrets" else value
    if resource == "configmaps" and key in ((obj or {}).get("binaryData") or {}):
        return base64.b64decode(obj["binaryData"][key]).decode(errors="replace")  # type: ignore[index]
    if ref.get("optional"):
        return None
    kind = "secret" if resource == "secrets" else "configmap"
    what = (
        f'{kind} "{ref.get("name")}" not found'
        if obj is None
        else f"couldn't find key {key} in {kind} {namespace}/{ref.get('name')}"
    )
    raise ConfigError(what)


def pod_field(pod: dict[str, Any], field: str) -> str:
    """A `fieldRef` of the downward API (env and downwardAPI volumes); ConfigError if unknown."""
    namespace = pod["metadata"]["namespace"]
    fields = {
        "metadata.name": pod["metadata"]["name"],
        "metadata.namespace": namespace,
        "metadata.uid": pod["metadata"].get("uid", ""),
        "spec.nodeName": pod["spec"].get("nodeName", ""),
        "spec.serviceAccountName": pod["spec"].get("serviceAccountName", "default"),
        "status.podIP": "127.0.0.1",
        "status.hostIP": "127.0.0.1",
    }
    if field in fields:
        return str(fields[field])
    raise ConfigError(f"unsupported fieldRef {field!r} (the sandbox knows {sorted(fields)})")


async def _value_from(source: dict[str, Any], pod: dict[str, Any], fetch: Fetch) -> str | None:
    """Resolve env[].valueFrom."""
    namespace = pod["metadata"]["namespace"]
    if "secretKeyRef" in source:
        return await _key(fetch, "secrets", namespace, source["secretKeyRef"])
    if "configMapKeyRef" in source:
        return await _key(fetch, "configmaps", namespace, source["configMapKeyRef"])
    return pod_field(pod, (source.get("fieldRef") or {}).get("fieldPath", ""))


async def _env_from(sources: list[dict[str, Any]], namespace: str, fetch: Fetch) -> dict[str, str]:
    """Resolve envFrom (every key of a ConfigMap or Secret, with an optional prefix)."""
    env: dict[str, str] = {}
    for source in sources:
        resource, ref = (
            ("secrets", source["secretRef"])
            if "secretRef" in source
            else ("configmaps", source.get("configMapRef") or {})
        )
        obj = await fetch(resource, namespace, ref.get("name", ""))
        if obj is None and not ref.get("optional"):
            raise ConfigError(f'{resource[:-1]} "{ref.get("name")}" not found')
        for key, value in ((obj or {}).get("data") or {}).items():
            text = base64.b64decode(value).decode() if resource == "secrets" else str(value)
            env[source.get("prefix", "") + key] = text
    return env


async def declared_env(
    container: dict[str, Any], pod: dict[str, Any], image_env: Mapping[str, str], fetch: Fetch
) -> dict[str, str]:
    """The image's env < envFrom < env (in order, each $(VAR) over what came before)."""
    env = dict(image_env)
    env.update(await _env_from(container.get("envFrom") or [], pod["metadata"]["namespace"], fetch))
    for var in container.get("env") or []:
        if "valueFrom" in var:
            value = await _value_from(var["valueFrom"], pod, fetch)
            if value is None:
                continue
        else:
            value = expand(str(var.get("value", "")), env)
        env[var["name"]] = value
    return env
