"""How the operator reaches the Release's pods: ports, addresses, smoke checks, /metrics, the
preflight pod's view. Real HTTP servers on 127.0.0.1 play the pods; for the API server's
pods/proxy (which the sandbox does not serve) a small aiohttp server stands in, answering
at the proxy's path what the pod would."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiohttp import web
from gitops.kube import Kube
from gitops.release.podprobe import (
    NoPort,
    build_preflight_view,
    direct_address,
    parse_responses,
    pod_port,
    probe,
    read_metrics,
    run_checks,
)
from gitops.release.state import Phase, Rollout
from gitops.settings import Settings
from kubernetes import client
from planhelpers import V1, V2, make_spec
from prometheus_client import REGISTRY

from app import create_app

DIRECT = Settings(operator_image="reg/op:1", pod_http="direct", pod_ports_annotation="ports")
PROXY = Settings(operator_image="reg/op:1")
CHECKED = make_spec(V2, verify=[{"path": "/auth/login", "expectBody": "Log in"}, {"path": "/x"}])
PAGES = {"/auth/login": (200, "<h1>Log in</h1>"), "/x": (200, "ok"), "/metrics": (200, "")}


class Pod(BaseHTTPRequestHandler):
    """A pod's HTTP endpoint answering PAGES."""

    pages: dict[str, tuple[int, str]] = PAGES

    def do_GET(self) -> None:
        status, body = self.pages.get(self.path, (404, "no such page"))
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def served() -> Iterator[int]:
    """A pod's endpoint on a free port of 127.0.0.1."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Pod)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def pod(
    name: str, port: int, *, image: str = V2, ready: bool = True, **extra: Any
) -> dict[str, Any]:
    """A pod of the app as the API returns it, its port 8000 remapped to `port`."""
    container = {"name": "app", "image": image, "ports": [{"name": "http", "containerPort": 8000}]}
    annotations = {"ports": f'{{"8000": {port}}}'}
    return {
        "metadata": {"name": name, "namespace": "web", "annotations": annotations},
        "spec": {"containers": [container]},
        "status": {
            "podIP": "127.0.0.1",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            **extra,
        },
    }


def test_the_port_is_the_readiness_probe_s_else_the_first_one() -> None:
    ports = [{"name": "admin", "containerPort": 9000}, {"name": "http", "containerPort": 8000}]
    assert pod_port({"ports": ports}) == 9000
    assert pod_port({"ports": ports, "readinessProbe": {"httpGet": {"port": "http"}}}) == 8000
    assert pod_port({"ports": ports, "readinessProbe": {"httpGet": {"port": 8081}}}) == 8081
    with pytest.raises(NoPort, match="declares no containerPort"):
        pod_port({"name": "app"})


def test_direct_addresses_follow_the_ports_annotation_and_bracket_ipv6() -> None:
    assert direct_address(DIRECT, pod("p", 41234), 8000) == "127.0.0.1:41234"
    plain = {"status": {"podIP": "fd00::5"}, "metadata": {}}
    assert direct_address(DIRECT, plain, 8000) == "[fd00::5]:8000"
    with pytest.raises(NoPort, match="no IP"):
        direct_address(DIRECT, {"status": {}, "metadata": {}}, 8000)


def test_the_apps_own_metrics_page_is_read_by_status_class() -> None:
    """The real app's /metrics, after a page (2xx) and a missing one (4xx)."""
    app = create_app({"APP_ENV": "testing", "DATABASE": ":memory:"})
    web_client = app.test_client()
    web_client.get("/auth/login")
    web_client.get("/no-such-page")
    page = web_client.get("/metrics").get_data(as_text=True)
    counts = parse_responses(page)
    assert counts["2xx"] >= 1
    assert counts["4xx"] >= 1
    # The registry is the process's: other tests' answers count too, so compare with it. A
    # class that has not happened yet has no line (the registry has no sample: None).
    for status_class in ("2xx", "3xx", "4xx", "5xx"):
        labels = {"status_class": status_class}
        expected = REGISTRY.get_sample_value("myfoodbudget_http_responses_total", labels)
        assert counts.get(status_class) == expected


def test_smoke_checks_pass_fail_or_wait_in_order(served: int) -> None:
    kube = Kube(client.ApiClient())
    passed = asyncio.run(run_checks(kube, DIRECT, CHECKED, pod("p", served)))
    assert (passed.passed, passed.detail) == (True, "2 smoke checks passed")
    body = make_spec(V2, verify=[{"path": "/auth/login", "expectBody": "Sign up"}])
    failed = asyncio.run(run_checks(kube, DIRECT, body, pod("p", served)))
    assert (failed.passed, failed.detail) == (False, "GET /auth/login answered without 'Sign up'")
    status = make_spec(V2, verify=[{"path": "/missing", "expectStatus": 200}])
    wrong = asyncio.run(run_checks(kube, DIRECT, status, pod("p", served)))
    assert (wrong.passed, wrong.detail) == (False, "GET /missing answered 404, expected 200")
    gone = asyncio.run(run_checks(kube, DIRECT, CHECKED, pod("p", free_port())))
    assert gone.passed is None  # nothing listens: not a verdict yet


