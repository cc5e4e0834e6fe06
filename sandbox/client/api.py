"""A small Kubernetes HTTP API client (aiohttp): paths, verbs, retries and watch streams."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"

# resource -> (API prefix, namespaced, kind)
RESOURCES: dict[str, tuple[str, bool, str]] = {
    "pods": ("/api/v1", True, "Pod"),
    "services": ("/api/v1", True, "Service"),
    "endpoints": ("/api/v1", True, "Endpoints"),
    "configmaps": ("/api/v1", True, "ConfigMap"),
    "secrets": ("/api/v1", True, "Secret"),
    "serviceaccounts": ("/api/v1", True, "ServiceAccount"),
    "events": ("/api/v1", True, "Event"),
    "persistentvolumeclaims": ("/api/v1", True, "PersistentVolumeClaim"),
    "nodes": ("/api/v1", False, "Node"),
    "namespaces": ("/api/v1", False, "Namespace"),
    "replicationcontrollers": ("/api/v1", True, "ReplicationController"),
    "deployments": ("/apis/apps/v1", True, "Deployment"),
    "replicasets": ("/apis/apps/v1", True, "ReplicaSet"),
    "jobs": ("/apis/batch/v1", True, "Job"),
    "statefulsets": ("/apis/apps/v1", True, "StatefulSet"),
    "daemonsets": ("/apis/apps/v1", True, "DaemonSet"),
    "controllerrevisions": ("/apis/apps/v1", True, "ControllerRevision"),
    "cronjobs": ("/apis/batch/v1", True, "CronJob"),
}
_RETRYABLE = {429, 500, 502, 503, 504}


class ApiError(Exception):
    """An error answer from the API server (a kind: Status body)."""

    def __init__(self, status: int, body: Any) -> None:
        """Keep the HTTP status and the Status reason/message."""
        self.status = status
        self.reason = body.get("reason", "") if isinstance(body, dict) else ""
        message = body.get("message", "") if isinstance(body, dict) else str(body)[:200]
        super().__init__(f"HTTP {status} {self.reason}: {message}")


def path(
    resource: str, namespace: str | None = None, name: str | None = None, sub: str = ""
) -> str:
    """Build the URL path of a collection, an object, or one of its subresources."""
    prefix, namespaced, _ = RESOURCES[resource]
    parts = [prefix]
    if namespaced and namespace:
        parts.append(f"namespaces/{namespace}")
    parts.append(resource)
    if name:
        parts.append(name)
    if sub:
        parts.append(sub)
    return "/".join(parts)


def type_meta(resource: str) -> tuple[str, str]:
    """(apiVersion, kind) of a built-in resource."""
    prefix, _, kind = RESOURCES[resource]
    return prefix.removeprefix("/api/").removeprefix("/apis/"), kind


def obj_path(resource: str, obj: dict[str, Any], sub: str = "") -> str:
    """Path of an existing object."""
    meta = obj["metadata"]
    return path(resource, meta.get("namespace"), meta["name"], sub)


class Api:
    """HTTP verbs against the API server, retrying throttling, 5xx and connection errors."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession, attempts: int = 6) -> None:
        """Use one shared session; base_url like http://127.0.0.1:6443."""
        self.base = base_url.rstrip("/")
        self.session = session
        self.attempts = attempts

    async def request(
        self,
        method: str,
        url_path: str,
        body: Any = None,
        *,
        params: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> Any:
        """Send one request; return the decoded JSON, raise ApiError on an error answer."""
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": content_type, "Accept": "application/json"}
        for attempt in range(self.attempts):
            try:
                async with self.session.request(
                    method, self.base + url_path, data=data, params=params, headers=headers
                ) as resp:
                    text = await resp.text()
                    payload = _decode(text)
                    if resp.status < 400:
                        return payload
                    if resp.status not in _RETRYABLE or attempt == self.attempts - 1:
                        raise ApiError(resp.status, payload)
                    delay = _retry_after(resp.headers.get("Retry-After"), attempt)
            except (TimeoutError, aiohttp.ClientConnectionError):
                if attempt == self.attempts - 1:
                    raise
                delay = 0.1 * (attempt + 1)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def get(self, url_path: str, params: dict[str, str] | None = None) -> Any:
        """GET an object or a list."""
        return await self.request("GET", url_path, params=params)

    async def get_or_none(self, url_path: str) -> Any:
        """GET an object; None when it does not exist."""
        try:
            return await self.get(url_path)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    async def create(self, url_path: str, body: dict[str, Any]) -> Any:
        """POST a new object to a collection."""
        return await self.request("POST", url_path, body)

    async def replace(self, url_path: str, body: dict[str, Any]) -> Any:
        """PUT a whole object (conditional on its metadata.resourceVersion)."""
        return await self.request("PUT", url_path, body)

    async def patch(self, url_path: str, body: Any, content_type: str = MERGE) -> Any:
        """PATCH an object (merge patch by default)."""
        return await self.request("PATCH", url_path, body, content_type=content_type)

    async def delete(self, url_path: str, grace: int | None = None, propagation: str = "") -> Any:
        """DELETE an object; a missing object is not an error."""
        body: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if grace is not None:
            body["gracePeriodSeconds"] = grace
        if propagation:
            body["propagationPolicy"] = propagation
        try:
            return await self.request("DELETE", url_path, body)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    async def watch(self, url_path: str, resource_version: str) -> AsyncIterator[dict[str, Any]]:
        """Yield watch events after resource_version until the server ends the stream."""
        params = {
            "watch": "true",
            "resourceVersion": resource_version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": "240",
        }
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=5, sock_read=300)
        async with self.session.get(self.base + url_path, params=params, timeout=timeout) as resp:
            if resp.status >= 400:
                raise ApiError(resp.status, _decode(await resp.text()))
            async for line in resp.content:
                if line.strip():
                    yield json.loads(line)


def _decode(text: str) -> Any:
    """Decode a JSON body, keeping non-JSON text as a string."""
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return text


def _retry_after(header: str | None, attempt: int) -> float:
    """Delay before a retry: Retry-After when given (capped), else a short linear back-off."""
    try:
        return min(float(header), 2.0) if header else 0.1 * (attempt + 1)
    except ValueError:
        return 0.1 * (attempt + 1)
