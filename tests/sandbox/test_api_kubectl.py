"""Contract: real kubectl 1.37 against the cluster (printer columns, describe, wait, apply)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from api_support import GROUP, PLURAL, VERSION, WIDGET_CRD, ensure_crd, widget
from kubernetes import client

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _ok(cluster, *args: str, stdin: str | None = None) -> str:
    done = cluster.kubectl(*args, input=stdin)
    assert done.returncode == 0, f"kubectl {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def _rows(text: str) -> list[list[str]]:
    """Split kubectl's table output at the header's column starts (cells may be empty)."""
    lines = text.rstrip().splitlines()
    starts = [m.start() for m in re.finditer(r"(?:^|(?<=\s\s))\S", lines[0])]
    bounds = [*starts[1:], None]
    return [[line[a:b].strip() for a, b in zip(starts, bounds, strict=True)] for line in lines]


@pytest.fixture(scope="module")
def widgets(kube):
    """The Widget CRD registered."""
    ensure_crd(kube)


def test_apply_crd_and_wait_established(cluster, tmp_path):
    crd = {**WIDGET_CRD, "metadata": {"name": f"gadgets.{GROUP}"}}
    crd["spec"] = {**crd["spec"], "names": {"plural": "gadgets", "kind": "Gadget"}}
    path = tmp_path / "crd.json"
    path.write_text(json.dumps(crd))
    assert "created" in _ok(cluster, "apply", "-f", str(path))
    out = _ok(
        cluster, "wait", "--for=condition=Established", f"crd/gadgets.{GROUP}", "--timeout=30s"
    )
    assert "condition met" in out
    assert "unchanged" in _ok(cluster, "apply", "-f", str(path))
    _ok(cluster, "delete", "-f", str(path), "--wait=true", "--timeout=30s")


@pytest.mark.usefixtures("widgets")
def test_get_custom_resources_with_printer_columns(cluster, kube, kube_namespace):
    custom = client.CustomObjectsApi(kube)
    custom.create_namespaced_custom_object(
        GROUP, VERSION, kube_namespace, PLURAL, widget("w1", size=3, color="blue")
    )
    rows = _rows(_ok(cluster, "get", "widgets", "-n", kube_namespace))
    assert rows[0] == ["NAME", "SIZE", "READY", "AGE"]
    assert rows[1][:2] == ["w1", "3"]
    assert re.fullmatch(r"\d+s", rows[1][-1])
    wide = _rows(_ok(cluster, "get", "wdg", "-n", kube_namespace, "-o", "wide"))
    assert wide[0] == ["NAME", "SIZE", "READY", "COLOR", "AGE"]
    assert wide[1][3] == "blue"


@pytest.mark.usefixtures("widgets")
def test_wait_for_condition_on_a_custom_resource(cluster, kube, kube_namespace):
    custom = client.CustomObjectsApi(kube)
    custom.create_namespaced_custom_object(GROUP, VERSION, kube_namespace, PLURAL, widget("w2"))
    ready = {
        "status": {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "Done",
                    "message": "",
                    "lastTransitionTime": "2026-01-01T00:00:00Z",
                }
            ]
        }
    }
    custom.patch_namespaced_custom_object_status(
        GROUP, VERSION, kube_namespace, PLURAL, "w2", ready
    )
    out = _ok(
        cluster, "wait", "--for=condition=Ready", "widget/w2", "-n", kube_namespace, "--timeout=20s"
    )
    assert "condition met" in out
    rows = _rows(_ok(cluster, "get", "widget", "w2", "-n", kube_namespace))
    assert rows[1][2] == "True"


@pytest.mark.usefixtures("widgets")
def test_describe_lists_the_objects_events(cluster, kube, kube_namespace):
    custom = client.CustomObjectsApi(kube)
    obj: Any = custom.create_namespaced_custom_object(
        GROUP, VERSION, kube_namespace, PLURAL, widget("w3")
    )
    ref = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Widget",
        "name": "w3",
        "namespace": kube_namespace,
        "uid": obj["metadata"]["uid"],
    }
    client.CoreV1Api(kube).create_namespaced_event(
        kube_namespace,
        {
            "metadata": {"generateName": "w3-"},
            "involvedObject": ref,
            "type": "Warning",
            "reason": "SnapshotFailed",
            "message": "disk full",
            "source": {"component": "contract"},
            "reportingComponent": "contract",
            "firstTimestamp": "2026-01-01T00:00:00+00:00",
            "lastTimestamp": "2026-01-01T00:00:00Z",
        },
    )
    out = _ok(cluster, "describe", "widget", "w3", "-n", kube_namespace)
    assert re.search(r"Warning\s+SnapshotFailed\s+.*disk full", out)
    events = _rows(_ok(cluster, "get", "events", "-n", kube_namespace))
    assert events[0] == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert events[1][1:] == ["Warning", "SnapshotFailed", "widget/w3", "disk full"]


def test_builtin_tables(cluster, kube_namespace):
    manifest = """
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {a: "1", b: "2"}
---
apiVersion: v1
kind: Secret
metadata: {name: token}
stringData: {t: "x"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: idle}
spec:
  replicas: 0
  selector: {matchLabels: {app: idle}}
  template:
    metadata: {labels: {app: idle}}
    spec: {containers: [{name: app, image: "idle:1"}]}
