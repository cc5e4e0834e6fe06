"""Reach the Release's pods: smoke checks (spec.verify), /metrics while baking, the preflight
pod's status and last log lines.

A pod's HTTP endpoint is reached through the API server's pods/proxy (POD_HTTP=proxy, the
default: it works from inside and outside the cluster), or straight at its IP (direct), at the
port the pod's annotation POD_PORTS_ANNOTATION maps the container port to, where the cluster
remaps ports (the sandbox, whose pods share 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import urllib3

from gitops.kube import Kube
from gitops.release.observed import CheckResult, PodMetrics, PreflightPodView
from gitops.release.spec import ReleaseSpec
from gitops.release.state import Phase, Rollout
from gitops.settings import Settings

Body = dict[str, Any]
METRIC = "myfoodbudget_http_responses_total"  # the app's responses by status_class
SAMPLE = re.compile(rf"^{METRIC}\{{([^}}]*)\}}\s+(\S+)", re.MULTILINE)
CLASS = re.compile(r'status_class="([^"]*)"')
TIMEOUT, LOG_TAIL = 5.0, 20
UNREACHABLE = (OSError, asyncio.TimeoutError, aiohttp.ClientError, urllib3.exceptions.HTTPError)


class NoPort(Exception):
    """The container declares no port to reach it at."""


@dataclass(frozen=True)
class Probed:
    """What the probes found."""

    preflight_pods: tuple[PreflightPodView, ...] = ()
    checks: Mapping[str, CheckResult] = field(default_factory=dict)
    metrics: tuple[PodMetrics, ...] = ()


def container_of(pod: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """The container called name in a pod ({} when absent)."""
    containers = (pod.get("spec") or {}).get("containers") or []
    return next((c for c in containers if c.get("name") == name), {})


def pod_port(container: Mapping[str, Any]) -> int:
    """The port the readiness probe asks (a name resolved), else the first containerPort."""
    ports = [p for p in container.get("ports") or [] if isinstance(p.get("containerPort"), int)]
    wanted = ((container.get("readinessProbe") or {}).get("httpGet") or {}).get("port")
    if isinstance(wanted, int):
        return wanted
    named = next((p["containerPort"] for p in ports if wanted and p.get("name") == wanted), None)
    if named is not None:
        return int(named)
    if not ports:
        raise NoPort(f"container {container.get('name')!r} declares no containerPort")
    return int(ports[0]["containerPort"])


def direct_address(settings: Settings, pod: Mapping[str, Any], port: int) -> str:
    """host:port of a pod reached straight at its IP."""
    host = str((pod.get("status") or {}).get("podIP") or "")
    if not host:
        raise NoPort("the pod has no IP yet")
    annotation = settings.pod_ports_annotation
    raw = (
        ((pod.get("metadata") or {}).get("annotations") or {}).get(annotation)
        if annotation
        else None
    )
    if raw:
        port = int(json.loads(raw).get(str(port), port))
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def pod_get(
    kube: Kube, settings: Settings, pod: Mapping[str, Any], container: str, path: str
) -> tuple[int, str]:
    """(status, body) of GET path on the pod's port; raise UNREACHABLE errors or NoPort."""
    port = pod_port(container_of(pod, container))
    meta = pod["metadata"]
    if settings.pod_http == "proxy":
        proxied = f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}:{port}/proxy{path}"
        return await kube.read_text(proxied, TIMEOUT)
    url = f"http://{direct_address(settings, pod, port)}{path}"
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(url, allow_redirects=False) as response,
    ):
        return response.status, await response.text(errors="replace")


async def run_checks(
    kube: Kube, settings: Settings, spec: ReleaseSpec, pod: Mapping[str, Any]
) -> CheckResult:
    """spec.verify against one pod, in order, up to the first one that fails."""
    for check in spec.verify:
        asked = f"GET {check.path}"
        try:
            status, body = await pod_get(kube, settings, pod, spec.container, check.path)
        except NoPort as error:
            return CheckResult(False, f"{asked}: {error}")
        except UNREACHABLE as error:
            return CheckResult(None, f"{asked}: {error}")  # not ready after all: look again
        if status != check.expect_status:
            return CheckResult(False, f"{asked} answered {status}, expected {check.expect_status}")
        if check.expect_body and check.expect_body not in body:
            return CheckResult(False, f"{asked} answered without {check.expect_body!r}")
    return CheckResult(True, f"{len(spec.verify)} smoke checks passed")


