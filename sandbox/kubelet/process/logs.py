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
    span: tuple[int, int] | None = None,
) -> str:
    """What a container printed (every run appended, or the bytes of `span`; "" before it
    ever started)."""
    try:
        data = log_file(data_dir, pod, container).read_bytes()
    except FileNotFoundError:
        return ""
    if span is not None:
        data = data[span[0] : span[1]]
    return tail(data.decode(errors="replace"), tail_lines)


def tail(text: str, lines: int | None) -> str:
    """The last `lines` lines of text (all of it for None)."""
    if lines is None:
        return text
    kept = text.splitlines(keepends=True)
    return "".join(kept[-lines:]) if lines > 0 else ""
