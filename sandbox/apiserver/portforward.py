"""One `kubectl port-forward` tunnel: SPDY streams in, TCP connections to the pod out.

For each forwarded connection kubectl opens an error stream, then a data stream with the same
`requestid` and `port`. Every SYN_STREAM is answered with a SYN_REPLY; the data stream's bytes
go to a connection the kubelet opens to that port of the pod, and its answer comes back. When
the pod's side ends, the data stream and then the error stream get a FIN (kubectl waits for
both). A connection the kubelet cannot open is reported on the error stream, as the real
kubelet does (kubectl then ends the whole session: "lost connection to pod").
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable

from sandbox.apiserver import spdy

log = logging.getLogger(__name__)
Send = Callable[[bytes], Awaitable[None]]
Connect = Callable[[int], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]
CHUNK = 32 * 1024


@dataclasses.dataclass
class Pair:
    """The error and data streams of one forwarded connection."""

    port: int
    error: int = 0
    data: int = 0
    writer: asyncio.StreamWriter | None = None
    task: asyncio.Task[None] | None = None


class Tunnel:
    """The SPDY session of one port-forward WebSocket."""

    def __init__(self, send: Send, connect: Connect, pod: str, uid: str) -> None:
        """Frames go out through send; connections to the pod come from connect."""
        self.send, self.connect = send, connect
        self.pod, self.uid = pod, uid
        self.framer = spdy.Framer()
        self.pairs: dict[str, Pair] = {}
        self.by_stream: dict[int, Pair] = {}

    async def feed(self, chunk: bytes) -> None:
        """Bytes from the WebSocket."""
        for frame in self.framer.feed(chunk):
            if not frame.is_control:
                await self._data(frame)
            elif frame.kind == spdy.SYN_STREAM:
                await self._syn(frame)
            elif frame.kind == spdy.PING:
                await self.send(frame.raw)
            elif frame.kind == spdy.RST_STREAM:
                self._drop(int.from_bytes(frame.payload[:4], "big") & 0x7FFFFFFF)
            elif frame.kind == spdy.GOAWAY:
                self.close()

    async def _syn(self, frame: spdy.Frame) -> None:
        stream = int.from_bytes(frame.payload[:4], "big") & 0x7FFFFFFF
        headers = self.framer.headers(frame.payload[10:])
        port_text, kind = headers.get("port", ""), headers.get("streamtype", "")
        if (
            not port_text.isdigit()
            or not 0 < int(port_text) < 65536
            or kind not in ("error", "data")
        ):
            await self.send(spdy.rst(stream, spdy.PROTOCOL_ERROR))
            return
        await self.send(self.framer.reply(stream))
        key = headers.get("requestid", str(stream))
        pair = self.pairs.setdefault(key, Pair(int(port_text)))
        self.by_stream[stream] = pair
        if kind == "error":
            pair.error = stream
            return
        pair.data = stream
        try:
            reader, pair.writer = await self.connect(pair.port)
        except (OSError, LookupError) as error:
            await self._failed(pair, str(error))
            return
        pair.task = asyncio.create_task(self._copy(pair, reader))

    async def _failed(self, pair: Pair, why: str) -> None:
        message = f"error forwarding port {pair.port} to pod {self.pod}, uid {self.uid}: {why}"
        if pair.error:
            await self.send(spdy.data(pair.error, message.encode()))
        await self._finish(pair)

    async def _finish(self, pair: Pair) -> None:
        for stream in (pair.data, pair.error):
            if stream:
                await self.send(spdy.data(stream, flags=spdy.FLAG_FIN))

    async def _copy(self, pair: Pair, reader: asyncio.StreamReader) -> None:
        """The pod's bytes to the data stream until it ends; then FIN both streams."""
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(CHUNK):
                await self.send(spdy.data(pair.data, chunk))
        await self._finish(pair)

    async def _data(self, frame: spdy.Frame) -> None:
        pair = self.by_stream.get(frame.stream)
        if pair is None or frame.stream != pair.data or pair.writer is None:
            return  # the error stream carries nothing from kubectl but its FIN
        with contextlib.suppress(ConnectionError, RuntimeError):
            if frame.payload:
                pair.writer.write(frame.payload)
                await pair.writer.drain()
            if frame.fin and pair.writer.can_write_eof():
                pair.writer.write_eof()

    def _drop(self, stream: int) -> None:
        pair = self.by_stream.pop(stream, None)
        if pair is not None and stream == pair.data:
            self._close(pair)

    @staticmethod
    def _close(pair: Pair) -> None:
        if pair.task is not None:
            pair.task.cancel()
        if pair.writer is not None:
            pair.writer.close()

    def close(self) -> None:
        """Close every connection to the pod (kubectl went away)."""
        for pair in self.pairs.values():
            self._close(pair)
        self.pairs.clear()
        self.by_stream.clear()
