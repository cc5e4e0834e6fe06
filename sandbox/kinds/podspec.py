"""PodSpec defaults and validation, shared by Pods and the kinds that hold a pod template."""

from __future__ import annotations

from typing import Any

from sandbox.apiserver.errors import cause
from sandbox.apiserver.selectors import match_label_selector
from sandbox.apiserver.strategy import Cause
from sandbox.kinds.common import required

Obj = dict[str, Any]
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
PROBE_DEFAULTS = (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1),
                  ("failureThreshold", 3))  # fmt: skip


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
    for probe in PROBES:
        if isinstance(container.get(probe), dict):
            p = container[probe]
            for key, value in PROBE_DEFAULTS:
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


def template_defaults(obj: Obj) -> Obj:
    """The PodSpec defaults of a pod template (`spec.template.spec`); returns the spec."""
    spec: Obj = obj.setdefault("spec", {})
    pod_spec_defaults(spec.setdefault("template", {}).setdefault("spec", {}))
    return spec


def pod_spec_causes(spec: Any, path: str) -> list[Cause]:
    """Validation causes for a PodSpec."""
    if not isinstance(spec, dict):
        return [required(path)]
    containers = spec.get("containers")
    if not containers:
        return [required(f"{path}.containers")]
    causes = []
    for index, container in enumerate(containers):
        for key in ("name", "image"):
            if not isinstance(container, dict) or not container.get(key):
                causes.append(required(f"{path}.containers[{index}].{key}"))
    return causes


def template_causes(obj: Obj, restart: tuple[str, ...], *, selector_required: bool) -> list[Cause]:
    """Causes for a pod template: its spec, the selector matching it, the restart policy."""
    spec = obj.get("spec") or {}
    template = spec.get("template") or {}
    causes = pod_spec_causes(template.get("spec"), "spec.template.spec")
    labels = (template.get("metadata") or {}).get("labels") or {}
    selector = spec.get("selector")
    if selector_required or selector is not None:
        if not selector:
            causes.append(required("spec.selector"))
        elif not match_label_selector(selector, labels):
            message = f"Invalid value: {labels}: `selector` does not match template `labels`"
            causes.append(cause("spec.template.metadata.labels", "FieldValueInvalid", message))
    policy = (template.get("spec") or {}).get("restartPolicy", "Always")
    if policy not in restart:
        shown = ", ".join(f'"{r}"' for r in restart)
        message = f'Unsupported value: "{policy}": supported values: {shown}'
        causes.append(cause("spec.template.spec.restartPolicy", "FieldValueNotSupported", message))
    return causes
