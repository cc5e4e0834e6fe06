"""Defaults, validation and output rules of the built-in kinds."""

from __future__ import annotations

import base64
import itertools
import random
from typing import Any

from sandbox.apiserver.errors import cause
from sandbox.apiserver.selectors import match_label_selector

Obj = dict[str, Any]
_cluster_ips = itertools.count(10)
_node_ports: set[int] = set()

# Go `omitempty` integer and string fields of status blocks (zero values are not sent).
OMIT_ZERO_STATUS = {
    "Deployment": (
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
        "unavailableReplicas",
        "observedGeneration",
        "collisionCount",
    ),
    "ReplicaSet": (
        "fullyLabeledReplicas",
        "readyReplicas",
        "availableReplicas",
        "observedGeneration",
    ),
    "Job": ("active", "succeeded", "failed"),
}


def _container_defaults(container: Obj) -> None:
    image = container.get("image", "")
    tag = image.rsplit("/", 1)[-1]
    latest = "@" not in image and (":" not in tag or tag.endswith(":latest"))
    container.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    container.setdefault("resources", {})
    for port in container.get("ports") or []:
        port.setdefault("protocol", "TCP")
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        if isinstance(container.get(probe), dict):
            p = container[probe]
            for key, value in (
                ("timeoutSeconds", 1),
                ("periodSeconds", 10),
                ("successThreshold", 1),
                ("failureThreshold", 3),
            ):
                p.setdefault(key, value)
            if isinstance(p.get("httpGet"), dict):
                p["httpGet"].setdefault("path", "/")
                p["httpGet"].setdefault("scheme", "HTTP")


