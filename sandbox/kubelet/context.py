"""What the pods of the node share, and what a container runner asks of its pod."""

from __future__ import annotations

import dataclasses
import pathlib
from typing import Any, Protocol
from urllib.parse import urlsplit

from sandbox.client.api import path
from sandbox.client.backoff import BackoffPolicy
from sandbox.client.objects import HOST_PORTS_ANNOTATION
from sandbox.client.view import ClusterView
from sandbox.kubelet.runtime import Runtime


@dataclasses.dataclass
class Node:
    """The node's side of every pod: set `closing` once the kubelet shuts down."""

    cluster: ClusterView
    data_dir: pathlib.Path
    runtime: Runtime
    backoff: BackoffPolicy
    closing: bool = False

    async def fetch(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        """Read a ConfigMap, Secret or PersistentVolumeClaim from the API."""
        result = await self.cluster.api.get_or_none(path(resource, namespace, name))
        return dict(result) if isinstance(result, dict) else None

    async def with_host_ports(self, pod: dict[str, Any]) -> dict[str, Any]:
        """The pod with the host ports its namespace lets every pod reach (the namespace's
        host-ports annotation) joined to its own; the pod itself when there are none."""
        namespace = await self.cluster.api.get_or_none(
            path("namespaces", None, pod["metadata"]["namespace"])
        )
        meta = namespace.get("metadata", {}) if isinstance(namespace, dict) else {}
        shared = (meta.get("annotations") or {}).get(HOST_PORTS_ANNOTATION, "")
        if not shared:
            return pod
        annotations = dict(pod["metadata"].get("annotations") or {})
        own = annotations.get(HOST_PORTS_ANNOTATION, "")
        annotations[HOST_PORTS_ANNOTATION] = ",".join(p for p in (own, shared) if p)
        return {**pod, "metadata": {**pod["metadata"], "annotations": annotations}}

    async def token(self, pod: dict[str, Any], audience: str | None, seconds: int) -> str:
        """A token of the pod's ServiceAccount bound to the pod (TokenRequest, as the kubelet)."""
        md = pod["metadata"]
        account = pod["spec"].get("serviceAccountName") or "default"
        spec: dict[str, Any] = {
            "expirationSeconds": seconds,
            "boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": md["name"],
                               "uid": md.get("uid", "")},
        }  # fmt: skip
        if audience:
            spec["audiences"] = [audience]
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}
        url = path("serviceaccounts", md["namespace"], account, "token")
        answer = await self.cluster.api.create(url, body)
        return str(answer["status"]["token"])

    def service_env(self) -> dict[str, str]:
        """KUBERNETES_SERVICE_HOST/PORT and friends: the API server as a pod reaches it."""
        where = urlsplit(self.cluster.api.base)
        host, port = where.hostname or "127.0.0.1", str(where.port or 443)
        return {
            "KUBERNETES_SERVICE_HOST": host,
            "KUBERNETES_SERVICE_PORT": port,
            "KUBERNETES_SERVICE_PORT_HTTPS": port,
            "KUBERNETES_PORT": f"tcp://{host}:{port}",
        }


class PodSide(Protocol):
    """What a container runner needs from its pod's worker."""

    node: Node
    pod: dict[str, Any]
    dir: pathlib.Path
    volumes: dict[str, pathlib.Path]

    def notify(self) -> None:
        """A container status changed."""

    async def event(self, reason: str, message: str, kind: str = "Normal") -> None:
        """An Event on the pod."""

    def grace(self) -> float:
        """Seconds between SIGTERM and SIGKILL."""
        ...

    def ports_of(self, container: dict[str, Any]) -> dict[str, int]:
        """The node ports allocated to one container."""
        ...
