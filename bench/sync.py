"""GitSync: commit-to-applied latency beside the interval, and the cost of the homelab overlay.

Starts a sandbox and the operator, pushes 20 commits to a local repository one after another, each
at a random moment within the interval, and times each from `git push` to the changed ConfigMap in
the cluster (p50/p95 beside the interval; a pull-based sync averages half an interval).
Then times building and applying kustomize/overlays/homelab (a fixture overlay when absent)
with one sync attempt: fetch + build, then dry-run + server-side apply. `--quick` (make test
runs it) pushes 4 commits.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the test support: sandbox, git remotes, the operator
sys.path.insert(0, str(ROOT))

from gitops.api import GROUP, VERSION  # noqa: E402
from gitops.kube import Kube  # noqa: E402
from gitops.sync.attempt import SyncConfig, Target  # noqa: E402
from gitops.sync.build import build_overlay, find_kubectl  # noqa: E402
from gitops.sync.model import SyncSpec  # noqa: E402
from gitops.sync.plan import Observed, SyncStatus  # noqa: E402
from gitops.sync.reconcile import run_attempt  # noqa: E402
from kubernetes import client, config  # noqa: E402
from support.git import GitRemote  # noqa: E402
from support.operator_process import running_operator  # noqa: E402
from support.sandbox import running_sandbox  # noqa: E402

COMMITS = 4 if "--quick" in sys.argv[1:] else 20
INTERVAL = 2.0
HOMELAB = "kustomize/overlays/homelab"
FIXTURE = {
    "app/kustomization.yaml": "resources:\n  - settings.yaml\n",
    "app/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
}


def configmap(value: int) -> dict[str, str]:
    """The one-ConfigMap overlay with a given value."""
    text = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  n: '{value}'\n"
    return {"app/kustomization.yaml": "resources:\n  - settings.yaml\n", "app/settings.yaml": text}


def wait_value(core: client.CoreV1Api, namespace: str, value: str, timeout: float) -> None:
    """Poll the ConfigMap until it holds value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = core.read_namespaced_config_map("settings", namespace)
            if (found.data or {}).get("n") == value:
                return
        except client.ApiException as error:
            if error.status != 404:
                raise
        time.sleep(0.02)
    raise SystemExit(f"value {value} was not applied within {timeout}s")


def latencies(kubeconfig: Path, work: Path) -> list[float]:
    """Seconds from push to applied for each of COMMITS commits."""
    api = config.new_client_from_config(config_file=str(kubeconfig))
    core, custom = client.CoreV1Api(api), client.CustomObjectsApi(api)
    namespace = f"bench-{uuid.uuid4().hex[:6]}"
    core.create_namespace({"metadata": {"name": namespace}})
    remote = GitRemote(work / "git")
    remote.commit(configmap(0))
    body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "GitSync", "metadata": {"name": "bench"},
            "spec": {"url": remote.url, "path": "app", "interval": f"{INTERVAL:g}s"}}  # fmt: skip
    custom.create_namespaced_custom_object(GROUP, VERSION, namespace, "gitsyncs", body)
    try:
        wait_value(core, namespace, "0", 60)
    except SystemExit:
        sync: Any = custom.get_namespaced_custom_object(  # the client returns a plain dict
            GROUP, VERSION, namespace, "gitsyncs", "bench"
        )
        for condition in (sync.get("status") or {}).get("conditions") or []:
            print(f"GitSync {condition['type']}={condition['status']}: {condition.get('message')}")
        raise
    found = []
    jitter = random.Random(5)
    for number in range(1, COMMITS + 1):
        time.sleep(jitter.uniform(0, INTERVAL))
        remote.commit(configmap(number))
        pushed = time.monotonic()
        wait_value(core, namespace, str(number), INTERVAL * 5 + 30)
        found.append(time.monotonic() - pushed)
    return found


def homelab(kubeconfig: Path, work: Path) -> tuple[str, float, float, str]:
    """(overlay, build s, fetch+build+dry-run+apply s, outcome) for the homelab overlay."""
    remote = GitRemote(work / "homelab")
    if (ROOT / HOMELAB).is_dir():
        shutil.copytree(ROOT / "kustomize", remote.work / "kustomize")
        remote.commit({}, "homelab")
        path = HOMELAB
    else:
        remote.commit(FIXTURE, "fixture")
        path = "app"
    kubectl = find_kubectl()
    started = time.monotonic()
    build_overlay(kubectl, remote.work, path, timeout=120)
    build = time.monotonic() - started
    kube = Kube.from_environment(str(kubeconfig))
    # The overlay's own namespace: a GitSync applies only into its target namespace.
    asyncio.run(kube.create("/api/v1/namespaces", {"metadata": {"name": "myfoodbudget"}}))
    spec = SyncSpec.from_spec({"url": remote.url, "path": path})
    target = Target("myfoodbudget", "homelab", spec, [])
    sync = SyncConfig(kubectl=kubectl, work_dir=work / "sync")
    started = time.monotonic()
    attempt = asyncio.run(
        run_attempt(kube, sync, target, SyncStatus(observed_generation=1), Observed(0, 1))
    )
    total = time.monotonic() - started
    result = attempt.outcome
    if result is not None and not result.ok:
        raise SystemExit(f"the {path} sync failed: {result.message}")
    if result is None:
        return path, build, total, "UpToDate"
    reason = result.reason
    return path, build, total, reason if isinstance(reason, str) else reason.name


def main() -> None:
    """Run both measurements and print the summary line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 commits instead of 20")
    parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    with running_sandbox(work / "sandbox") as sandbox:
        with running_operator(sandbox.kubeconfig, work, {"SYNC_RETRY_SECONDS": "0.5"}):
            found = latencies(sandbox.kubeconfig, work)
        path, build, total, reason = homelab(sandbox.kubeconfig, work)
    shutil.rmtree(work, ignore_errors=True)
    p50 = statistics.median(found)
    p95 = statistics.quantiles(found, n=20, method="inclusive")[18]
    print(f"commit-to-applied over {COMMITS} commits: p50 {p50:.2f}s, p95 {p95:.2f}s, "
          f"max {max(found):.2f}s; interval {INTERVAL:g}s")  # fmt: skip
    print(f"{path}: build {build:.2f}s; fetch + build + dry-run + apply {total:.2f}s ({reason})")
    print(f"SUMMARY sync: p50 {p50:.2f}s = {p50 / INTERVAL:.2f}x interval, p95 {p95:.2f}s = "
          f"{p95 / INTERVAL:.2f}x interval ({INTERVAL:g}s); {path} build {build:.2f}s, "
          f"sync {total:.2f}s ({reason})")  # fmt: skip


if __name__ == "__main__":
    main()
