"""The pod's network holder: runs in the pod's first ("pause") container, whose network
namespace has only loopback and which every container of the pod joins.

    python3 forwarder.py /net PORT...

- In: the sandbox connects to the unix socket /net/in.sock, writes one line with a port, and
  gets "OK" and a connection to 127.0.0.1:PORT inside the pod (or "ERR <why>").
- Out: for each PORT given, it listens on 127.0.0.1:PORT inside the pod and hands each
  connection to the unix socket /net/out-PORT.sock, which the sandbox serves on the host (the
  API server, and the host ports the pod is allowed to reach).
It writes /net/ready once every socket listens. Only the standard library: any image with a
Python 3 runs it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable

Reader = asyncio.StreamReader
Writer = asyncio.StreamWriter

CHUNK = 65536


async def pipe(reader: Reader, writer: Writer) -> None:
    try:
        while True:
            data = await reader.read(CHUNK)
            if not data:
                break
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except OSError:
        pass


async def join(reader: Reader, writer: Writer, up_reader: Reader, up_writer: Writer) -> None:
    try:
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
    finally:
        up_writer.close()
        writer.close()


async def inbound(reader: Reader, writer: Writer) -> None:
    line = await reader.readline()
    try:
        port = int(line.strip())
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
    except (ValueError, OSError) as error:
        why = "connect: connection refused" if isinstance(error, ConnectionRefusedError) else error
        writer.write(f"ERR dial tcp 127.0.0.1:{line.strip().decode()}: {why}\n".encode())
        await writer.drain()
        writer.close()
        return
    writer.write(b"OK\n")
    await writer.drain()
    await join(reader, writer, up_reader, up_writer)


def outbound(folder: str, port: int) -> Callable[[Reader, Writer], Awaitable[None]]:
    async def handle(reader: Reader, writer: Writer) -> None:
        try:
            up_reader, up_writer = await asyncio.open_unix_connection(f"{folder}/out-{port}.sock")
        except OSError:
            writer.close()
            return
        await join(reader, writer, up_reader, up_writer)

    return handle


async def main(folder: str, ports: list[int]) -> None:
    servers = [await asyncio.start_unix_server(inbound, f"{folder}/in.sock")]
    for port in ports:
        servers.append(await asyncio.start_server(outbound(folder, port), "127.0.0.1", port))
    with open(f"{folder}/ready", "w") as ready:
        ready.write(str(os.getpid()))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for server in servers:
        server.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], [int(p) for p in sys.argv[2:]]))
