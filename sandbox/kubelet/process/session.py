"""`kubectl exec` on the process runtime: a process in the container's env and folder, its
standard streams piped, or on a pseudo-terminal (its own session, the pty as its controlling
terminal) when a tty is asked for."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import pty
import signal
import struct
import termios
from typing import Any

from sandbox.kubelet.process import processes
from sandbox.kubelet.runtime import StartError, next_output

CHUNK = 32 * 1024


def _controlling_tty() -> None:
    """In the child (already a session leader): make its pty stdin the controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class ProcessExec:
    """One command started by open_exec."""

    def __init__(self, proc: asyncio.subprocess.Process, master: int | None) -> None:
        """Read its output from the pipes, or from the pty master."""
        self.proc, self.master = proc, master
        self._output: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue()
        self._open = 0
        if master is not None:
            self._open = 1
            os.set_blocking(master, False)
            asyncio.get_running_loop().add_reader(master, self._pty_readable)
        else:
            self._pumps = [
                asyncio.create_task(self._pump(fd, stream))
                for fd, stream in ((1, proc.stdout), (2, proc.stderr))
                if stream is not None
            ]
            self._open = len(self._pumps)

    @classmethod
    async def start(
        cls, argv: list[str], env: dict[str, str], cwd: str, *, stdin: bool, tty: bool
    ) -> ProcessExec:
        """Start argv; StartError when the program cannot be run."""
        master = slave = None
        pipe = asyncio.subprocess.PIPE
        kwargs: dict[str, Any] = {
            "stdin": pipe if stdin else asyncio.subprocess.DEVNULL,
            "stdout": pipe,
            "stderr": pipe,
        }
        if tty:
            master, slave = pty.openpty()
            kwargs = {"stdin": slave, "stdout": slave, "stderr": slave,
                      "preexec_fn": _controlling_tty}  # fmt: skip
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv, cwd=cwd, env=env, start_new_session=True, **kwargs
            )
        except OSError as error:
            if master is not None:
                os.close(master)
            raise StartError(f"exec: {argv[0]!r}: {error.strerror or error}") from None
        finally:
            if slave is not None:
                os.close(slave)
        return cls(proc, master)

    async def _pump(self, fd: int, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(CHUNK):
            await self._output.put((fd, chunk))
        self._ended()

    def _ended(self) -> None:
        self._open -= 1
        if self._open == 0:
            self._output.put_nowait(None)

    def _pty_readable(self) -> None:
        assert self.master is not None
        try:
            chunk = os.read(self.master, CHUNK)
        except BlockingIOError:
            return
        except OSError:  # EIO: every process holding the terminal has ended
            chunk = b""
        if chunk:
            self._output.put_nowait((1, chunk))
            return
        self.close()
        self._ended()

    async def write(self, data: bytes) -> None:
        """To the pty, or to the stdin pipe."""
        if self.master is not None:
            while data:
                try:
                    data = data[os.write(self.master, data) :]
                except BlockingIOError:
                    await asyncio.sleep(0.01)
        elif self.proc.stdin is not None and not self.proc.stdin.is_closing():
            self.proc.stdin.write(data)
            with contextlib.suppress(ConnectionError):
                await self.proc.stdin.drain()

    async def close_stdin(self) -> None:
        """Close the stdin pipe; on a tty, send the terminal's end-of-file character."""
        if self.master is not None:
            await self.write(b"\x04")
        elif self.proc.stdin is not None:
            self.proc.stdin.close()

    def resize(self, width: int, height: int) -> None:
        """TIOCSWINSZ on the pty."""
        if self.master is not None:
            with contextlib.suppress(OSError):
                fcntl.ioctl(
                    self.master, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0)
                )

    async def read(self) -> tuple[int, bytes] | None:
        """The next output chunk, None at the end."""
        return await next_output(self._output)

    async def wait(self) -> int:
        """The exit code (the pty is closed once its output has ended)."""
        return processes.exit_code(await self.proc.wait())

    async def kill(self) -> None:
        """SIGKILL the command's session."""
        processes.signal_group(self.proc, signal.SIGKILL)
        await self.proc.wait()
        self.close()

    def close(self) -> None:
        """Release the pty."""
        if self.master is not None:
            with contextlib.suppress(ValueError, OSError):
                asyncio.get_running_loop().remove_reader(self.master)
            with contextlib.suppress(OSError):
                os.close(self.master)
            self.master = None
