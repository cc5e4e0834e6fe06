"""A pod's files as the kubelet leaves them for containers of any user: emptyDir folders
(world-writable; group fsGroup and setgid with fsGroup), Secret/ConfigMap/projected files
with their group, mount sources that must exist, and size-limited emptyDirs as tmpfs volumes
of the engine."""

from __future__ import annotations

import os
import pathlib
import uuid
from typing import Any

from sandbox.kubelet.docker.engine import Engine
from sandbox.kubelet.docker.spec import quantity
from sandbox.kubelet.layout import container_dir, termination_file
from sandbox.kubelet.runtime import ContainerConfig

Obj = dict[str, Any]
FILE_KINDS = ("secret", "configMap", "projected", "downwardAPI")


def _fs_group(pod: Obj) -> int | None:
    group = (pod["spec"].get("securityContext") or {}).get("fsGroup")
    return None if group is None else int(group)


async def engine_volumes(engine: Engine, pod: Obj, labels: dict[str, str]) -> dict[str, str]:
    """A tmpfs volume of the engine for each emptyDir with a sizeLimit or `medium: Memory` (the
    size enforced by the kernel); pod volume name -> engine volume name."""
    group = _fs_group(pod)
    result = {}
    for volume in pod["spec"].get("volumes") or []:
        empty = volume.get("emptyDir")
        if empty is None or not (empty.get("sizeLimit") or empty.get("medium") == "Memory"):
            continue
        options = ["mode=2777" if group is not None else "mode=1777"]
        if empty.get("sizeLimit"):
            options.append(f"size={int(quantity(empty['sizeLimit']))}")
        if group is not None:
            options.append(f"gid={group}")
        name = f"sbx-{pod['metadata'].get('uid', '')[:8]}-{volume['name']}-{uuid.uuid4().hex[:6]}"
        tmpfs = {"type": "tmpfs", "device": "tmpfs", "o": ",".join(options)}
        body = {"Name": name, "Driver": "local", "Labels": labels, "DriverOpts": tmpfs}
        await engine.call("POST", "/volumes/create", body)
        result[volume["name"]] = name
    return result


def _walk(root: pathlib.Path) -> list[pathlib.Path]:
    return [root, *root.rglob("*")] if root.exists() else []


def set_owners(pod: Obj, folders: dict[str, pathlib.Path]) -> None:
    """emptyDir folders 0777 (with fsGroup: its group, setgid); with fsGroup the files of
    Secret, ConfigMap, projected and downwardAPI volumes get its group and group read."""
    group = _fs_group(pod)
    for volume in pod["spec"].get("volumes") or []:
        folder = folders.get(volume["name"])
        if folder is None:
            continue
        if "emptyDir" in volume:
            if group is not None:
                os.chown(folder, -1, group)
            folder.chmod(0o2777 if group is not None else 0o777)
        elif any(kind in volume for kind in FILE_KINDS) and group is not None:
            for path in _walk(folder):
                os.chown(path, -1, group, follow_symlinks=False)
                path.chmod(path.stat().st_mode | 0o040 | (0o010 if path.is_dir() else 0))


def mount_sources(config: ContainerConfig) -> None:
    """Every bind source exists: the termination-message file (writable by any user), folders."""
    term = termination_file(container_dir(config.pod_dir, config.spec["name"]))
    for source in config.mounts.values():
        path = pathlib.Path(source)
        if path == term:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
            path.chmod(0o666)
        elif not path.exists():
            path.mkdir(parents=True, exist_ok=True)
