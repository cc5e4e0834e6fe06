"""Run a command with a deadline, killing its whole process group when time runs out."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path


class CommandFailed(Exception):
    """A command exited non-zero or ran out of time; the message holds its stderr."""


def run_command(
    args: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> str:
    """Run args and return stdout; raise CommandFailed with stderr on failure or timeout."""
    with subprocess.Popen(
        list(args),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(env) if env is not None else None,
        cwd=cwd,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            proc.communicate()
            raise CommandFailed(f"timed out after {timeout:g}s") from None
    if proc.returncode != 0:
        raise CommandFailed(err.strip() or f"exited with status {proc.returncode}")
    return out


def _kill_group(proc: subprocess.Popen[str]) -> None:
    """Kill the process and every child it started (git starts helpers)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        # The group is already gone; nothing left to stop.
        return
