"""Projected and downwardAPI volumes, written by the kubelet for every runtime.

A projected volume combines ServiceAccount tokens (requested from the API server with the
TokenRequest API, bound to the pod, as the kubelet does), ConfigMap and Secret keys, and
downward-API fields, in one folder with the volume's `defaultMode` (an item's `mode` wins).
This is how a pod gets /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}.
"""

from __future__ import annotations

import base64
import pathlib
from collections.abc import Awaitable, Callable
from typing import Any

from sandbox.kubelet.env import pod_field
from sandbox.kubelet.runtime import ConfigError, Fetch

Obj = dict[str, Any]
# (pod, audience or None, expirationSeconds) -> a token bound to the pod
TokenSource = Callable[[Obj, str | None, int], Awaitable[str]]
DEFAULT_MODE = 0o644


def _write(target: pathlib.Path, relative: str, data: bytes, mode: int) -> None:
    path = target / relative
    if ".." in pathlib.PurePosixPath(relative).parts or relative.startswith("/"):
        raise ConfigError(f"volume item path {relative!r} must be relative, without '..'")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(mode)


def _downward(target: pathlib.Path, items: list[Obj], pod: Obj, mode: int) -> None:
    for item in items:
        if "fieldRef" not in item:
            raise ConfigError("downwardAPI resourceFieldRef items are not supported by the sandbox")
        value = pod_field(pod, item["fieldRef"].get("fieldPath", ""))
        _write(target, item["path"], value.encode(), item.get("mode", mode))


async def _keys(target: pathlib.Path, projection: Obj, pod: Obj, fetch: Fetch, mode: int) -> None:
    """A projection's ConfigMap or Secret keys (all, or the items chosen) as files."""
    secret = "secret" in projection
    source = projection["secret" if secret else "configMap"]
    resource, what = ("secrets", "secret") if secret else ("configmaps", "configmap")
    obj = await fetch(resource, pod["metadata"]["namespace"], source.get("name", ""))
    if obj is None:
        if source.get("optional"):
            return
        raise ConfigError(f'{what} "{source.get("name")}" not found')
    data = dict(obj.get("data") or {})
    binary = set(data) if secret else set(obj.get("binaryData") or {})
    data.update({} if secret else dict(obj.get("binaryData") or {}))
    for item in source.get("items") or [{"key": k, "path": k} for k in data]:
        if item["key"] not in data:
            if source.get("optional"):
                continue
            raise ConfigError(f"key {item['key']!r} not found in {what} {source.get('name')}")
        raw = data[item["key"]]
        value = base64.b64decode(raw) if item["key"] in binary else str(raw).encode()
        _write(target, item.get("path", item["key"]), value, item.get("mode", mode))


async def write_projected(
    target: pathlib.Path, volume: Obj, pod: Obj, fetch: Fetch, token: TokenSource
) -> None:
    """Write a projected volume's sources into target."""
    target.mkdir(parents=True, exist_ok=True)
    mode = volume.get("defaultMode", DEFAULT_MODE)
    for source in volume.get("sources") or []:
        if "serviceAccountToken" in source:
            spec = source["serviceAccountToken"]
            value = await token(pod, spec.get("audience"), int(spec.get("expirationSeconds", 3600)))
            _write(target, spec.get("path", "token"), value.encode(), mode)
        elif "configMap" in source or "secret" in source:
            await _keys(target, source, pod, fetch, mode)
        elif "downwardAPI" in source:
            _downward(target, source["downwardAPI"].get("items") or [], pod, mode)


def write_downward(target: pathlib.Path, volume: Obj, pod: Obj) -> None:
    """Write a downwardAPI volume's fields into target."""
    target.mkdir(parents=True, exist_ok=True)
    _downward(target, volume.get("items") or [], pod, volume.get("defaultMode", DEFAULT_MODE))
