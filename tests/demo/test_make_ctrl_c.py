"""Ctrl-C in a terminal ends `make demo` with status 0: make's own recipe, the demo stubbed.

The demo itself (tests/demo/test_demo.py) is driven without a terminal; this test runs the
project's Makefile in a pseudo-terminal, as a user would, with scripts/demo.sh replaced by a
stand-in that waits for Ctrl-C, so what is checked is how make passes the signal on.
"""

from __future__ import annotations

import os
import pty
import select
import shutil
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STUB = """trap 'echo "demo: stopped"; exit 0' INT
echo "demo: ready"
while :; do sleep 0.1; done
"""


def read_until(fd: int, wanted: bytes, timeout: float) -> bytes:
    """What the terminal shows until `wanted` appears (or the timeout, or its end)."""
    seen, deadline = b"", time.monotonic() + timeout
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the terminal closed: make ended
            break
        if not chunk:
            break
        seen += chunk
    return seen


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_ctrl_c_in_a_terminal_ends_make_demo_with_status_0(tmp_path: Path) -> None:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "demo.sh").write_text(STUB)
    for name in ("pyproject.toml", "constraints.txt"):
        (tmp_path / name).write_text("")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / ".installed").touch()  # newer than both: the venv is up to date
    pid, fd = pty.fork()
    if pid == 0:  # the child: make in the terminal
        os.chdir(tmp_path)
        os.execvp("make", ["make", "--no-print-directory", "demo"])  # noqa: S606 - make itself
    try:
        assert b"demo: ready" in read_until(fd, b"demo: ready", 30)
        os.write(fd, b"\x03")  # Ctrl-C, as the terminal sends it
        shown = read_until(fd, b"\r\n\r\n", 10)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert b"demo: stopped" in shown
    assert not os.WIFSIGNALED(status), f"make died of signal {os.WTERMSIG(status)}"
    assert os.WEXITSTATUS(status) == 0
    assert b"Error" not in shown
