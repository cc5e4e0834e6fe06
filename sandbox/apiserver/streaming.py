"""pods/exec and pods/portforward over the WebSocket protocols kubectl 1.37 speaks.

exec: subprotocol `v5.channel.k8s.io`, binary messages whose first byte is the channel (0
stdin, 1 stdout, 2 stderr, 3 the final `Status`, 4 terminal resize, 255 close of a stream);
the session ends with one Status on channel 3 (Success, or NonZeroExitCode with the exit code)
and a close with code 1000. portforward: SPDY/3 tunnelled in the WebSocket
(`SPDY/3.1+portforward.k8s.io`, see portforward.py). The pod and container are checked before
the upgrade, and the same checks answer kubectl's SPDY fallback (a POST), whose message kubectl
prints; the kubelet's own errors (a container that does not run, a command that cannot start)
come back on channel 3. pods/attach is not served.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import WSMsgType, web

from sandbox.apiserver.errors import APIError, bad_request
from sandbox.apiserver.portforward import Tunnel
from sandbox.apiserver.registry import Target
from sandbox.apiserver.state import ExecSession, NodeLink, State

log = logging.getLogger(__name__)
SUBRESOURCES = ("exec", "attach", "portforward")
EXEC_PROTOCOL = "v5.channel.k8s.io"
FORWARD_PROTOCOL = "SPDY/3.1+portforward.k8s.io"
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
Obj = dict[str, Any]


def _container(pod: Obj, wanted: str) -> str:
    names = [c["name"] for c in pod["spec"].get("containers") or []]
    names += [c["name"] for c in pod["spec"].get("initContainers") or []]
    name = pod["metadata"]["name"]
    if not wanted:
        if len(names) == 1:
            return names[0]
        raise bad_request(
            f"a container name must be specified for pod {name}, choose one of: [{' '.join(names)}]"
        )
    if wanted not in names:
        raise bad_request(f"container {wanted} is not valid for pod {name}")
    return wanted


def node_of(state: State, pod: Obj) -> NodeLink:
    """The kubelet of the pod's node (400 when the pod is not bound, 503 before it runs)."""
    if not pod["spec"].get("nodeName"):
        raise bad_request(f"pod {pod['metadata']['name']} does not have a host assigned")
    if state.kubelet is None:
        raise APIError(503, "ServiceUnavailable", "the node's kubelet is not running yet")
    return state.kubelet


def _wants(request: web.Request, protocol: str) -> bool:
    if request.method != "GET" or request.headers.get("Upgrade", "").lower() != "websocket":
        return False
    offered = request.headers.get("Sec-WebSocket-Protocol", "")
    return protocol in [p.strip() for p in offered.split(",")]


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("true", "1")


async def serve(state: State, request: web.Request, target: Target) -> web.StreamResponse:
    """GET (WebSocket) or POST (kubectl's SPDY fallback) on pods/{exec,attach,portforward}."""
    pod = state.api.get(target.rtype, target.ns, target.name)
    if target.sub == "attach":
        raise bad_request(
            "the sandbox does not serve pods/attach; use kubectl logs or kubectl exec"
        )
    if target.sub == "exec":
        container = _container(pod, request.query.get("container", ""))
        command = request.query.getall("command", [])
        if not command:
            raise bad_request("you must specify at least 1 command")
        node = node_of(state, pod)
        if _wants(request, EXEC_PROTOCOL):
            return await _exec(request, node, pod, container, command)
        raise bad_request(f"the sandbox serves pods/exec over WebSocket ({EXEC_PROTOCOL}) only")
    node = node_of(state, pod)
    if _wants(request, FORWARD_PROTOCOL):
        return await _forward(request, node, pod)
    raise bad_request(
        f"the sandbox serves pods/portforward over WebSocket ({FORWARD_PROTOCOL}) only"
    )


def _status(code: int | None, error: str = "") -> bytes:
    if error:
        body: Obj = {"metadata": {}, "status": "Failure", "message": error,
                     "reason": "InternalError", "details": {"causes": [{"message": error}]},
                     "code": 500}  # fmt: skip
    elif code == 0:
        body = {"metadata": {}, "status": "Success"}
    else:
        body = {"metadata": {}, "status": "Failure",
                "message": f"command terminated with non-zero exit code: exit status {code}",
                "reason": "NonZeroExitCode",
                "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}  # fmt: skip
    return bytes([ERROR]) + json.dumps(body).encode()


async def _exec(
    request: web.Request, node: NodeLink, pod: Obj, container: str, command: list[str]
) -> web.StreamResponse:
    tty = _flag(request, "tty") and _flag(request, "stdin")
    ws = web.WebSocketResponse(protocols=(EXEC_PROTOCOL,))
    await ws.prepare(request)
    try:
        session = await node.exec(pod, container, command, stdin=_flag(request, "stdin"), tty=tty)
    except (LookupError, OSError) as error:
        await ws.send_bytes(_status(None, str(error)))
        await ws.close()
        return ws
    wanted = {STDOUT: _flag(request, "stdout"), STDERR: _flag(request, "stderr") and not tty}
    reader = asyncio.create_task(_from_client(ws, session))
    finished = False
    try:
        while (item := await session.read()) is not None:
            if wanted.get(item[0]):
                await ws.send_bytes(bytes([item[0]]) + item[1])
        code = await session.wait()
        finished = True
        await ws.send_bytes(_status(code))
        await ws.close()
    finally:
        reader.cancel()
        if not finished:
            await session.kill()
    return ws


async def _from_client(ws: web.WebSocketResponse, session: ExecSession) -> None:
    """stdin, resize and close messages from kubectl."""
    async for message in ws:
        if message.type != WSMsgType.BINARY or not message.data:
            continue
        channel, payload = message.data[0], message.data[1:]
        if channel == STDIN:
            await session.write(payload)
        elif channel == RESIZE:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                size = json.loads(payload)
                session.resize(int(size["Width"]), int(size["Height"]))
        elif channel == CLOSE and payload[:1] == bytes([STDIN]):
            await session.close_stdin()


async def _forward(request: web.Request, node: NodeLink, pod: Obj) -> web.StreamResponse:
    ws = web.WebSocketResponse(protocols=(FORWARD_PROTOCOL,), autoping=True)
    await ws.prepare(request)
    md = pod["metadata"]
    tunnel = Tunnel(
        ws.send_bytes, lambda port: node.connect(pod, port), md["name"], md.get("uid", "")
    )
    try:
        async for message in ws:
            if message.type == WSMsgType.BINARY:
                await tunnel.feed(message.data)
            elif message.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                break
    finally:
        tunnel.close()
    return ws
