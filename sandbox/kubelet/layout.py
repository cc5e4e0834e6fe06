"""Where the kubelet keeps a pod's files on the host: <data dir>/pods/<namespace>/<name>_<uid>/."""

from __future__ import annotations

import contextlib
import pathlib
from typing import Any

MESSAGE_LIMIT = 4096  # bytes of a termination message, as in Kubernetes


def pod_dir(data_dir: pathlib.Path, pod: dict[str, Any]) -> pathlib.Path:
    """The pod's folder: volumes/, containers/<name>/termination-log, and the runtime's files."""
    meta = pod["metadata"]
    return data_dir / "pods" / meta["namespace"] / f"{meta['name']}_{meta.get('uid', '')}"


def container_dir(pod_folder: pathlib.Path, name: str) -> pathlib.Path:
    """The folder of one container of the pod."""
    return pod_folder / "containers" / name


def termination_file(container_folder: pathlib.Path) -> pathlib.Path:
    """Where the container's termination message lands on the host."""
    return container_folder / "termination-log"


def termination_message(term: pathlib.Path) -> str:
    """The termination-message file the container wrote (at most 4096 bytes)."""
    with contextlib.suppress(OSError):
        return term.read_text(errors="replace")[:MESSAGE_LIMIT]
    return ""
