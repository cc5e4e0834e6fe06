"""Readiness, liveness and startup probes: timing and thresholds over the runtime's container."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sandbox.kubelet.runtime import Container

PROBE_AGENT = "kube-probe/1.37"


async def _http(spec: dict[str, Any], target: Container, timeout: float) -> str | None:
    """httpGet over a connection the runtime opens into the container: any status from 200
    to 399 succeeds (redirects are not followed). HTTPS is not probed (the sandbox's probes
    speak plain HTTP)."""
    port = spec.get("port", 80)
    where = f"http://{spec.get('host') or '127.0.0.1'}:{port}{spec.get('path', '/')}"
    headers = {"Host": f"{spec.get('host') or '127.0.0.1'}:{port}", "User-Agent": PROBE_AGENT,
               "Accept": "*/*", "Connection": "close"}  # fmt: skip
    headers.update({h["name"]: h["value"] for h in spec.get("httpHeaders") or []})
    request = f"GET {spec.get('path', '/')} HTTP/1.1\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()
    )
    try:
        reader, writer = await asyncio.wait_for(target.connect(port), timeout)
        try:
            writer.write((request + "\r\n").encode())
            await writer.drain()
            status = await asyncio.wait_for(reader.readline(), timeout)
        finally:
            writer.close()
    except (OSError, TimeoutError, ValueError) as exc:
        return f'Get "{where}": {exc or "context deadline exceeded"}'
    parts = status.split()
    code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    if 200 <= code < 400:
        return None
    return f"HTTP probe failed with statuscode: {code}" if code else f'Get "{where}": EOF'


async def _tcp(spec: dict[str, Any], target: Container, timeout: float) -> str | None:
    """tcpSocket: a connection opens."""
    port: Any = spec.get("port")  # required by the API; a probe without one fails to resolve
    try:
        _, writer = await asyncio.wait_for(target.connect(port), timeout)
    except (OSError, TimeoutError) as exc:
        reason = (
            exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or "i/o timeout"
        )
        return f"dial tcp 127.0.0.1:{port}: {reason}"
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
            return await _http(probe["httpGet"], target, timeout)
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
