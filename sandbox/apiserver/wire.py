"""Bodies in (JSON, YAML or kubectl's protobuf) and JSON out as the Go server writes it.

Go's encoder writes compact JSON with one trailing newline, escapes `<`, `>`, `&`, U+2028 and
U+2029, and keeps other text as UTF-8. Typed objects keep their fields in declaration order;
custom resources are maps, so every key comes out sorted. Humans (`?pretty=true`, or a
User-Agent of curl, Wget or a browser) get two-space indentation without the newline.
"""

from __future__ import annotations

import contextvars
import json
from typing import Any

import yaml
from aiohttp import web

from sandbox.apiserver import protobuf
from sandbox.apiserver.errors import bad_request

PRETTY: contextvars.ContextVar[bool] = contextvars.ContextVar("pretty", default=False)
HUMAN_AGENTS = ("curl", "Wget", "Mozilla/5.0")
_HTML_SAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)
_TRUE = ("1", "t", "T", "TRUE", "true", "True")


def wants_pretty(request: web.Request) -> bool:
    """The server's rule: `pretty` when given (a Go bool), else the User-Agent."""
    given = request.query.get("pretty", "")
    if given:
        return given in _TRUE  # strconv.ParseBool; anything else is false
    return request.headers.get("User-Agent", "").startswith(HUMAN_AGENTS)


def encode(data: Any, *, pretty: bool | None = None) -> bytes:
    """JSON bytes as Go writes them (pretty: as the request asked, see PRETTY)."""
    if PRETTY.get() if pretty is None else pretty:
        text = json.dumps(data, indent=2, ensure_ascii=False)
    else:
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n"
    return text.translate(_HTML_SAFE).encode("utf-8", "replace")


def as_go_map(data: Any) -> Any:
    """A copy with every object's keys sorted, as Go writes a map (custom resources)."""
    if isinstance(data, dict):
        return {k: as_go_map(data[k]) for k in sorted(data)}
    if isinstance(data, list):
        return [as_go_map(v) for v in data]
    return data


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


def respond(
    data: Any,
    status: int = 200,
    warnings: list[str] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """A JSON response as the Go server writes it, with `Warning` headers when there are any."""
    response = web.Response(body=encode(data), status=status, headers=headers)
    response.content_type = "application/json"
    for warning in warnings or []:
        response.headers.add("Warning", f'299 - "{warning}"')
    return response
