"""The operator, run with the API calls it makes recorded, stays within the RBAC of manifests/.

The sandbox does not enforce RBAC, so the operator (`python -m gitops`, watching the app
namespace as in manifests/deployment.yaml) talks to it through a recording proxy while a
GitSync applies the dev overlay from a real git remote and the Release it applies starts a
rollout. Every recorded request must be allowed by the rules manifests/ binds to the
operator's ServiceAccount.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from delivery_helpers import ROOT, apply_args, built
from delivery_rbac import grants_for, parse_request
from delivery_recorder import RecordingProxy
from support.git import GitRemote

APP_NS, OPERATOR_NS, ACCOUNT = "myfoodbudget", "myfoodbudget-system", "gitops-operator"
OPERATOR_IMAGE = "ghcr.io/owner/myfoodbudget-operator:dev"
NEXT_IMAGE = "ghcr.io/owner/myfoodbudget:dev2"
SYNC_ANNOTATION = "gitops.myfoodbudget.dev/sync-requested"

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def kustomize_files(url: str) -> dict[str, str]:
    """The repository's kustomize/ tree, with the dev GitSync pointing at url."""
    files = {
        str(path.relative_to(ROOT)): path.read_text()
        for path in (ROOT / "kustomize").rglob("*.yaml")
    }
    gitsync = "kustomize/overlays/dev/gitsync.yaml"
    files[gitsync] = files[gitsync].replace("file:///tmp/myfoodbudget.git", url)
    return files


def poll(what: str, check: Callable[[], Any], seconds: float, log: Path) -> Any:
    """Call check until it returns something truthy, or fail with the operator's log."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}; operator log:\n{log.read_text()[-4000:]}")


def get_json(cluster: Any, *args: str) -> dict[str, Any]:
    """kubectl get ... -o json, or {} when absent."""
    result = cluster.kubectl("-n", APP_NS, "get", *args, "-o", "json")
    return json.loads(result.stdout) if result.returncode == 0 else {}


@pytest.fixture
def operator(installed: Any, tmp_path: Path) -> Iterator[tuple[RecordingProxy, Path]]:
    """`python -m gitops` for the app namespace, its API calls going through a recording proxy."""
    if not installed.is_sandbox:
        pytest.skip("a real cluster enforces RBAC on the operator that manifests/ installed")
    upstream = json.loads(installed.kubectl("config", "view", "--minify", "-o", "json").stdout)
    log = tmp_path / "operator.log"
    with RecordingProxy(upstream["clusters"][0]["cluster"]["server"]) as proxy:
        env = {
            **os.environ,
            "KUBECONFIG": str(proxy.kubeconfig(installed.kubeconfig, tmp_path / "kubeconfig")),
            "OPERATOR_IMAGE": OPERATOR_IMAGE,
            "WATCH_NAMESPACE": APP_NS,
            "OPERATOR_NAMESPACE": OPERATOR_NS,
            "METRICS_PORT": "0",
            "WORK_DIR": str(tmp_path / "work"),
            "HOME": str(tmp_path),
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        }
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "gitops"], env=env, stdout=sink, stderr=subprocess.STDOUT
            )
        try:
            yield proxy, log
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_every_call_of_the_operator_is_allowed_by_its_role(
    installed: Any, operator: tuple[RecordingProxy, Path], tmp_path: Path
) -> None:
    """Sync and release through the proxy; nothing recorded falls outside manifests/ RBAC."""
    proxy, log = operator
    remote = GitRemote(tmp_path / "git")
    commit = remote.commit(kustomize_files(remote.url), "the repository's kustomize tree")
    applied = installed.kubectl(*apply_args(installed, remote.work / "kustomize/overlays/dev"))
    assert applied.returncode == 0, applied.stderr

    def synced(want: str) -> Callable[[], bool]:
        def check() -> bool:
            status = get_json(installed, "gitsync", "myfoodbudget").get("status") or {}
            return status.get("lastAppliedCommit") == want

        return check

    def ready(image: str) -> Callable[[], bool]:
        def check() -> bool:
            status = get_json(installed, "release", "myfoodbudget").get("status") or {}
            return status.get("phase") == "Ready" and status.get("image") == image

        return check

    poll("the GitSync to apply the first commit", synced(commit), 90, log)
    poll("the first release", ready("ghcr.io/owner/myfoodbudget:dev"), 120, log)
    # What CD's pull request does, merged: a commit that bumps the image; then "sync now".
    bumped = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bump_image.py"),
         str(remote.work / "kustomize/overlays/dev"), f"myfoodbudget={NEXT_IMAGE}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert bumped.returncode == 0, bumped.stderr
    second = remote.commit({}, "Deploy dev2")
    installed.kubectl("-n", APP_NS, "annotate", "gitsync", "myfoodbudget",
                      f"{SYNC_ANNOTATION}={second}", "--overwrite")  # fmt: skip
    poll("the GitSync to apply the bump", synced(second), 90, log)
    poll("the second release, snapshot first", ready(NEXT_IMAGE), 120, log)

    grants = grants_for(built("manifests"), OPERATOR_NS, ACCOUNT)
    requests = [r for r in (parse_request(m, u) for m, u in list(proxy.calls)) if r is not None]
    denied = sorted({str(r) for r in requests if not grants.allows(r)})
    assert not denied, "calls outside the operator's RBAC:\n" + "\n".join(denied)
    seen = {f"{r.verb} {r.resource}" for r in requests}
    for needed in ("watch releases", "watch gitsyncs", "patch gitsyncs/status",
                   "create deployments", "patch deployments", "patch services",
                   "create events", "create jobs", "patch releases/status"):  # fmt: skip
        assert needed in seen, f"{needed!r} never happened: {sorted(seen)}"
