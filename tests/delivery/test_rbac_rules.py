"""The operator's RBAC in manifests/, read from the kustomize build, and the evaluator itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from delivery_rbac import Grants, Request, grants_for, parse_request

ROOT = Path(__file__).resolve().parents[2]
KUBECTL = Path(sys.executable).parent / "kubectl"
APP_NS, OPERATOR_NS, ACCOUNT = "myfoodbudget", "myfoodbudget-system", "gitops-operator"


@pytest.fixture(scope="module")
def grants() -> Grants:
    """What manifests/ grants the operator's ServiceAccount."""
    built = subprocess.run(
        [str(KUBECTL), "kustomize", str(ROOT / "manifests")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return grants_for(yaml.safe_load_all(built), OPERATOR_NS, ACCOUNT)


@pytest.mark.parametrize(
    ("method", "url", "expected"),
    [
        ("GET", "/api", None),
        ("GET", "/apis", None),
        ("GET", "/apis/apps", None),
        ("GET", "/apis/apps/v1", None),
        ("GET", "/version", None),
        ("GET", "/api/v1/namespaces/a/pods", Request("list", "", "pods", "a", None)),
        ("GET", "/api/v1/namespaces/a/pods?watch=true", Request("watch", "", "pods", "a", None)),
        ("GET", "/api/v1/namespaces/a/pods/p/log", Request("get", "", "pods/log", "a", "p")),
        ("GET", "/api/v1/namespaces/a", Request("get", "", "namespaces", None, "a")),
        ("GET", "/api/v1/namespaces", Request("list", "", "namespaces", None, None)),
        (
            "PATCH",
            "/apis/gitops.myfoodbudget.dev/v1alpha1/namespaces/a/releases/r/status",
            Request("patch", "gitops.myfoodbudget.dev", "releases/status", "a", "r"),
        ),
        ("POST", "/api/v1/namespaces/a/events", Request("create", "", "events", "a", None)),
        (
            "DELETE",
            "/apis/batch/v1/namespaces/a/jobs/j",
            Request("delete", "batch", "jobs", "a", "j"),
        ),
        (
            "GET",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions?watch=1",
            Request("watch", "apiextensions.k8s.io", "customresourcedefinitions", None, None),
        ),
    ],
)
def test_requests_map_to_rbac_attributes(method: str, url: str, expected: Request | None) -> None:
    """HTTP method and path become verb, group, resource, namespace and name."""
    assert parse_request(method, url) == expected


@pytest.mark.parametrize(
    "request_",
    [
        Request("watch", "gitops.myfoodbudget.dev", "releases", APP_NS, None),
        Request("patch", "gitops.myfoodbudget.dev", "releases/status", APP_NS, "myfoodbudget"),
        Request("patch", "gitops.myfoodbudget.dev", "gitsyncs/status", APP_NS, "myfoodbudget"),
        Request("create", "apps", "deployments", APP_NS, None),
        Request("create", "batch", "jobs", APP_NS, None),
        Request("create", "", "pods", APP_NS, None),
        Request("delete", "", "pods", APP_NS, "myfoodbudget-preflight-3-1a2b3"),
        Request("get", "", "pods/log", APP_NS, "myfoodbudget-preflight-3-1a2b3"),
        Request("get", "", "pods/proxy", APP_NS, "myfoodbudget-7d9f-x2k4q:8000"),
        Request("create", "", "events", APP_NS, None),
        Request("patch", "", "events", APP_NS, "myfoodbudget.18a2b3c4d5e6f708"),
        Request("delete", "gitops.myfoodbudget.dev", "releases", APP_NS, "old"),
        Request("get", "", "secrets", APP_NS, "git-auth"),
        Request("get", "", "secrets", OPERATOR_NS, "gitops-notify"),
        Request("patch", "networking.k8s.io", "ingresses", APP_NS, "myfoodbudget"),
        Request("delete", "networking.k8s.io", "networkpolicies", APP_NS, "pruned"),
        Request("delete", "", "services", APP_NS, "pruned"),
        Request("list", "apiextensions.k8s.io", "customresourcedefinitions", None, None),
    ],
)
def test_the_operator_may_do_its_job(grants: Grants, request_: Request) -> None:
    """What the Release and GitSync controllers need is granted."""
    assert grants.allows(request_), str(request_)


@pytest.mark.parametrize(
    "request_",
    [
        Request("list", "", "secrets", APP_NS, None),
        Request("get", "", "secrets", APP_NS, "myfoodbudget-secrets"),
        Request("get", "", "secrets", OPERATOR_NS, "other"),
        Request("delete", "", "persistentvolumeclaims", APP_NS, "myfoodbudget-data"),
        Request("delete", "", "namespaces", None, APP_NS),
        Request("create", "apps", "deployments", "default", None),
        Request("list", "", "pods", None, None),
        Request("create", "rbac.authorization.k8s.io", "roles", APP_NS, None),
        Request("delete", "", "pods", "default", "p"),
        Request("create", "", "pods/exec", APP_NS, "p"),
        Request("create", "", "pods/proxy", APP_NS, "p:8000"),
        Request("get", "", "pods/log", OPERATOR_NS, "p"),
        Request("delete", "apps", "deployments", APP_NS, "myfoodbudget"),
        Request("update", "gitops.myfoodbudget.dev", "releases/status", APP_NS, "myfoodbudget"),
        Request("update", "apiextensions.k8s.io", "customresourcedefinitions", None, "x"),
    ],
)
def test_nothing_more_is_granted(grants: Grants, request_: Request) -> None:
    """Least privilege: app Secrets, PVC deletion, other namespaces, exec, writes through the
    pod proxy and RBAC stay out of reach."""
    assert not grants.allows(request_), str(request_)
