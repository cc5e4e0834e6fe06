"""The operator runs under the RBAC of manifests/, enforced: its own ServiceAccount's token.

The operator (`python -m gitops`, watching the app namespace as in manifests/deployment.yaml)
is started with a kubeconfig that holds only a token of the `gitops-operator` ServiceAccount
(TokenRequest, `kubectl create token`), so the API server authorizes every call it makes
against the Role and ClusterRole manifests/ binds to it, while a GitSync applies the dev
overlay from a real git remote and the Release it applies rolls out twice. The same token
is refused (403, Kubernetes' Status body) what the Role does not grant.
"""

from __future__ import annotations

import base64
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
import yaml
from delivery_helpers import ROOT, apply_args
from support.git import GitRemote

APP_NS, OPERATOR_NS, ACCOUNT = "myfoodbudget", "myfoodbudget-system", "gitops-operator"
OPERATOR_IMAGE = "ghcr.io/owner/myfoodbudget-operator:dev"
NEXT_IMAGE = "ghcr.io/owner/myfoodbudget:dev2"
SYNC_ANNOTATION = "gitops.myfoodbudget.dev/sync-requested"
USER = f"system:serviceaccount:{OPERATOR_NS}:{ACCOUNT}"

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def account_kubeconfig(cluster: Any, target: Path) -> Path:
    """A kubeconfig with the cluster's server and CA and only a token of the operator's
    ServiceAccount (no client certificate)."""
    token = cluster.kubectl("-n", OPERATOR_NS, "create", "token", ACCOUNT, "--duration=2h")
    assert token.returncode == 0, token.stderr
    admin = yaml.safe_load(cluster.kubeconfig.read_text())
    server = admin["clusters"][0]["cluster"]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "cluster", "cluster": server}],
        "users": [{"name": ACCOUNT, "user": {"token": token.stdout.strip()}}],
        "contexts": [{"name": ACCOUNT, "context": {"cluster": "cluster", "user": ACCOUNT}}],
        "current-context": ACCOUNT,
    }
    target.write_text(yaml.safe_dump(config))
    return target


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
def account(installed: Any, tmp_path: Path) -> Path:
    """The operator ServiceAccount's kubeconfig."""
    if not installed.is_sandbox:
        pytest.skip("on a real cluster the operator runs as the Deployment of manifests/")
    return account_kubeconfig(installed, tmp_path / "operator.kubeconfig")


@pytest.fixture
def operator(
    installed: Any,  # the install comes first
    account: Path,
    tmp_path: Path,
) -> Iterator[Path]:
    """`python -m gitops` for the app namespace, as the operator's ServiceAccount; its log."""
    if installed.runtime == "docker":
        pytest.skip("the operator of manifests/ runs in the cluster (test_install.py, tests/e2e)")
    log = tmp_path / "operator.log"
    env = {
        **os.environ,
        "KUBECONFIG": str(account),
        "OPERATOR_IMAGE": OPERATOR_IMAGE,
        "WATCH_NAMESPACE": APP_NS,
        "OPERATOR_NAMESPACE": OPERATOR_NS,
        "METRICS_PORT": "0",
        "WORK_DIR": str(tmp_path / "work"),
        "HOME": str(tmp_path),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        **installed.operator_env(),
    }
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "gitops"], env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        yield log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_operator_syncs_and_releases_under_its_own_service_account(
    installed: Any, operator: Path, tmp_path: Path
) -> None:
    """Sync and two releases, every API call authorized by the operator's Role (enforced)."""
    log = operator
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
    poll("the second release: preflight, snapshot, bake", ready(NEXT_IMAGE), 120, log)
    # Nothing the operator asked for was refused: its Role covers everything it does.
    text = log.read_text()
    assert "forbidden" not in text.lower(), text[-4000:]


def _as_operator(account: Path, *args: str) -> subprocess.CompletedProcess[str]:
    from kubecluster import KUBECTL

    return subprocess.run(
        [str(KUBECTL), "--kubeconfig", str(account), *args],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip


def _raw(account: Path, method: str, path: str) -> tuple[int, dict[str, Any]]:
    """One request as the operator (its token and the cluster's CA): (code, Status body)."""
    import ssl
    import urllib.error
    import urllib.request

    config = yaml.safe_load(account.read_text())
    cluster, token = config["clusters"][0]["cluster"], config["users"][0]["user"]["token"]
    ca = base64.b64decode(cluster["certificate-authority-data"]).decode()
    request = urllib.request.Request(
        cluster["server"] + path, method=method, headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(
            request, context=ssl.create_default_context(cadata=ca), timeout=10
        ) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def test_the_operator_account_is_refused_what_its_role_does_not_grant(account: Path) -> None:
    """403, with the body Kubernetes gives, for a Secret in another namespace and for
    deleting a Namespace; the same answers from `kubectl auth can-i`."""
    code, body = _raw(account, "GET", "/api/v1/namespaces/kube-system/secrets/anything")
    assert code == 403
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": f'secrets "anything" is forbidden: User "{USER}" cannot get resource '
        '"secrets" in API group "" in the namespace "kube-system"',
        "reason": "Forbidden",
        "details": {"name": "anything", "kind": "secrets"},
        "code": 403,
    }
    code, body = _raw(account, "DELETE", f"/api/v1/namespaces/{APP_NS}")
    assert (code, body["reason"]) == (403, "Forbidden")
    assert body["message"] == (
        f'namespaces "{APP_NS}" is forbidden: User "{USER}" cannot delete resource "namespaces" '
        f'in API group "" in the namespace "{APP_NS}"'
    )
    deleted = _as_operator(account, "delete", "namespace", APP_NS, "--wait=false")
    assert deleted.returncode == 1
    assert "Error from server (Forbidden)" in deleted.stderr
    # its Role does let it read the git credentials by name, in the app namespace only
    assert (
        _as_operator(
            account, "auth", "can-i", "get", "secrets/git-auth", "-n", APP_NS
        ).stdout.strip()
        == "yes"
    )
    for args in (("get", "secrets", "-n", "kube-system"), ("delete", "namespaces"),
                 ("list", "secrets", "-n", APP_NS)):  # fmt: skip
        answer = _as_operator(account, "auth", "can-i", *args)
        assert answer.stdout.strip() == "no", (args, answer.stdout, answer.stderr)