def pod_spec_defaults(spec: Obj) -> None:
    """Defaults the API server fills into a PodSpec."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        if isinstance(container, dict):
            _container_defaults(container)


def pod_spec_causes(spec: Any, path: str) -> list[dict[str, str]]:
    """Validation causes for a PodSpec."""
    if not isinstance(spec, dict):
        return [cause(path, "FieldValueRequired", "Required value")]
    containers = spec.get("containers")
    if not containers:
        return [cause(f"{path}.containers", "FieldValueRequired", "Required value")]
    causes = []
    for index, container in enumerate(containers):
        for key in ("name", "image"):
            if not isinstance(container, dict) or not container.get(key):
                field = f"{path}.containers[{index}].{key}"
                causes.append(cause(field, "FieldValueRequired", "Required value"))
    return causes


def _template_causes(obj: Obj, restart: tuple[str, ...]) -> list[dict[str, str]]:
    spec = obj.get("spec") or {}
    template = spec.get("template") or {}
    causes = pod_spec_causes(template.get("spec"), "spec.template.spec")
    labels = (template.get("metadata") or {}).get("labels") or {}
    selector = spec.get("selector")
    if obj["kind"] != "Job" or selector is not None:
        if not selector:
            causes.append(cause("spec.selector", "FieldValueRequired", "Required value"))
        elif not match_label_selector(selector, labels):
            message = f"Invalid value: {labels}: `selector` does not match template `labels`"
            causes.append(cause("spec.template.metadata.labels", "FieldValueInvalid", message))
    policy = (template.get("spec") or {}).get("restartPolicy", "Always")
    if policy not in restart:
        shown = ", ".join(f'"{r}"' for r in restart)
        message = f'Unsupported value: "{policy}": supported values: {shown}'
        causes.append(cause("spec.template.spec.restartPolicy", "FieldValueNotSupported", message))
    return causes


def _deployment_defaults(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    strategy = spec.setdefault("strategy", {"type": "RollingUpdate"})
    if strategy.setdefault("type", "RollingUpdate") == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxSurge", "25%")
        rolling.setdefault("maxUnavailable", "25%")
    pod_spec_defaults(spec.setdefault("template", {}).setdefault("spec", {}))


def _job_defaults(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("parallelism", 1)
    spec.setdefault("completions", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    template = spec.setdefault("template", {})
    pod_spec_defaults(template.setdefault("spec", {}))
    if not spec.get("manualSelector") and "selector" not in spec:
        uid, name = obj["metadata"]["uid"], obj["metadata"]["name"]
        labels = template.setdefault("metadata", {}).setdefault("labels", {})
        labels.update(
            {
                "batch.kubernetes.io/controller-uid": uid,
                "controller-uid": uid,
                "batch.kubernetes.io/job-name": name,
                "job-name": name,
            }
        )
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}


def _service_defaults(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec.get("clusterIP") != "None":
        index = next(_cluster_ips)
        spec.setdefault("clusterIP", f"10.43.{index // 250}.{index % 250 + 1}")
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")
    spec.setdefault("internalTrafficPolicy", "Cluster")
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))
        if spec["type"] in ("NodePort", "LoadBalancer") and not port.get("nodePort"):
            free = sorted(set(range(30000, 32768)) - _node_ports)
            port["nodePort"] = random.choice(free)  # noqa: S311
        if port.get("nodePort"):
            _node_ports.add(port["nodePort"])
    if spec["type"] in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")


def _simple_defaults(obj: Obj) -> None:
    kind, spec = obj["kind"], obj.setdefault("spec", {})
    if kind == "ReplicaSet":
        spec.setdefault("replicas", 1)
        pod_spec_defaults(spec.setdefault("template", {}).setdefault("spec", {}))
    elif kind == "CronJob":
        spec.setdefault("concurrencyPolicy", "Allow")
        spec.setdefault("suspend", False)
        spec.setdefault("successfulJobsHistoryLimit", 3)
        spec.setdefault("failedJobsHistoryLimit", 1)
    elif kind == "PersistentVolumeClaim":
        spec.setdefault("volumeMode", "Filesystem")
        obj.setdefault("status", {}).setdefault("phase", "Pending")


def apply_defaults(obj: Obj, creating: bool) -> None:
    """Fill in what the API server defaults for this kind."""
    kind = obj["kind"]
    if kind == "Pod":
        pod_spec_defaults(obj.setdefault("spec", {}))
        if creating:
            obj.setdefault("status", {}).setdefault("phase", "Pending")
            obj["status"].setdefault("qosClass", "BestEffort")
    elif kind == "Deployment":
        _deployment_defaults(obj)
    elif kind == "Job":
        _job_defaults(obj)
    elif kind == "Service" and creating:
        _service_defaults(obj)
    elif kind == "Secret":
        obj.setdefault("type", "Opaque")
        plain = obj.pop("stringData", None) or {}
        if plain:
            data = obj.setdefault("data", {})
            data.update({k: base64.b64encode(str(v).encode()).decode() for k, v in plain.items()})
    elif kind == "Namespace":
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj.setdefault("status", {}).setdefault("phase", "Active")
    elif kind in ("ReplicaSet", "CronJob", "PersistentVolumeClaim"):
        _simple_defaults(obj)


def causes_for(obj: Obj) -> list[dict[str, str]]:
    """Validation causes for a built-in object."""
    kind = obj["kind"]
    if kind == "Pod":
        return pod_spec_causes(obj.get("spec"), "spec")
    if kind in ("Deployment", "ReplicaSet"):
        return _template_causes(obj, ("Always",))
    if kind == "Job":
        return _template_causes(obj, ("OnFailure", "Never"))
    if kind == "Event" and not obj.get("involvedObject"):
        return [cause("involvedObject", "FieldValueRequired", "Required value")]
    if kind == "Service":
        return [
            cause(f"spec.ports[{i}].port", "FieldValueRequired", "Required value")
            for i, p in enumerate((obj.get("spec") or {}).get("ports") or [])
            if not p.get("port")
        ]
    return []


def omit_zero_status(obj: Obj) -> None:
    """Drop zero `omitempty` status counters, as the Go types do."""
    status = obj.get("status")
    if isinstance(status, dict):
        for key in OMIT_ZERO_STATUS.get(obj["kind"], ()):
            if status.get(key) == 0:
                del status[key]
