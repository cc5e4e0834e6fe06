"""Volumes as host folders: PVCs outlive pods, emptyDir in the pod folder, ConfigMaps, Secrets,
projected and downwardAPI volumes as files."""

from __future__ import annotations

import base64
import dataclasses
import pathlib
from collections.abc import Callable
from typing import Any

from sandbox.kubelet.layout import termination_file
from sandbox.kubelet.projected import (
    DEFAULT_MODE,
    TokenSource,
    write_downward,
    write_projected,
)
from sandbox.kubelet.runtime import ConfigError, Fetch

DEFAULT_TERMINATION_PATH = "/dev/termination-log"


def claim_dir(data_dir: pathlib.Path, claim: dict[str, Any]) -> pathlib.Path:
    """The folder that holds a PersistentVolumeClaim's data, named as k3s's local-path
    provisioner names it: storage/pvc-<claim uid>_<namespace>_<claim name>."""
    md = claim["metadata"]
    return data_dir / "storage" / f"pvc-{md.get('uid', '')}_{md['namespace']}_{md['name']}"


async def _write_keys(
    target: pathlib.Path, source: dict[str, Any], obj: dict[str, Any] | None, secret: bool
) -> None:
    """Write the keys (or the chosen items) of a ConfigMap/Secret as files, with the volume's
    defaultMode (0644 unless set) or the item's mode."""
    target.mkdir(parents=True, exist_ok=True)
    data = dict((obj or {}).get("data") or {})
    if not secret:
        data.update(dict((obj or {}).get("binaryData") or {}))
    items = source.get("items") or [{"key": k, "path": k} for k in data]
    for item in items:
        if item["key"] not in data:
            if source.get("optional"):
                continue
            raise ConfigError(f"key {item['key']!r} not found for volume")
        raw = data[item["key"]]
        binary = secret or item["key"] in ((obj or {}).get("binaryData") or {})
        path = target / item.get("path", item["key"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(raw) if binary else str(raw).encode())
        path.chmod(int(item.get("mode", source.get("defaultMode", DEFAULT_MODE))))


@dataclasses.dataclass(frozen=True)
class Sources:
    """Where a pod's volumes come from: this node's data folder, the API's objects and tokens,
    and where a hostPath volume's path is on this node."""

    data_dir: pathlib.Path
    fetch: Fetch
    token: TokenSource
    host_path: Callable[[str], pathlib.Path]


async def prepare_volumes(
    pod: dict[str, Any], pod_dir: pathlib.Path, sources: Sources
) -> dict[str, pathlib.Path]:
    """Create every volume of the pod; return volume name -> host folder."""
    data_dir, fetch, token, host_path = (
        sources.data_dir, sources.fetch, sources.token, sources.host_path
    )  # fmt: skip
    namespace = pod["metadata"]["namespace"]
    result: dict[str, pathlib.Path] = {}
    for volume in pod["spec"].get("volumes") or []:
        name = volume["name"]
        own = pod_dir / "volumes" / name
        if "persistentVolumeClaim" in volume:
            claim = volume["persistentVolumeClaim"]["claimName"]
            found = await fetch("persistentvolumeclaims", namespace, claim)
            if found is None:
                raise ConfigError(f'persistentvolumeclaim "{claim}" not found')
            host = claim_dir(data_dir, found)
            if not host.exists():  # as local-path does: mkdir -m 0777
                host.mkdir(parents=True)
                host.chmod(0o777)
        elif "configMap" in volume or "secret" in volume:
            secret = "secret" in volume
            source = volume["secret"] if secret else volume["configMap"]
            ref = source.get("secretName") if secret else source.get("name")
            obj = await fetch("secrets" if secret else "configmaps", namespace, ref or "")
            if obj is None and not source.get("optional"):
                raise ConfigError(f'{"secret" if secret else "configmap"} "{ref}" not found')
            await _write_keys(own, source, obj, secret)
            host = own
        elif "projected" in volume:
            await write_projected(own, volume["projected"], pod, fetch, token)
            host = own
        elif "downwardAPI" in volume:
            write_downward(own, volume["downwardAPI"], pod)
            host = own
        elif "hostPath" in volume:
            host = host_path(volume["hostPath"]["path"])
            host.mkdir(parents=True, exist_ok=True)
        else:  # emptyDir, and any other kind becomes an empty folder of the pod
            own.mkdir(parents=True, exist_ok=True)
            host = own
        result[name] = host
    return result


def _sub_path(mount: dict[str, Any]) -> str:
    """The mount's subPath, which must stay inside its volume (as Kubernetes validates it)."""
    sub = str(mount["subPath"])
    if sub.startswith("/") or ".." in pathlib.PurePosixPath(sub).parts:
        raise ConfigError(
            f"volumeMount {mount['name']!r}: subPath {sub!r} must be a relative path without '..'"
        )
    return sub


def container_mounts(
    container: dict[str, Any], volumes: dict[str, pathlib.Path], container_dir: pathlib.Path
) -> dict[str, str]:
    """The container's mountPath -> host path map, including its termination message file."""
    mapping: dict[str, str] = {}
    for mount in container.get("volumeMounts") or []:
        host = volumes.get(mount["name"])
        if host is None:
            raise ConfigError(f"volumeMount {mount['name']!r} names no volume of the pod")
        if mount.get("subPath"):
            host = host / _sub_path(mount)
            host.mkdir(parents=True, exist_ok=True)
        mapping[mount["mountPath"]] = str(host)
    mapping[container.get("terminationMessagePath") or DEFAULT_TERMINATION_PATH] = str(
        termination_file(container_dir)
    )
    return mapping
