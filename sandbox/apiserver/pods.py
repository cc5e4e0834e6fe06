"""Pod subresources beyond status: the scheduler's binding, and logs read through the kubelet."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from sandbox.apiserver.errors import bad_request
from sandbox.apiserver.query import Options, integer
from sandbox.apiserver.registry import Target
from sandbox.apiserver.state import State

Obj = dict[str, Any]
BOUND = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


def bind(state: State, target: Target, body: Any) -> Obj:
    """POST pods/{name}/binding: set spec.nodeName (the only change a bound pod's spec takes)."""
    pod = state.api.get(target.rtype, target.ns, target.name)
    node = ((body or {}).get("target") or {}).get("name")
    if not node:
        raise bad_request("binding target.name is required")
    new = copy.deepcopy(pod)
    new["spec"]["nodeName"] = node
    state.api.replace(target.rtype, pod, new, Options())
    return copy.deepcopy(BOUND)


async def logs(state: State, pod: Obj, query: Mapping[str, str]) -> web.Response:
    """GET pods/{name}/log: what the container printed (or its previous run, `previous`), from
    the kubelet (no follow)."""
    names = [c.get("name") for c in pod["spec"].get("containers") or []]
    container = query.get("container") or (names[0] if len(names) == 1 else None)
    if container not in names:
        which = f"container {container}" if container else "a container name"
        raise bad_request(
            f"{which} is not valid for pod {pod['metadata']['name']}: choose one of "
            f"[{' '.join(str(n) for n in names)}]"
        )
    tail = integer(query, "tailLines")
    text = ""
    if state.kubelet is not None and container is not None:
        previous = query.get("previous", "") in ("true", "True", "1")
        text = await state.kubelet.logs(pod, container, tail, previous)
    return web.Response(text=text, content_type="text/plain")
