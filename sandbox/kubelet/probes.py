"""Readiness, liveness and startup probes: timing and thresholds over the runtime's container."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from sandbox.kubelet.runtime import Container


async def _http(spec: dict[str, Any], target: Container, timeout: float) -> str | None:
    """httpGet: any status from 200 to 399 succeeds (redirects are not followed)."""
    host, port = target.address(spec.get("port", 80))
    scheme = str(spec.get("scheme", "HTTP")).lower()
    url = f"{scheme}://{host}:{port}{spec.get('path', '/')}"
    headers = {h["name"]: h["value"] for h in spec.get("httpHeaders") or []}
    headers.setdefault("User-Agent", "kube-probe/1.31")
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    try:
        async with (
            aiohttp.ClientSession(timeout=client_timeout) as session,
            session.get(url, headers=headers, allow_redirects=False, ssl=False) as resp,
        ):
            ok = 200 <= resp.status < 400
            return None if ok else f"HTTP probe failed with statuscode: {resp.status}"
    except (OSError, TimeoutError, aiohttp.ClientError) as exc:
        return f'Get "{url}": {exc or "timeout"}'


async def _tcp(spec: dict[str, Any], target: Container, timeout: float) -> str | None:
    """tcpSocket: a connection opens."""
    wanted: Any = spec.get("port")  # required by the API; a probe without one fails to resolve
    host, port = target.address(wanted)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, TimeoutError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "i/o timeout"
        return f"dial tcp {host}:{port}: {reason}"
    writer.close()
    return None


async def _exec(spec: dict[str, Any], target: Container, timeout: float) -> str | None:
    """exec: the command exits 0 in the container (its env, folder and paths)."""
    code, output = await target.exec(list(spec.get("command") or []), timeout)
    if code == 0:
        return None
    return output[-1024:].strip() or f"exit status {code}"


async def attempt(probe: dict[str, Any], target: Container) -> str | None:
    """Run one probe attempt: None on success, else why it failed."""
    timeout = float(probe.get("timeoutSeconds", 1))
    try:
        if "httpGet" in probe:
            return await asyncio.wait_for(_http(probe["httpGet"], target, timeout), timeout + 1)
        if "tcpSocket" in probe:
            return await _tcp(probe["tcpSocket"], target, timeout)
        if "exec" in probe:
            return await _exec(probe["exec"], target, timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        return str(exc) or "timeout"
    return "unsupported probe (the sandbox runs httpGet, tcpSocket and exec probes)"


async def run_probe(
    probe: dict[str, Any],
    target: Container,
    report: Callable[[bool], None],
    initial: bool,
    failed: Callable[[str], Awaitable[None]],
) -> None:
    """Probe forever with the timing fields; report(result) when a threshold flips it."""
    await asyncio.sleep(float(probe.get("initialDelaySeconds", 0)))
    period = float(probe.get("periodSeconds", 10))
    need_ok = int(probe.get("successThreshold", 1))
    need_fail = int(probe.get("failureThreshold", 3))
    result, streak_ok, streak_fail = initial, 0, 0
    while True:
        why = await attempt(probe, target)
        if why is None:
            streak_ok, streak_fail = streak_ok + 1, 0
            if streak_ok >= need_ok and not result:
                result = True
                report(True)
        else:
            await failed(why)
            streak_ok, streak_fail = 0, streak_fail + 1
            if streak_fail >= need_fail and result:
                result = False
                report(False)
        await asyncio.sleep(period)


async def run_startup(
    probe: dict[str, Any], target: Container, failed: Callable[[str], Awaitable[None]]
) -> bool:
    """A startup probe: True once it succeeds, False after failureThreshold failures."""
    await asyncio.sleep(float(probe.get("initialDelaySeconds", 0)))
    period = float(probe.get("periodSeconds", 10))
    failures = 0
    while True:
        why = await attempt(probe, target)
        if why is None:
            return True
        await failed(why)
        failures += 1
        if failures >= int(probe.get("failureThreshold", 3)):
            return False
        await asyncio.sleep(period)