def parse_responses(text: str) -> dict[str, float]:
    """The app's responses by status class from a Prometheus text page."""
    found: dict[str, float] = {}
    for labels, value in SAMPLE.findall(text):
        named = CLASS.search(labels)
        if named:
            found[named[1]] = found.get(named[1], 0.0) + float(value)
    return found


async def read_metrics(
    kube: Kube, settings: Settings, spec: ReleaseSpec, pod: Mapping[str, Any]
) -> PodMetrics | None:
    """The pod's responses by status class (None when it cannot be reached right now)."""
    name = pod["metadata"]["name"]
    try:
        status, text = await pod_get(kube, settings, pod, spec.container, "/metrics")
    except NoPort as error:
        return PodMetrics(name, {}, str(error))
    except UNREACHABLE:
        return None  # a pod that stopped answering is caught by its readiness
    if status != 200:
        return PodMetrics(name, {}, f"GET /metrics answered {status}")
    return PodMetrics(name, parse_responses(text))


def _ready(pod: Mapping[str, Any]) -> bool:
    """True when the pod's Ready condition is True and it is not being deleted."""
    if pod["metadata"].get("deletionTimestamp"):
        return False
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def build_preflight_view(pod: Mapping[str, Any], container: str, log: str = "") -> PreflightPodView:
    """A preflight pod as the plan sees it: ready, waiting, or ended (and how)."""
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    mine: Mapping[str, Any] = next((s for s in statuses if s.get("name") == container), {})
    state = mine.get("state") or {}
    ended = state.get("terminated") or {}
    message = str(ended.get("message") or "").strip()
    if ended and not message:
        message = f"exit code {ended.get('exitCode')} ({ended.get('reason') or 'Error'})"
    failed = (pod.get("status") or {}).get("phase") == "Failed"
    if failed and not ended:
        message = str((pod.get("status") or {}).get("message") or "the pod failed")
    image = str(container_of(pod, container).get("image") or "")
    return PreflightPodView(
        name=pod["metadata"]["name"],
        image=image,
        ready=_ready(pod),
        waiting_reason=str((state.get("waiting") or {}).get("reason") or ""),
        terminated=bool(ended) or failed,
        message=message,
        log=log,
        gone=bool(pod["metadata"].get("deletionTimestamp")),
    )


async def read_log(kube: Kube, pod: Mapping[str, Any], container: str) -> str:
    """The last lines the container wrote ('' when they cannot be read)."""
    meta = pod["metadata"]
    path = f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/log"
    try:
        status, text = await kube.read_text(f"{path}?container={container}&tailLines={LOG_TAIL}")
    except UNREACHABLE:
        return ""
    return text if status == 200 else ""


async def _preflight_views(
    kube: Kube, spec: ReleaseSpec, current: str, preflight: Sequence[Body]
) -> tuple[PreflightPodView, ...]:
    """The preflight pods; the current one's last log lines while it is not ready."""
    views = []
    for pod in preflight:
        view = build_preflight_view(pod, spec.container)
        if view.name == current and not view.ready and not view.gone:
            log = await read_log(kube, pod, spec.container)
            view = build_preflight_view(pod, spec.container, log)
        views.append(view)
    return tuple(views)


async def probe(  # noqa: PLR0913 - the clients and the objects one observation looks at
    kube: Kube,
    settings: Settings,
    spec: ReleaseSpec,
    rollout: Rollout | None,
    *,
    app_pods: Sequence[Body],
    preflight: Sequence[Body],
) -> Probed:
    """Look at the preflight pods, and run the checks or read the metrics the step needs."""
    if rollout is None:
        return Probed(await _preflight_views(kube, spec, "", preflight))
    current, phase = rollout.preflight_pod, rollout.phase
    views = await _preflight_views(kube, spec, current, preflight)
    image = rollout.target_image
    ready = [
        p for p in app_pods if _ready(p) and container_of(p, spec.container).get("image") == image
    ]
    if phase is Phase.PREFLIGHT:
        ready = [p for p in preflight if p["metadata"]["name"] == current and _ready(p)]
    checks: dict[str, CheckResult] = {}
    if spec.verify and phase in (Phase.PREFLIGHT, Phase.ROLLING_OUT):
        found = await asyncio.gather(*(run_checks(kube, settings, spec, p) for p in ready))
        checks = {p["metadata"]["name"]: r for p, r in zip(ready, found, strict=True)}
    metrics: tuple[PodMetrics, ...] = ()
    if phase is Phase.BAKING and spec.readiness.error_rate is not None:
        read = await asyncio.gather(*(read_metrics(kube, settings, spec, p) for p in ready))
        metrics = tuple(m for m in read if m is not None)
    return Probed(views, checks, metrics)
