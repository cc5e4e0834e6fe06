"""Sandbox API server benchmark: start-up time, watch-event latency, create throughput.

Runs one sandbox and measures, side by side in the same run: the time from launching
`python -m sandbox up` to its first answer; the latency from sending a create (or update) to a
watcher seeing its ADDED (or MODIFIED) event, as p50/p99; and the rate of creating 1,000
ConfigMaps one by one over HTTP, compared with the rate of plain GETs of /version (the
server's floor). Every request is HTTPS as the admin of the kubeconfig, each on a new
connection (urllib keeps none alive), so a TLS handshake is part of every figure. Ends with
one summary line. `--quick` (make test runs it): 100 creates and 40 watch events.
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the test support that starts a sandbox
sys.path.insert(0, str(ROOT))

from support.sandbox import running_sandbox  # noqa: E402

QUICK = "--quick" in sys.argv[1:]
CREATES = 100 if QUICK else 1000
LATENCY_SAMPLES = 40 if QUICK else 200
TLS: list[ssl.SSLContext] = []  # the admin's TLS, once the sandbox runs


def _call(url: str, method: str = "GET", body: object | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30, context=TLS[0]) as response:
        return json.loads(response.read())


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def watch_latency(url: str, namespace: str) -> tuple[float, float]:
    """p50 and p99 seconds from sending a write to a watcher seeing its event."""
    seen: dict[str, float] = {}
    ready = threading.Event()
    rv = _call(f"{url}/api/v1/namespaces/{namespace}/configmaps")["metadata"]["resourceVersion"]
    stream_url = (
        f"{url}/api/v1/namespaces/{namespace}/configmaps?watch=true"
        f"&resourceVersion={rv}&timeoutSeconds=120"
    )

    def watcher() -> None:
        with urllib.request.urlopen(stream_url, timeout=120, context=TLS[0]) as stream:
            ready.set()
            for line in stream:
                event = json.loads(line)
                md = event["object"]["metadata"]
                seen.setdefault(
                    f"{event['type']}:{md['name']}:{md['resourceVersion']}", time.perf_counter()
                )
                if len(seen) >= LATENCY_SAMPLES:
                    return

    thread = threading.Thread(target=watcher, daemon=True)
    thread.start()
    ready.wait(10)
    done: dict[str, float] = {}
    base = f"{url}/api/v1/namespaces/{namespace}/configmaps"
    for index in range(LATENCY_SAMPLES // 2):
        sent = time.perf_counter()
        obj = _call(base, "POST", {"metadata": {"name": f"lat-{index}"}, "data": {"v": "1"}})
        done[f"ADDED:lat-{index}:{obj['metadata']['resourceVersion']}"] = sent
        sent = time.perf_counter()
        obj = _call(f"{base}/lat-{index}", "PUT", {**obj, "data": {"v": "2"}})
        done[f"MODIFIED:lat-{index}:{obj['metadata']['resourceVersion']}"] = sent
    thread.join(30)
    latencies = [max(0.0, seen[k] - t) for k, t in done.items() if k in seen]
    if len(latencies) != len(done):
        raise SystemExit(f"the watcher saw {len(latencies)} of {len(done)} events")
    return _percentile(latencies, 0.5), _percentile(latencies, 0.99)


def throughput(url: str, namespace: str) -> tuple[float, float]:
    """Creates per second for 1,000 ConfigMaps, and GETs per second for comparison."""
    base = f"{url}/api/v1/namespaces/{namespace}/configmaps"
    started = time.perf_counter()
    for index in range(CREATES):
        meta = {"name": f"cm-{index}", "labels": {"bench": "create"}}
        _call(base, "POST", {"metadata": meta, "data": {"i": str(index)}})
    creates = CREATES / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(CREATES):
        _call(f"{url}/version")
    gets = CREATES / (time.perf_counter() - started)
    listed = _call(f"{base}?labelSelector=bench%3Dcreate")["items"]
    if len(listed) != CREATES:
        raise SystemExit(f"expected {CREATES} ConfigMaps, found {len(listed)}")
    return creates, gets


def main() -> None:
    """Run the measurements and print one summary line at the end."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 creates, 40 watch events")
    parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        started = time.perf_counter()
        with running_sandbox(Path(tmp)) as sandbox:
            startup = time.perf_counter() - started
            TLS.append(sandbox.ssl)
            for ns in ("bench-latency", "bench-create"):
                _call(f"{sandbox.url}/api/v1/namespaces", "POST", {"metadata": {"name": ns}})
            p50, p99 = watch_latency(sandbox.url, "bench-latency")
            creates, gets = throughput(sandbox.url, "bench-create")
    print(f"start-up to first answer: {startup:.2f} s (budget 2 s)")
    print(
        f"watch event latency: p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms "
        f"over {LATENCY_SAMPLES} events"
    )
    print(
        f"create throughput: {creates:.0f} ConfigMaps/s for {CREATES}; plain GET {gets:.0f}/s; "
        f"create/GET ratio {creates / gets:.2f}"
    )
    print(
        f"SUMMARY sandbox: start {startup:.2f}s, watch p50 {p50 * 1000:.1f}ms "
        f"p99 {p99 * 1000:.1f}ms, {creates:.0f} creates/s ({creates / gets:.2f}x GET rate)"
    )


if __name__ == "__main__":
    main()
