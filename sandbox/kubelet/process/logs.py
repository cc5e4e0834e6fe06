"""Container logs as the process runtime writes them: <pod folder>/logs/<container>.log."""

from __future__ import annotations

import pathlib
from typing import Any

from sandbox.kubelet.layout import pod_dir


def log_file(
    data_dir: pathlib.Path, pod: dict[str, Any], container: str | None = None
) -> pathlib.Path:
    """The log file of one container of a pod (its first container by default)."""
    if container is None:
        container = (pod["spec"].get("containers") or [{}])[0].get("name", "")
    return pod_dir(data_dir, pod) / "logs" / f"{container}.log"


def read_log(
    data_dir: pathlib.Path,
    pod: dict[str, Any],
    container: str | None = None,
    tail_lines: int | None = None,
) -> str:
    """What a container printed (every run appended; "" before it ever started)."""
    try:
        text = log_file(data_dir, pod, container).read_text(errors="replace")
    except FileNotFoundError:
        return ""
    if tail_lines is not None:
        lines = text.splitlines(keepends=True)
        text = "".join(lines[-tail_lines:]) if tail_lines > 0 else ""
    return text
