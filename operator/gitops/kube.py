"""A small async adapter over the Kubernetes API (the official client's transport, JSON dicts)."""

from __future__ import annotations

import asyncio
import json
import socket
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from kubernetes import client, config

from gitops.api import COMPONENT, EventType
from gitops.events import EventMemory, Seen, build_event, build_repeat, event_key

Body = dict[str, Any]
MERGE_PATCH = "application/merge-patch+json"


class KubeError(Exception):
    """An API call answered with an error status."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason

    @property
    def not_found(self) -> bool:
        """True for 404."""
        return self.status == 404

    @property
    def conflict(self) -> bool:
        """True for 409 (already exists, or a stale resourceVersion)."""
        return self.status == 409


def namespaced(group_version: str, plural: str, namespace: str, name: str | None = None) -> str:
    """The API path of a namespaced collection or object ('v1' is the core group)."""
    prefix = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
    path = f"{prefix}/namespaces/{namespace}/{plural}"
    return f"{path}/{name}" if name else path


class Kube:
    """JSON-in, JSON-out API calls run in a worker thread so the event loop stays free."""

    def __init__(self, api_client: client.ApiClient) -> None:
        self.api = api_client
        self.events = EventMemory()  # the Events recorded lately, so repeats update them
        self.instance = f"{COMPONENT}-{socket.gethostname()}"  # the reportingInstance

    @classmethod
    def from_environment(cls, kubeconfig: str | None = None) -> Kube:
        """In-cluster credentials when present, else the kubeconfig (KUBECONFIG or ~/.kube)."""
        configuration = client.Configuration()
        loaders: Any = config  # the kubernetes client's loaders carry no type annotations
        try:
            loaders.load_incluster_config(client_configuration=configuration)
        except config.ConfigException:
            loaders.load_kube_config(config_file=kubeconfig, client_configuration=configuration)
        return cls(client.ApiClient(configuration))

    def _call(self, method: str, path: str, body: Any, content_type: str) -> Body:
        """One blocking request; raise KubeError for any non-2xx answer."""
        headers = {"Accept": "application/json", "Content-Type": content_type}
        params = self.api.param_serialize(
            method=method,
            resource_path=path,
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        response: Any = self.api.call_api(*params, _request_timeout=30)  # unannotated
        raw = response.read() or b"{}"
        data = json.loads(raw) if raw.strip() else {}
        if response.status >= 400:
            reason = data.get("reason") or response.reason or "Error"
            raise KubeError(response.status, str(reason), str(data.get("message", "")))
        return data if isinstance(data, dict) else {}

    def _text(self, path: str, timeout: float) -> tuple[int, str]:
        """One blocking GET of a non-JSON resource (logs, a pod's own endpoint via the proxy)."""
        params = self.api.param_serialize(
            method="GET",
            resource_path=path,
            header_params={"Accept": "*/*"},
            auth_settings=["BearerToken"],
        )
        response: Any = self.api.call_api(*params, _request_timeout=timeout)  # unannotated
        return int(response.status), (response.read() or b"").decode(errors="replace")

    async def read_text(self, path: str, timeout: float = 10.0) -> tuple[int, str]:
        """(HTTP status, body) of a GET whose answer is text; errors are answers too."""
        return await asyncio.to_thread(self._text, path, timeout)

    async def request(
        self, method: str, path: str, body: Any = None, content_type: str = "application/json"
    ) -> Body:
        """Run one request off the event loop."""
        return await asyncio.to_thread(self._call, method, path, body, content_type)

    async def get(self, path: str) -> Body | None:
        """The object at path, or None when it does not exist."""
        try:
            return await self.request("GET", path)
        except KubeError as error:
            if error.not_found:
                return None
            raise

    async def list(self, path: str, label_selector: str | None = None) -> list[Body]:
        """The items of a collection, optionally filtered by a label selector."""
        query = f"?{urlencode({'labelSelector': label_selector})}" if label_selector else ""
        items = (await self.request("GET", path + query)).get("items") or []
        return [item for item in items if isinstance(item, dict)]

    async def create(self, path: str, body: Body) -> Body:
        """Create an object in the collection at path."""
        return await self.request("POST", path, body)

    async def merge_patch(self, path: str, patch: Body) -> Body:
        """A JSON merge patch of the object (or subresource) at path."""
        return await self.request("PATCH", path, patch, MERGE_PATCH)

    async def delete(self, path: str) -> None:
        """Delete the object and its dependents in the background; absent is fine."""
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}
        try:
            await self.request("DELETE", path, body)
        except KubeError as error:
            if not error.not_found:
                raise

    async def create_event(
        self, obj: Body, event_type: EventType, reason: str, message: str
    ) -> None:
        """Record an Event on obj with the reason of its condition; a repeat updates the first.

        A repeat (same object, type, reason and message) patches the Event recorded before:
        count, lastTimestamp and series. When that Event is gone (Events expire), a new one
        starts the count again.
        """
        now = datetime.now(UTC)
        key = event_key(obj, event_type, reason, message)
        seen = self.events.get(key)
        if seen is not None:
            path = namespaced("v1", "events", seen.namespace, seen.name)
            try:
                await self.merge_patch(path, build_repeat(seen.count + 1, now))
            except KubeError as error:
                self.events.forget(key)
                if not error.not_found:
                    raise
            else:
                self.events.remember(key, replace(seen, count=seen.count + 1))
                return
        event = build_event(obj, (event_type, reason), message, instance=self.instance, now=now)
        meta = event["metadata"]
        await self.create(namespaced("v1", "events", meta["namespace"]), event)
        self.events.remember(key, Seen(meta["namespace"], meta["name"], 1))
