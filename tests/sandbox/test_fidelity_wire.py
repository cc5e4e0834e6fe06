"""Fidelity: answers are encoded as the Go API server writes them, byte for byte.

From apimachinery's errors.go and meta/v1 types.go: a `Status` has its keys in the Go struct's
order (kind, apiVersion, metadata, status, message, reason, details {name, group, kind, uid,
causes, retryAfterSeconds}, code); every JSON answer is compact, with `<`, `>` and `&`
escaped, map keys sorted, and one trailing newline; a path no handler owns answers 404
without details, a path inside a served group version that no route takes answers
`details: {}`. Runs on the sandbox and on k3s.
"""

from __future__ import annotations

import json

import pytest
from fidelity_support import go_json, raw_text, service_account_ready
from kubernetes import client

pytestmark = pytest.mark.fidelity


def _status(message: str, reason: str, code: int, details: str | None) -> str:
    shown = f',"details":{details}' if details is not None else ""
    return (
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
        f'"message":{json.dumps(message)},"reason":"{reason}"{shown},"code":{code}}}\n'
    )


def test_a_missing_object_answers_the_go_status(kube, kube_namespace):
    status, text, headers = raw_text(kube, "GET", f"/api/v1/namespaces/{kube_namespace}/pods/x")
    assert status == 404
    assert headers["content-type"] == "application/json"
    assert text == _status('pods "x" not found', "NotFound", 404, '{"name":"x","kind":"pods"}')


def test_a_taken_name_answers_already_exists_with_the_group(kube, kube_namespace):
    path = f"/apis/apps/v1/namespaces/{kube_namespace}/deployments"
    labels = {"app": "web"}
    body = {
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]},
            },
        },
    }
    assert raw_text(kube, "POST", path, body)[0] == 201
    status, text, _ = raw_text(kube, "POST", path, body)
    assert status == 409
    details = '{"name":"web","group":"apps","kind":"deployments"}'
    assert text == _status('deployments.apps "web" already exists', "AlreadyExists", 409, details)


def test_an_invalid_pod_answers_its_causes(cluster, kube, kube_namespace):
    service_account_ready(kube, kube_namespace)  # else admission refuses the pod first
    body = {"metadata": {"name": "x"}, "spec": {"containers": []}}
    status, text, _ = raw_text(kube, "POST", f"/api/v1/namespaces/{kube_namespace}/pods", body)
    assert status == 422
    details = (
        '{"name":"x","kind":"Pod","causes":[{"reason":"FieldValueRequired",'
        '"message":"Required value","field":"spec.containers"}]}'
    )
    message = 'Pod "x" is invalid: spec.containers: Required value'
    assert text == _status(message, "Invalid", 422, details)
    done = cluster.kubectl(
        "create",
        "-n",
        kube_namespace,
        "-f",
        "-",
        input=json.dumps({"apiVersion": "v1", "kind": "Pod", **body}),
    )
    assert done.returncode == 1
    assert done.stderr.strip() == f"The {message}"


def test_paths_nothing_serves_answer_404_as_the_server_does(kube):
    status, text, _ = raw_text(kube, "GET", "/no-such-path")
    assert status == 404
    message = "the server could not find the requested resource"
    assert text == _status(message, "NotFound", 404, None)
    status, text, _ = raw_text(kube, "GET", "/apis/no-such-group.example.com/v1/things")
    assert status == 404
    assert text == _status(message, "NotFound", 404, None)
    status, text, _ = raw_text(kube, "GET", "/api/v1/no-such-resources")
    assert status == 404
    assert text == _status(message, "NotFound", 404, "{}")


def test_answers_are_compact_html_safe_sorted_and_end_with_a_newline(kube, kube_namespace):
    body = {
        "metadata": {"name": "wire", "labels": {"z": "1", "a": "2"}},
        "data": {"second": "<b>&amp;</b>", "first": "é ☃"},
    }
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    status, created, _ = raw_text(kube, "POST", path, body)
    assert status == 201
    for text in (created, raw_text(kube, "GET", f"{path}/wire")[1]):
        assert text == go_json(json.loads(text))
        assert "\\u003cb\\u003e\\u0026amp;\\u003c/b\\u003e" in text
        assert '"first":"é ☃"' in text
        obj = json.loads(text)
        assert list(obj["data"]) == ["first", "second"]
        assert list(obj["metadata"]["labels"]) == ["a", "z"]
        assert list(obj)[:3] == ["kind", "apiVersion", "metadata"]
    for other in (path, "/api/v1", "/apis"):
        status, text, _ = raw_text(kube, "GET", other)
        assert status == 200
        assert text == go_json(json.loads(text)), other


def test_version_is_always_indented(kube):
    status, text, _ = raw_text(kube, "GET", "/version")  # responsewriters.WriteRawJSON
    assert status == 200
    info = json.loads(text)
    assert text == json.dumps(info, indent=2, ensure_ascii=False)
    assert list(info)[:6] == [
        "major",
        "minor",
        "emulationMajor",
        "emulationMinor",
        "minCompatibilityMajor",
        "minCompatibilityMinor",
    ]
    assert info["gitVersion"].startswith(f"v{info['major']}.{info['minor']}.")


def test_humans_get_indented_answers_without_the_newline(kube):
    status, text, _ = raw_text(kube, "GET", "/api/v1/namespaces/default", agent="curl/8.5.0")
    assert status == 200
    assert text.startswith('{\n  "kind": "Namespace",\n  "apiVersion": "v1",\n')
    assert not text.endswith("\n")
    status, text, _ = raw_text(
        kube, "GET", "/api/v1/namespaces/default?pretty=false", agent="curl/8"
    )
    assert text.endswith("}\n")
    assert "\n  " not in text


def test_delete_answers_a_success_status_in_go_order(kube, kube_namespace):
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    assert raw_text(kube, "POST", path, {"metadata": {"name": "gone"}})[0] == 201
    uid = client.CoreV1Api(kube).read_namespaced_config_map("gone", kube_namespace).metadata.uid
    status, text, _ = raw_text(kube, "DELETE", f"{path}/gone")
    assert status == 200
    assert text == (
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success",'
        f'"details":{{"name":"gone","kind":"configmaps","uid":"{uid}"}}}}\n'
    )
