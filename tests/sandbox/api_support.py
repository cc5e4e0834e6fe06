"""Shared helpers of the API contract tests (they run on the sandbox or on a real cluster)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from kubernetes import client, config
from polling import wait_for

GROUP, VERSION, PLURAL = "contract.sandbox.example.com", "v1", "widgets"

WIDGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": f"{PLURAL}.{GROUP}"},
    "spec": {
        "group": GROUP,
        "scope": "Namespaced",
        "names": {"plural": PLURAL, "singular": "widget", "kind": "Widget", "shortNames": ["wdg"]},
        "versions": [
            {
                "name": VERSION,
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "additionalPrinterColumns": [
                    {"name": "Size", "type": "integer", "jsonPath": ".spec.size"},
                    {
                        "name": "Ready",
                        "type": "string",
                        "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
                    },
                    {"name": "Color", "type": "string", "jsonPath": ".spec.color", "priority": 1},
                    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                ],
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "metadata": {"type": "object"},
                            "spec": {
                                "type": "object",
                                "required": ["size"],
                                "properties": {
                                    "size": {"type": "integer", "minimum": 1, "maximum": 10},
                                    "color": {
                                        "type": "string",
                                        "enum": ["red", "blue"],
                                        "default": "red",
                                    },
                                    "name": {
                                        "type": "string",
                                        "pattern": "^[a-z]+$",
                                        "maxLength": 8,
                                    },
                                    "port": {"x-kubernetes-int-or-string": True},
                                    "tags": {
                                        "type": "array",
                                        "maxItems": 2,
                                        "items": {"type": "string"},
                                    },
                                    "extra": {
                                        "type": "object",
                                        "x-kubernetes-preserve-unknown-fields": True,
                                    },
                                },
                            },
                            "status": {
                                "type": "object",
                                "x-kubernetes-preserve-unknown-fields": True,
                            },
                        },
                    }
                },
            }
        ],
    },
}


def new_api(kubeconfig: str) -> client.ApiClient:
    """An API client for the cluster under test."""
    return config.new_client_from_config(config_file=kubeconfig)


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _url(api: client.ApiClient, path: str, query: list[tuple[str, str]] | None) -> str:
    return api.configuration.host + with_query(path, query)


def with_query(path: str, query: list[tuple[str, str]] | None) -> str:
    """The path with its query string."""
    return path + ("?" + urlencode(query) if query else "")


def raw(
    api: client.ApiClient,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """Call the API (path with its query string, see with_query) and return (status, parsed
    JSON body) without model conversion."""
    headers = {"Accept": "application/json", **(headers or {})}
    if body is not None:
        headers.setdefault("Content-Type", "application/json")
    try:
        response = api.call_api(method, _url(api, path, None), header_params=headers, body=body)
        status, data = response.status, response.read()
    except client.ApiException as error:
        status, data = error.status, error.body
    return status, json.loads(data) if data else None


def watch_lines(
    api: client.ApiClient, path: str, query: list[tuple[str, str]]
) -> Iterator[dict[str, Any]]:
    """Raw watch events (one JSON object per line) until the server ends the stream."""
    response = api.call_api("GET", _url(api, path, query), header_params={})
    try:
        buffer = b""
        for chunk in response.response.stream(1024):
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                if line.strip():
                    yield json.loads(line)
    finally:
        response.response.release_conn()


def ensure_crd(api: client.ApiClient) -> None:
    """Register the Widget CRD (idempotent) and wait until it is Established."""
    ext = client.ApiextensionsV1Api(api)
    try:
        ext.create_custom_resource_definition(WIDGET_CRD)
    except client.ApiException as error:
        if error.status != 409:
            raise

    def established() -> bool:
        crd = ext.read_custom_resource_definition(WIDGET_CRD["metadata"]["name"])
        return any(
            c.type == "Established" and c.status == "True" for c in crd.status.conditions or []
        )

    wait_for(established, what="CRD Established")
    wait_for(lambda: _served(api), what="CRD served")


def _served(api: client.ApiClient) -> bool:
    status, _ = raw(api, "GET", f"/apis/{GROUP}/{VERSION}/{PLURAL}")
    return status == 200


def widget(object_name: str, **spec: Any) -> dict[str, Any]:
    """A Widget manifest."""
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Widget",
        "metadata": {"name": object_name},
        "spec": {"size": 1, **spec},
    }


def compact_history(cluster: Any) -> None:
    """Compact the sandbox's history (as etcd compaction does): older versions answer 410."""
    import yaml
    from support.sandbox import tls_context, urlopen

    server = yaml.safe_load(cluster.kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    with urlopen(f"{server}/sandbox/compact", tls_context(cluster.kubeconfig), {}) as response:
        assert response.status == 200
