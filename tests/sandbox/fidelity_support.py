"""Helpers of the fidelity tests: raw answers, Go's JSON encoding, the shape of an object.

The fidelity tests hold for any Kubernetes 1.37 API server: they run on the sandbox and, with
`--kubeconfig`, on k3s (.github/workflows/e2e.yml selects them with `-m fidelity`). They use
only HTTP, kubectl and the `kubernetes` client.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from kubernetes import client
from polling import wait_for

_HTML_SAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


@functools.cache
def schema_definitions() -> dict[str, Any]:
    """The Kubernetes 1.37 definitions of `kubernetes-validate`, by name."""
    from kubernetes_validate import utils

    text = utils.schema_contents("kubernetes-json-schema/v1.37.0-local/_definitions.json", "1.37.0")
    return dict((text if isinstance(text, dict) else json.loads(text))["$defs"])


def raw_text(
    api: client.ApiClient, method: str, path: str, body: Any = None, agent: str = ""
) -> tuple[int, str, dict[str, str]]:
    """(status, body text exactly as sent, headers) of one request, errors included."""
    headers = {"Accept": "application/json"}
    if agent:
        headers["User-Agent"] = agent
    if body is not None:
        headers["Content-Type"] = "application/json"
    url = api.configuration.host + path
    try:
        response = api.call_api(method, url, header_params=headers, body=body)
        status, data, got = response.status, response.read(), response.getheaders()
    except client.ApiException as error:
        status, data, got = error.status, error.body, error.headers
    text = data.decode() if isinstance(data, bytes) else str(data or "")
    return status, text, {k.lower(): v for k, v in dict(got or {}).items()}


def service_account_ready(api: client.ApiClient, namespace: str) -> None:
    """Wait for the namespace's `default` ServiceAccount: until the controller made it, a real
    server's admission refuses pods there (403)."""

    path = f"/api/v1/namespaces/{namespace}/serviceaccounts/default"

    def made() -> bool:
        return raw_text(api, "GET", path)[0] == 200

    wait_for(made, 60, f"the default ServiceAccount of {namespace}")


def go_json(data: Any) -> str:
    """How Go's json.Encoder writes a value: compact, HTML-safe, one trailing newline."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).translate(_HTML_SAFE) + "\n"


def missing(node: Any, shape: dict[str, Any], where: str = "") -> list[str]:
    """Paths a shape table says are always written that the object lacks (see
    sandbox/apiserver/structs.py for the table's notation)."""
    found = []
    for key, inner in shape.items():
        name = key.removesuffix("[]").removesuffix("?")
        path = f"{where}.{name}".lstrip(".")
        value = node.get(name) if isinstance(node, dict) else None
        if key.endswith("[]"):
            for index, item in enumerate(value or []):
                found += missing(item, inner, f"{path}[{index}]")
        elif key.endswith("?"):
            if isinstance(value, dict):
                found += missing(value, inner, path)
        elif not isinstance(node, dict) or name not in node:
            found.append(path)
        elif isinstance(inner, dict):
            found += (
                missing(value, inner, path) if isinstance(value, dict) else [f"{path} ({value!r})"]
            )
    return found
