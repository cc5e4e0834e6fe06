"""pods/{name}[:{port}]/proxy/{path}: one HTTP request to a port of the pod, sent over a
connection the kubelet opens to it, its answer passed back, as kube-apiserver proxies to the
pod's IP. The port is a number or a containerPort name (default: the first one declared)."""

from __future__ import annotations

from aiohttp import web

from sandbox.apiserver.errors import APIError
from sandbox.apiserver.registry import Target
from sandbox.apiserver.state import State
from sandbox.apiserver.store import Obj
from sandbox.apiserver.streaming import node_of

HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "upgrade", "host"})
READ_LIMIT = 16 << 20


def _port(pod: Obj, given: str) -> int:
    """The port asked for (a number, or a containerPort's name), else the first declared."""
    if given.isdigit():
        return int(given)
    for container in pod["spec"].get("containers") or []:
        for port in container.get("ports") or []:
            if not given or port.get("name") == given:
                return int(port["containerPort"])
    missing = f"no port named {given}" if given else "no port"
    raise APIError(503, "ServiceUnavailable", f"pod {pod['metadata']['name']} declares {missing}")


def _request(request: web.Request, path: str, body: bytes) -> bytes:
    """The request as sent on to the pod (HTTP/1.1, one per connection)."""
    lines = [f"{request.method} {path} HTTP/1.1", f"Host: {request.host}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in request.headers.items()
              if k.lower() not in HOP_BY_HOP | {"authorization", "content-length"}]  # fmt: skip
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _dechunk(payload: bytes) -> bytes:
    """The body of a chunked answer."""
    out, rest = b"", payload
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out, rest = out + rest[:size], rest[size + 2 :]
    return out


def _response(raw: bytes) -> web.Response:
    """The pod's answer (status, headers, body) as this server's response."""
    head, _, payload = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = [tuple(p.strip() for p in line.split(":", 1)) for line in header_lines if ":" in line]
    if any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers):
        payload = _dechunk(payload)
    kept = {k: v for k, v in headers if k.lower() not in HOP_BY_HOP | {"content-length"}}
    return web.Response(status=int(status_line.split()[1]), body=payload, headers=kept)


async def serve(state: State, request: web.Request, target: Target) -> web.Response:
    """Proxy the request to the pod (503 with the reason when it cannot be reached)."""
    name, _, given = target.name.partition(":")
    pod = state.api.get(target.rtype, target.ns, name)
    kubelet = node_of(state, pod)
    path = request.path_qs.partition(f"/pods/{target.name}/proxy")[2] or "/"
    body = await request.read()
    try:
        reader, writer = await kubelet.connect(pod, _port(pod, given))
    except (LookupError, OSError) as error:
        raise APIError(503, "ServiceUnavailable", f"error trying to reach pod: {error}") from None
    try:
        writer.write(_request(request, path, body))
        await writer.drain()
        raw = await reader.read(READ_LIMIT)
        while chunk := await reader.read(READ_LIMIT):
            raw += chunk
    finally:
        writer.close()
    if not raw:
        raise APIError(503, "ServiceUnavailable", "error trying to reach pod: no answer")
    return _response(raw)
