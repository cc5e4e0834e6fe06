"""Bodies in (JSON, YAML or kubectl's protobuf) and JSON out, with `Warning` headers."""

from __future__ import annotations

import json
from typing import Any

import yaml
from aiohttp import web

from sandbox.apiserver import protobuf
from sandbox.apiserver.errors import bad_request


async def read_body(request: web.Request) -> Any:
    """Decode a JSON, YAML or protobuf request body ({} when empty)."""
    raw = await request.read()
    if not raw:
        return {}
    if "protobuf" in request.content_type:
        try:
            return protobuf.decode(raw)
        except (ValueError, IndexError, UnicodeDecodeError, KeyError) as error:
            raise bad_request(f"cannot decode the protobuf body: {error}") from None
    try:
        if "yaml" in request.content_type:
            return yaml.safe_load(raw)
        return json.loads(raw)
    except (ValueError, yaml.YAMLError) as error:
        raise bad_request(f"the request body is not valid JSON or YAML: {error}") from None


def respond(data: Any, status: int = 200, warnings: list[str] | None = None) -> web.Response:
    """A compact JSON response, with `Warning` headers when there are warnings."""
    response = web.json_response(data, status=status, dumps=_dumps)
    for warning in warnings or []:
        response.headers.add("Warning", f'299 - "{warning}"')
    return response


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))
