"""Fidelity: APIServices list what the server serves; CronJobs are served with their columns.

From kube-aggregator: every built-in group version is a local APIService (no `service`,
`kube-aggregator.kubernetes.io/automanaged: onstart`, the built-in priorities, Available
`Local`), a CRD's group version gets one while the CRD serves it (automanaged `"true"`,
priorities 1000 and 100), and `kubectl get apiservices` prints NAME SERVICE AVAILABLE AGE.
Runs on the sandbox and on k3s.
"""

from __future__ import annotations

import json
import uuid

import pytest
from api_support import GROUP, VERSION, ensure_crd
from fidelity_support import raw_text
from polling import wait_for

pytestmark = pytest.mark.fidelity
APISERVICES = "/apis/apiregistration.k8s.io/v1/apiservices"
AUTOMANAGED = "kube-aggregator.kubernetes.io/automanaged"


def _get(kube, name: str) -> dict | None:
    status, text, _ = raw_text(kube, "GET", f"{APISERVICES}/{name}")
    return json.loads(text) if status == 200 else None


def test_built_in_group_versions_are_local_apiservices(cluster, kube):
    apps = _get(kube, "v1.apps")
    assert apps is not None
    assert apps["spec"]["group"] == "apps"
    assert apps["spec"]["version"] == "v1"
    assert (apps["spec"]["groupPriorityMinimum"], apps["spec"]["versionPriority"]) == (17800, 15)
    assert apps["spec"].get("service") is None
    assert apps["metadata"]["labels"][AUTOMANAGED] == "onstart"
    (available,) = [c for c in apps["status"]["conditions"] if c["type"] == "Available"]
    assert (available["status"], available["reason"]) == ("True", "Local")
    core = _get(kube, "v1.")
    assert core is not None
    assert (core["spec"].get("group", ""), core["spec"]["versionPriority"]) == ("", 1)
    table = cluster.kubectl("get", "apiservices")
    assert table.returncode == 0, table.stderr
    rows = [line.split() for line in table.stdout.splitlines()]
    assert rows[0] == ["NAME", "SERVICE", "AVAILABLE", "AGE"]
    assert next(r for r in rows if r[0] == "v1.apps")[:3] == ["v1.apps", "Local", "True"]
    names = [r[0] for r in rows[1:]]
    assert names == sorted(names)
    assert {"v1.", "v1.apps", "v1.batch", "v1.networking.k8s.io"} <= set(names)


def test_a_crd_group_version_gets_its_apiservice(kube):
    ensure_crd(kube)
    found = wait_for(lambda: _get(kube, f"{VERSION}.{GROUP}"), 60, "the CRD's APIService")
    assert found["metadata"]["labels"][AUTOMANAGED] == "true"
    assert (found["spec"]["groupPriorityMinimum"], found["spec"]["versionPriority"]) == (1000, 100)


def test_an_apiservice_is_validated_and_stored(kube):
    body = {
        "apiVersion": "apiregistration.k8s.io/v1",
        "kind": "APIService",
        "metadata": {"name": "v1.fidelity.example.com"},
        "spec": {
            "group": "fidelity.example.com",
            "version": "v1",
            "groupPriorityMinimum": 1000,
            "versionPriority": 15,
        },
    }
    status, text, _ = raw_text(kube, "POST", f"{APISERVICES}?dryRun=All", body)
    assert status == 201, text
    created = json.loads(text)
    assert created["spec"] == body["spec"]
    assert created["status"] == {}
    assert _get(kube, "v1.fidelity.example.com") is None  # a dry run stores nothing
    wrong = {**body, "metadata": {"name": "v2.fidelity.example.com"}}
    status, text, _ = raw_text(kube, "POST", f"{APISERVICES}?dryRun=All", wrong)
    assert status == 422
    assert json.loads(text)["reason"] == "Invalid"


def test_cronjobs_are_served_with_their_columns(cluster, kube_namespace):
    done = cluster.kubectl(
        "create", "cronjob", "nightly", "--image=busybox:1.36", "--schedule=0 3 * * *",
        "-n", kube_namespace, "-o", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    created = json.loads(done.stdout)
    assert created["status"] == {}
    assert created["spec"]["concurrencyPolicy"] == "Allow"
    table = cluster.kubectl("get", "cronjobs", "-n", kube_namespace)
    header = table.stdout.splitlines()[0].split()
    assert header == [
        "NAME",
        "SCHEDULE",
        "TIMEZONE",
        "SUSPEND",
        "ACTIVE",
        "LAST",
        "SCHEDULE",
        "AGE",
    ]


def test_the_apiservice_of_a_crd_goes_with_it(kube):
    group = f"gone{uuid.uuid4().hex[:8]}.fidelity.example.com"
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"things.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "things", "singular": "thing", "kind": "Thing"},
            "versions": [
                {"name": "v1", "served": True, "storage": True,
                 "schema": {"openAPIV3Schema": {"type": "object"}}}
            ],
        },
    }  # fmt: skip
    crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    assert raw_text(kube, "POST", crds, crd)[0] == 201
    wait_for(lambda: _get(kube, f"v1.{group}"), 60, "the CRD's APIService")
    assert raw_text(kube, "DELETE", f"{crds}/things.{group}")[0] == 200
    wait_for(lambda: _get(kube, f"v1.{group}") is None, 60, "the APIService to go")


def test_an_apiservice_for_a_service_is_stored_and_reported_unavailable(
    cluster, kube, kube_namespace
):
    """Sandbox only: on a real cluster an unavailable APIService breaks discovery of its group
    for every client while it exists, so it is not made in a shared cluster."""
    if not cluster.is_sandbox:
        pytest.skip("an unavailable APIService would disturb the other tests of the cluster")
    name = f"v1.ext{uuid.uuid4().hex[:8]}.fidelity.example.com"
    service = {"namespace": kube_namespace, "name": "ext"}
    body = {
        "apiVersion": "apiregistration.k8s.io/v1",
        "kind": "APIService",
        "metadata": {"name": name},
        "spec": {"group": name[3:], "version": "v1", "service": service,
                 "insecureSkipTLSVerify": True, "groupPriorityMinimum": 1000,
                 "versionPriority": 15},
    }  # fmt: skip
    assert raw_text(kube, "POST", APISERVICES, body)[0] == 201

    def reason() -> str:
        found = _get(kube, name) or {}
        conditions = (found.get("status") or {}).get("conditions") or [{}]
        return f"{conditions[0].get('status')} ({conditions[0].get('reason')})"

    wait_for(lambda: reason() == "False (ServiceNotFound)", 30, "ServiceNotFound")
    assert _get(kube, name)["spec"]["service"]["port"] == 443
    row = cluster.kubectl("get", "apiservice", name, "--no-headers").stdout.split()
    assert row[:4] == [name, f"{kube_namespace}/ext", "False", "(ServiceNotFound)"]
    ports = {"spec": {"ports": [{"port": 443}]}}
    path = f"/api/v1/namespaces/{kube_namespace}/services"
    assert raw_text(kube, "POST", path, {"metadata": {"name": "ext"}, **ports})[0] == 201
    wait_for(lambda: reason() == "False (EndpointsNotFound)", 30, "EndpointsNotFound")
    assert raw_text(kube, "DELETE", f"{APISERVICES}/{name}")[0] == 200
    assert _get(kube, name) is None