def free_port() -> int:
    """A port nothing listens on."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Pod)
    port = int(server.server_address[1])
    server.server_close()
    return port


def test_metrics_are_counted_or_their_absence_reported(served: int) -> None:
    kube = Kube(client.ApiClient())
    Pod.pages = {
        **PAGES,
        "/metrics": (200, 'myfoodbudget_http_responses_total{status_class="5xx"} 3.0\n'),
    }
    try:
        read = asyncio.run(read_metrics(kube, DIRECT, CHECKED, pod("p", served)))
    finally:
        Pod.pages = PAGES
    assert read is not None
    assert (read.pod, dict(read.responses), read.error) == ("p", {"5xx": 3.0}, "")
    Pod.pages = {"/x": (200, "")}
    try:
        missing = asyncio.run(read_metrics(kube, DIRECT, CHECKED, pod("p", served)))
    finally:
        Pod.pages = PAGES
    assert missing is not None
    assert missing.error == "GET /metrics answered 404"
    assert asyncio.run(read_metrics(kube, DIRECT, CHECKED, pod("p", free_port()))) is None


async def _through_proxy() -> tuple[list[str], Any, Any]:
    """Checks and metrics through a stand-in for the API server's pods/proxy."""
    asked: list[str] = []

    async def proxied(request: web.Request) -> web.Response:
        asked.append(request.path)
        page = request.match_info["path"]
        if page == "metrics":
            return web.Response(text='myfoodbudget_http_responses_total{status_class="2xx"} 7\n')
        return web.Response(text="<h1>Log in</h1>" if page == "auth/login" else "ok")

    app = web.Application()
    app.router.add_get("/api/v1/namespaces/{ns}/pods/{pod}/proxy/{path:.*}", proxied)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        configuration = client.Configuration(host=f"http://127.0.0.1:{port}")
        kube = Kube(client.ApiClient(configuration))
        checks = await run_checks(kube, PROXY, CHECKED, pod("app-1", 1))
        metrics = await read_metrics(kube, PROXY, CHECKED, pod("app-1", 1))
    finally:
        await runner.cleanup()
    return asked, checks, metrics


def test_through_the_api_servers_proxy_the_pod_is_asked_at_its_container_port() -> None:
    asked, checks, metrics = asyncio.run(_through_proxy())
    base = "/api/v1/namespaces/web/pods/app-1:8000/proxy"
    assert asked == [f"{base}/auth/login", f"{base}/x", f"{base}/metrics"]
    assert checks.passed is True
    assert dict(metrics.responses) == {"2xx": 7.0}


def test_a_preflight_pod_view_says_ready_waiting_or_how_it_ended() -> None:
    def state(**state: Any) -> dict[str, Any]:
        return {"containerStatuses": [{"name": "app", "state": state}]}

    ended = pod("pf", 1, ready=False, **state(terminated={"exitCode": 1, "message": "boom\n"}))
    assert (
        build_preflight_view(ended, "app").terminated,
        build_preflight_view(ended, "app").message,
    ) == (True, "boom")
    silent = pod("pf", 1, ready=False, **state(terminated={"exitCode": 3, "reason": "Error"}))
    assert build_preflight_view(silent, "app").message == "exit code 3 (Error)"
    deadline = pod(
        "pf",
        1,
        ready=False,
        phase="Failed",
        message="Pod was active on the node longer than the specified deadline",
    )
    assert build_preflight_view(deadline, "app").terminated
    assert "deadline" in build_preflight_view(deadline, "app").message
    pulling = pod("pf", 1, ready=False, **state(waiting={"reason": "ErrImagePull"}))
    assert build_preflight_view(pulling, "app").waiting_reason == "ErrImagePull"
    ready = build_preflight_view(pod("pf", 1), "app", log="started")
    assert (ready.ready, ready.image, ready.log, ready.gone) == (True, V2, "started", False)
    stopping = pod("pf", 1)
    stopping["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert (
        build_preflight_view(stopping, "app").ready,
        build_preflight_view(stopping, "app").gone,
    ) == (False, True)


def test_probe_checks_and_reads_only_what_the_step_needs(served: int) -> None:
    spec = make_spec(V2, verify=[{"path": "/x"}], readiness={"bakeSeconds": 30, "errorRate": 0.1})
    app_pods = [
        pod("new", served),
        pod("old", served, image=V1),
        pod("starting", served, ready=False),
    ]
    rolling = Rollout(2, Phase.ROLLING_OUT, V2, V1, "2026-01-01T00:00:00Z")
    seen = asyncio.run(
        probe(Kube(client.ApiClient()), DIRECT, spec, rolling, app_pods=app_pods, preflight=[])
    )
    assert set(seen.checks) == {"new"}
    assert seen.metrics == ()
    baking = Rollout(2, Phase.BAKING, V2, V1, "2026-01-01T00:00:00Z")
    Pod.pages = {
        **PAGES,
        "/metrics": (200, 'myfoodbudget_http_responses_total{status_class="2xx"} 2\n'),
    }
    try:
        seen = asyncio.run(
            probe(Kube(client.ApiClient()), DIRECT, spec, baking, app_pods=app_pods, preflight=[])
        )
    finally:
        Pod.pages = PAGES
    assert (seen.checks, [m.pod for m in seen.metrics]) == ({}, ["new"])
    preflight = Rollout(2, Phase.PREFLIGHT, V2, V1, "2026-01-01T00:00:00Z", preflight_pod="pf")
    pods = [pod("pf", served), pod("stray", served)]
    seen = asyncio.run(
        probe(Kube(client.ApiClient()), DIRECT, spec, preflight, app_pods=app_pods, preflight=pods)
    )
    assert set(seen.checks) == {"pf"}
    assert [v.name for v in seen.preflight_pods] == ["pf", "stray"]
