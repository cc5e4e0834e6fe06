"""Start and stop one container process: its own session, its output appended to a log file."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import pathlib
import signal
from typing import Any

_PR_SET_PDEATHSIG = 1


_PRCTL: Any
try:
    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux: a crashed sandbox may leave processes behind
    _PRCTL = None


def _die_with_parent() -> None:
    """In the child: get SIGKILL when the sandbox dies, so no process outlives a crash."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)


async def start(
    argv: list[str], env: dict[str, str], cwd: str, log_file: pathlib.Path
) -> asyncio.subprocess.Process:
    """Start argv in a new session with stdout and stderr appended to log_file."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )


def signal_group(proc: asyncio.subprocess.Process, sig: int) -> None:
    """Send sig to the process's whole session (its children too)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


async def stop(proc: asyncio.subprocess.Process, grace: float) -> int:
    """SIGTERM, up to grace seconds, then SIGKILL; return the exit code (128+signal if killed)."""
    if proc.returncode is None:
        signal_group(proc, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), grace)
        except TimeoutError:
            signal_group(proc, signal.SIGKILL)
            await proc.wait()
    signal_group(
        proc, signal.SIGKILL
    )  # the container ends with its main process, as in a pid namespace
    return exit_code(proc.returncode)


def exit_code(returncode: int | None) -> int:
    """A shell-style exit code: negative return codes (signals) become 128 + signal."""
    if returncode is None:
        return 0
    return 128 - returncode if returncode < 0 else returncode


def log_size(path: pathlib.Path) -> int:
    """The current size of a log file (0 when missing)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def tail(path: pathlib.Path, start: int = 0, lines: int = 80, limit: int = 2048) -> str:
    """The last lines written after byte `start`, at most limit bytes (FallbackToLogsOnError)."""
    try:
        with path.open("rb") as log:
            log.seek(max(start, path.stat().st_size - 64 * 1024))
            data = log.read()
    except OSError:
        return ""
    text = b"\n".join(data.splitlines()[-lines:])[-limit:]
    return text.decode(errors="replace")