"""
    _ok(cluster, "apply", "-n", kube_namespace, "-f", "-", stdin=manifest)
    cms = _rows(_ok(cluster, "get", "configmap", "settings", "-n", kube_namespace))
    assert cms[0] == ["NAME", "DATA", "AGE"]
    assert cms[1][:2] == ["settings", "2"]
    secrets = _rows(_ok(cluster, "get", "secret", "token", "-n", kube_namespace))
    assert secrets[0] == ["NAME", "TYPE", "DATA", "AGE"]
    assert secrets[1][:3] == ["token", "Opaque", "1"]
    deploys = _rows(_ok(cluster, "get", "deploy", "idle", "-n", kube_namespace))
    assert deploys[0] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert deploys[1][:2] == ["idle", "0/0"]
    ns = _rows(_ok(cluster, "get", "namespace", kube_namespace))
    assert ns[0] == ["NAME", "STATUS", "AGE"]
    assert ns[1][:2] == [kube_namespace, "Active"]
    out = _ok(
        cluster, "rollout", "status", "deployment/idle", "-n", kube_namespace, "--timeout=30s"
    )
    assert "successfully rolled out" in out


def test_server_side_apply_and_delete(cluster, kube_namespace):
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {k: v}\n"
    out = _ok(
        cluster,
        "apply",
        "--server-side",
        "--field-manager=contract",
        "-n",
        kube_namespace,
        "-f",
        "-",
        stdin=manifest,
    )
    assert "serverside-applied" in out
    got = json.loads(_ok(cluster, "get", "cm", "ssa", "-n", kube_namespace, "-o", "json"))
    assert got["data"] == {"k": "v"}
    _ok(cluster, "delete", "configmap", "ssa", "-n", kube_namespace)
    missing = cluster.kubectl("get", "cm", "ssa", "-n", kube_namespace)
    assert missing.returncode != 0
    assert "NotFound" in missing.stderr


@pytest.mark.usefixtures("widgets")
def test_strict_validation_rejects_unknown_fields(cluster, kube_namespace):
    manifest = json.dumps(widget("strict", bogus=1))
    done = cluster.kubectl("create", "-n", kube_namespace, "-f", "-", input=manifest)
    assert done.returncode != 0
    assert 'unknown field "spec.bogus"' in done.stderr


def test_generator_commands_that_send_protobuf(cluster, kube):
    ns = f"gen-{uuid.uuid4().hex[:8]}"
    _ok(cluster, "create", "namespace", ns)
    try:
        _ok(cluster, "create", "configmap", "c", "-n", ns, "--from-literal=a=b")
        _ok(cluster, "create", "secret", "generic", "s", "-n", ns, "--from-literal=pw=x")
        web = ["deployment", "web", "-n", ns, "--image=web:1", "--port=80", "--replicas=0"]
        _ok(cluster, "create", *web)
        core, apps = client.CoreV1Api(kube), client.AppsV1Api(kube)
        assert core.read_namespaced_config_map("c", ns).data == {"a": "b"}
        assert core.read_namespaced_secret("s", ns).data == {"pw": "eA=="}
        deployment = apps.read_namespaced_deployment("web", ns)
        assert deployment.spec.replicas == 0
        container = deployment.spec.template.spec.containers[0]
        assert (container.image, container.ports[0].container_port) == ("web:1", 80)
    finally:
        _ok(cluster, "delete", "namespace", ns, "--wait=false")


def test_strict_validation_of_built_in_kinds(cluster, kube_namespace):
    manifest = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: typo}
spec:
  replica: 2
  selector: {matchLabels: {app: typo}}
  template:
    metadata: {labels: {app: typo}}
    spec: {containers: [{name: app, image: "typo:1", imagePullPolicy: Never, imagee: x}]}
"""
    done = cluster.kubectl("apply", "-n", kube_namespace, "-f", "-", input=manifest)
    assert done.returncode != 0
    assert 'unknown field "spec.replica"' in done.stderr
    assert 'unknown field "spec.template.spec.containers[0].imagee"' in done.stderr
    lenient = cluster.kubectl(
        "apply", "--validate=false", "-n", kube_namespace, "-f", "-", input=manifest
    )
    assert lenient.returncode == 0, lenient.stderr


