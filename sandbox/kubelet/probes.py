"""Readiness, liveness and startup probes over real sockets and processes."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
from collections.abc import Callable
from typing import Any

import aiohttp

from sandbox.kubelet.paths import PathMap


@dataclasses.dataclass
class ProbeContext:
    """What a probe needs from its container."""

    ports: dict[str, int]
    env: dict[str, str]
    cwd: str
    paths: PathMap


def resolve_port(port: Any, ports: dict[str, int]) -> int:
    """A probe's port (number or name) -> the allocated localhost port (unknown numbers stay)."""
    key = str(port)
    if key in ports:
        return ports[key]
    if key.isdigit():
        return int(key)
    raise ValueError(f"probe port {port!r} names no containerPort")


async def _http(spec: dict[str, Any], ctx: ProbeContext, timeout: float) -> bool:
    """httpGet: any status from 200 to 399 succeeds (redirects are not followed)."""
    port = resolve_port(spec.get("port", 80), ctx.ports)
    scheme = str(spec.get("scheme", "HTTP")).lower()
    url = f"{scheme}://127.0.0.1:{port}{spec.get('path', '/')}"
    headers = {h["name"]: h["value"] for h in spec.get("httpHeaders") or []}
    headers.setdefault("User-Agent", "kube-probe/1.31")
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with (
        aiohttp.ClientSession(timeout=client_timeout) as session,
        session.get(url, headers=headers, allow_redirects=False, ssl=False) as resp,
    ):
        return 200 <= resp.status < 400


async def _tcp(spec: dict[str, Any], ctx: ProbeContext, timeout: float) -> bool:
    """tcpSocket: a connection opens."""
    port = resolve_port(spec.get("port"), ctx.ports)
    _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    writer.close()
    return True


async def _exec(spec: dict[str, Any], ctx: ProbeContext, timeout: float) -> bool:
    """exec: the command (paths rewritten, container env and folder) exits 0."""
    argv = [ctx.paths.rewrite(str(a)) for a in spec.get("command") or []]
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=ctx.cwd,
        env=ctx.env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        return await asyncio.wait_for(proc.wait(), timeout) == 0
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        return False


async def check(probe: dict[str, Any], ctx: ProbeContext) -> bool:
    """Run one probe attempt; any error or timeout is a failure."""
    timeout = float(probe.get("timeoutSeconds", 1))
    try:
        if "httpGet" in probe:
            return await asyncio.wait_for(_http(probe["httpGet"], ctx, timeout), timeout + 1)
        if "tcpSocket" in probe:
            return await _tcp(probe["tcpSocket"], ctx, timeout)
        if "exec" in probe:
            return await _exec(probe["exec"], ctx, timeout)
    except (OSError, TimeoutError, aiohttp.ClientError, ValueError):
        return False
    return False


async def run_probe(
    probe: dict[str, Any], ctx: ProbeContext, report: Callable[[bool], None], initial: bool
) -> None:
    """Probe forever with the timing fields; report(result) when a threshold flips it."""
    await asyncio.sleep(float(probe.get("initialDelaySeconds", 0)))
    period = float(probe.get("periodSeconds", 10))
    need_ok, need_fail = (
        int(probe.get("successThreshold", 1)),
        int(probe.get("failureThreshold", 3)),
    )
    result, streak_ok, streak_fail = initial, 0, 0
    while True:
        if await check(probe, ctx):
            streak_ok, streak_fail = streak_ok + 1, 0
            if streak_ok >= need_ok and not result:
                result = True
                report(True)
        else:
            streak_ok, streak_fail = 0, streak_fail + 1
            if streak_fail >= need_fail and result:
                result = False
                report(False)
        await asyncio.sleep(period)


async def run_startup(probe: dict[str, Any], ctx: ProbeContext) -> bool:
    """A startup probe: True once it succeeds, False after failureThreshold failures."""
    await asyncio.sleep(float(probe.get("initialDelaySeconds", 0)))
    period = float(probe.get("periodSeconds", 10))
    failures = 0
    while True:
        if await check(probe, ctx):
            return True
        failures += 1
        if failures >= int(probe.get("failureThreshold", 3)):
            return False
        await asyncio.sleep(period)
