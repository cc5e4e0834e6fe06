"""`kubectl exec` and exec probes on the docker runtime: the engine's exec with its streams
attached (multiplexed stdout/stderr, or one stream on a tty). A program the engine cannot start
is reported as Docker does (its message on the output, exit code 126 or 127), as kubectl shows
it against a kubelet with Docker."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

from sandbox.kubelet.docker.engine import Engine, EngineError, frames
from sandbox.kubelet.runtime import StartError, next_output

CHUNK = 32 * 1024


class DockerExec:
    """One command started in a running container (the ExecSession of the runtime interface)."""

    def __init__(self, engine: Engine, exec_id: str, tty: bool, stdin: bool) -> None:
        """Nothing is attached before attach()."""
        self.engine, self.exec_id, self.tty, self.stdin = engine, exec_id, tty, stdin
        self._output: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue()
        self._writer: asyncio.StreamWriter | None = None
        self._pump: asyncio.Task[None] | None = None

    @classmethod
    async def start(
        cls, engine: Engine, container: str, argv: list[str], *, stdin: bool, tty: bool
    ) -> DockerExec:
        """Create and start the exec; StartError when the program cannot be started."""
        body = {"Cmd": argv, "AttachStdin": stdin, "AttachStdout": True, "AttachStderr": True,
                "Tty": tty}  # fmt: skip
        try:
            session = cls(engine, await engine.exec_create(container, body), tty, stdin)
            await session._attach()
        except EngineError as error:
            raise StartError(str(error)) from None
        return session

    async def _attach(self) -> None:
        reader, self._writer = await self.engine.attach_exec(self.exec_id, self.tty)
        self._pump = asyncio.create_task(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        if self.tty:
            while chunk := await reader.read(CHUNK):
                await self._output.put((1, chunk))
        else:
            async for item in frames(reader):
                await self._output.put(item)
        await self._output.put(None)

    async def write(self, data: bytes) -> None:
        """Bytes for the command's stdin."""
        if self._writer is not None and self.stdin and not self._writer.is_closing():
            self._writer.write(data)
            with contextlib.suppress(ConnectionError):
                await self._writer.drain()

    async def close_stdin(self) -> None:
        """End of stdin: half-close the connection (the terminal's end-of-file on a tty)."""
        if self._writer is None or self._writer.is_closing():
            return
        if self.tty:
            await self.write(b"\x04")
        elif self._writer.can_write_eof():
            self._writer.write_eof()

    def resize(self, width: int, height: int) -> None:
        """The terminal's new size (tty only)."""
        if self.tty:
            query = {"h": str(height), "w": str(width)}
            task = asyncio.create_task(
                self.engine.call("POST", f"/exec/{self.exec_id}/resize", query=query)
            )
            task.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def read(self) -> tuple[int, bytes] | None:
        """The next output chunk; None once the output has ended."""
        return await next_output(self._output)

    async def wait(self) -> int:
        """The command's exit code, once its output has ended."""
        if self._pump is not None:
            await self._pump
        while True:
            state = dict(await self.engine.call("GET", f"/exec/{self.exec_id}/json"))
            if not state.get("Running"):
                return int(state.get("ExitCode") or 0)
            await asyncio.sleep(0.05)

    async def kill(self) -> None:
        """SIGKILL the command (the engine has no API for it: its pid, on this host)."""
        with contextlib.suppress(EngineError, OSError):
            state = await self.engine.call("GET", f"/exec/{self.exec_id}/json")
            if state.get("Running") and state.get("Pid"):
                os.kill(int(state["Pid"]), signal.SIGKILL)
        if self._writer is not None:
            self._writer.close()


async def run(engine: Engine, container: str, argv: list[str], timeout: float) -> tuple[int, str]:
    """An exec probe: (exit code, output); TimeoutError past `timeout`."""
    try:
        session = await DockerExec.start(engine, container, argv, stdin=False, tty=False)
    except StartError as error:
        return 126, str(error)
    output = bytearray()

    async def collect() -> int:
        while (item := await session.read()) is not None:
            output.extend(item[1])
        return await session.wait()

    try:
        code = await asyncio.wait_for(collect(), timeout)
    except TimeoutError:
        await session.kill()
        raise TimeoutError(f"command {argv!r} timed out") from None
    return code, output.decode(errors="replace")