def test_auth_can_i_follows_the_stored_rbac_rules(cluster):
    ns = f"rbac-{uuid.uuid4().hex[:8]}"
    _ok(cluster, "create", "namespace", ns)
    try:
        _ok(cluster, "create", "serviceaccount", "bot", "-n", ns)
        _ok(
            cluster,
            "create",
            "role",
            "reader",
            "-n",
            ns,
            "--verb=get,list",
            "--resource=configmaps,deployments.apps",
        )
        _ok(
            cluster,
            "create",
            "rolebinding",
            "bot-reader",
            "-n",
            ns,
            "--role=reader",
            f"--serviceaccount={ns}:bot",
        )
        bot = f"--as=system:serviceaccount:{ns}:bot"

        def can(*args: str) -> str:
            return cluster.kubectl("auth", "can-i", *args, bot).stdout.strip()

        assert can("list", "configmaps", "-n", ns) == "yes"
        assert can("get", "deployments.apps", "-n", ns) == "yes"
        assert can("delete", "configmaps", "-n", ns) == "no"
        assert can("list", "configmaps", "-n", "default") == "no"
    finally:
        _ok(cluster, "delete", "namespace", ns, "--wait=false")


def test_explain_a_custom_resource_field_from_its_crd_schema(cluster):
    """kubectl explain reads the CRD's schema from /openapi/v3 (descriptions included)."""
    crd = ROOT / "manifests" / "crds" / "releases.yaml"
    _ok(cluster, "apply", "-f", str(crd))
    name = "crd/releases.gitops.myfoodbudget.dev"
    _ok(cluster, "wait", "--for=condition=Established", name, "--timeout=30s")
    out = _ok(cluster, "explain", "release.spec.snapshot")
    assert "GROUP:      gitops.myfoodbudget.dev" in out
    assert "KIND:       Release" in out
    assert "VERSION:    v1alpha1" in out
    assert "FIELD: snapshot <Object>" in out
    described = yaml.safe_load(crd.read_text())["spec"]["versions"][0]["schema"]
    spec = described["openAPIV3Schema"]["properties"]["spec"]["properties"]["snapshot"]
    first_words = " ".join(spec["description"].split()[:4])
    assert first_words in " ".join(out.split())
    for field in spec["properties"]:
        assert re.search(rf"^\s+{field}\s+<", out, re.M), f"{field} missing:\n{out}"
    meta = _ok(cluster, "explain", "release.metadata.name")
    assert "FIELD: name <string>" in meta


def test_nodes_report_a_ready_condition_and_an_internal_ip(cluster):
    """NodePort Services answer on a Node's InternalIP, which the e2e tests read from the API."""
    nodes = json.loads(cluster.kubectl("get", "nodes", "-o", "json", check=True).stdout)["items"]
    assert nodes
    for node in nodes:
        status = node["status"]
        assert any(a["type"] == "InternalIP" for a in status["addresses"])
        ready = next(c for c in status["conditions"] if c["type"] == "Ready")
        assert ready["status"] == "True"
    table = cluster.kubectl("get", "nodes", check=True).stdout.splitlines()
    assert table[0].split()[:2] == ["NAME", "STATUS"]
    assert all(row.split()[1] == "Ready" for row in table[1:])
