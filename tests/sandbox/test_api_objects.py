"""Contract: metadata, generation, status subresource, validation and errors (kubernetes client)."""

from __future__ import annotations

import pytest
from api_support import GROUP, PLURAL, VERSION, ensure_crd, raw, widget
from kubernetes import client

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def custom(kube) -> client.CustomObjectsApi:
    """The Widget CRD registered; the custom objects API."""
    ensure_crd(kube)
    return client.CustomObjectsApi(kube)


def _create(custom, ns, body):
    return custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, body)


def _get(custom, ns, name):
    return custom.get_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, name)


def _error(call) -> dict:
    with pytest.raises(client.ApiException) as caught:
        call()
    import json

    body = json.loads(caught.value.body)
    assert body["kind"] == "Status"
    assert body["code"] == caught.value.status
    return body


def test_create_sets_system_metadata_and_drops_status(custom, kube_namespace):
    obj = _create(custom, kube_namespace, {**widget("a"), "status": {"x": 1}})
    md = obj["metadata"]
    assert md["generation"] == 1
    assert md["uid"]
    assert int(md["resourceVersion"]) > 0
    assert md["creationTimestamp"].endswith("Z")
    assert len(md["creationTimestamp"]) == len("2026-01-01T00:00:00Z")
    assert "status" not in obj


def test_spec_change_bumps_generation_status_write_does_not(custom, kube_namespace):
    _create(custom, kube_namespace, widget("g"))
    patched = custom.patch_namespaced_custom_object(
        GROUP, VERSION, kube_namespace, PLURAL, "g", {"metadata": {"labels": {"a": "b"}}}
    )
    assert patched["metadata"]["generation"] == 1
    patched = custom.patch_namespaced_custom_object(
        GROUP, VERSION, kube_namespace, PLURAL, "g", {"spec": {"size": 2}, "status": {"x": 1}}
    )
    assert patched["metadata"]["generation"] == 2
    assert "status" not in patched
    status = custom.patch_namespaced_custom_object_status(
        GROUP, VERSION, kube_namespace, PLURAL, "g", {"status": {"x": 2}, "spec": {"size": 9}}
    )
    assert status["metadata"]["generation"] == 2
    assert status["status"] == {"x": 2}
    assert status["spec"]["size"] == 2


def test_pruning_and_defaults(custom, kube_namespace):
    body = widget("p", unknown="dropped", extra={"kept": {"deep": 1}})
    obj = _create(custom, kube_namespace, body)
    assert "unknown" not in obj["spec"]
    assert obj["spec"]["extra"] == {"kept": {"deep": 1}}
    assert obj["spec"]["color"] == "red"


def test_schema_violations_answer_422_with_field_paths(custom, kube_namespace):
    bad = widget("bad", size=11, color="green", name="UPPER", tags=["a", "b", "c"], port=True)
    body = _error(lambda: _create(custom, kube_namespace, bad))
    assert body["code"] == 422
    assert body["reason"] == "Invalid"
    fields = {c["field"] for c in body["details"]["causes"]}
    assert {"spec.size", "spec.color", "spec.name", "spec.tags", "spec.port"} <= fields
    missing = _error(lambda: _create(custom, kube_namespace, {**widget("m"), "spec": {}}))
    assert [c["field"] for c in missing["details"]["causes"]] == ["spec.size"]
    typed = _error(lambda: _create(custom, kube_namespace, widget("t", size="big")))
    assert typed["details"]["causes"][0]["field"] == "spec.size"
    assert "must be of type integer" in typed["details"]["causes"][0]["message"]


def test_int_or_string_accepts_both(custom, kube_namespace):
    assert _create(custom, kube_namespace, widget("n", port=80))["spec"]["port"] == 80
    assert _create(custom, kube_namespace, widget("s", port="http"))["spec"]["port"] == "http"


def test_conflicts_409_vs_422_vs_415(custom, kube_namespace, kube):
    obj = _create(custom, kube_namespace, widget("c"))
    stale = obj["metadata"]["resourceVersion"]
    custom.patch_namespaced_custom_object(
        GROUP, VERSION, kube_namespace, PLURAL, "c", {"spec": {"size": 2}}
    )
    obj["spec"]["size"] = 3
    put = _error(
        lambda: custom.replace_namespaced_custom_object(
            GROUP, VERSION, kube_namespace, PLURAL, "c", obj
        )
    )
    assert (put["code"], put["reason"]) == (409, "Conflict")
    merge = _error(
        lambda: custom.patch_namespaced_custom_object(
            GROUP,
            VERSION,
            kube_namespace,
            PLURAL,
            "c",
            {"metadata": {"resourceVersion": stale}, "spec": {"size": 4}},
        )
    )
    assert (merge["code"], merge["reason"]) == (409, "Conflict")
    exists = _error(lambda: _create(custom, kube_namespace, widget("c")))
    assert (exists["code"], exists["reason"]) == (409, "AlreadyExists")
    path = f"/apis/{GROUP}/{VERSION}/namespaces/{kube_namespace}/{PLURAL}/c"
    test_op = [
        {"op": "test", "path": "/metadata/resourceVersion", "value": stale},
        {"op": "add", "path": "/metadata/finalizers", "value": ["x.example.com/f"]},
    ]
    status, body = raw(
        kube, "PATCH", path, body=test_op, headers={"Content-Type": "application/json-patch+json"}
    )
    assert (status, body["kind"]) == (422, "Status")
    status, body = raw(
        kube,
        "PATCH",
        path,
        body={"spec": {"size": 5}},
        headers={"Content-Type": "application/strategic-merge-patch+json"},
    )
    assert (status, body["kind"], body["reason"]) == (415, "Status", "UnsupportedMediaType")


def test_put_without_resource_version_is_unconditional(custom, kube_namespace):
    obj = _create(custom, kube_namespace, widget("u"))
    del obj["metadata"]["resourceVersion"]
    obj["spec"]["size"] = 5
    replaced = custom.replace_namespaced_custom_object(
        GROUP, VERSION, kube_namespace, PLURAL, "u", obj
    )
    assert replaced["spec"]["size"] == 5
    assert replaced["metadata"]["generation"] == 2


def test_not_found_is_a_status(custom, kube_namespace):
    body = _error(lambda: _get(custom, kube_namespace, "missing"))
    assert (body["code"], body["reason"]) == (404, "NotFound")
    assert body["details"]["name"] == "missing"


def test_finalizers_hold_deletion_and_bump_generation(custom, kube_namespace):
    body = widget("f")
    body["metadata"]["finalizers"] = ["contract.example.com/hold"]
    _create(custom, kube_namespace, body)
    custom.delete_namespaced_custom_object(GROUP, VERSION, kube_namespace, PLURAL, "f")
    held = _get(custom, kube_namespace, "f")
    assert held["metadata"]["deletionTimestamp"]
    assert held["metadata"]["deletionGracePeriodSeconds"] == 0
    assert held["metadata"]["generation"] == 2
    more = {"metadata": {"finalizers": ["contract.example.com/hold", "contract.example.com/new"]}}
    refused = _error(
        lambda: custom.patch_namespaced_custom_object(
            GROUP, VERSION, kube_namespace, PLURAL, "f", more
        )
    )
    assert refused["code"] == 422
    custom.patch_namespaced_custom_object(
        GROUP, VERSION, kube_namespace, PLURAL, "f", {"metadata": {"finalizers": None}}
    )
    gone = _error(lambda: _get(custom, kube_namespace, "f"))
    assert gone["code"] == 404


def test_dry_run_changes_nothing(custom, kube_namespace):
    created = custom.create_namespaced_custom_object(
        GROUP, VERSION, kube_namespace, PLURAL, widget("d"), dry_run="All"
    )
    assert created["spec"]["color"] == "red"
    assert _error(lambda: _get(custom, kube_namespace, "d"))["code"] == 404
    _create(custom, kube_namespace, widget("d"))
    custom.patch_namespaced_custom_object(
        GROUP, VERSION, kube_namespace, PLURAL, "d", {"spec": {"size": 7}}, dry_run="All"
    )
    custom.delete_namespaced_custom_object(
        GROUP, VERSION, kube_namespace, PLURAL, "d", dry_run="All"
    )
    assert _get(custom, kube_namespace, "d")["spec"]["size"] == 1


def test_generate_name(kube, kube_namespace):
    core = client.CoreV1Api(kube)
    made = core.create_namespaced_config_map(kube_namespace, {"metadata": {"generateName": "gen-"}})
    assert made.metadata.name.startswith("gen-")
    assert len(made.metadata.name) == len("gen-") + 5


def test_omitted_empty_values(kube, kube_namespace):
    client.CoreV1Api(kube).create_namespaced_config_map(kube_namespace, {"metadata": {"name": "o"}})
    status, body = raw(kube, "GET", f"/api/v1/namespaces/{kube_namespace}/configmaps/o")
    assert status == 200
    assert not {"labels", "annotations", "finalizers", "generation", "deletionTimestamp"} & set(
        body["metadata"]
    )
    assert "data" not in body


def test_wrong_namespace_in_body_is_a_bad_request(kube, kube_namespace):
    body = {"metadata": {"name": "x", "namespace": "elsewhere"}}
    status, answer = raw(kube, "POST", f"/api/v1/namespaces/{kube_namespace}/configmaps", body=body)
    assert (status, answer["reason"]) == (400, "BadRequest")


def test_invalid_name_answers_422(kube, kube_namespace):
    status, answer = raw(
        kube,
        "POST",
        f"/api/v1/namespaces/{kube_namespace}/configmaps",
        body={"metadata": {"name": "Not_Valid"}},
    )
    assert (status, answer["reason"]) == (422, "Invalid")
    assert answer["details"]["causes"][0]["field"] == "metadata.name"


def test_delete_answers(kube, kube_namespace, custom):
    core = client.CoreV1Api(kube)
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "del"}})
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps/del"
    status, body = raw(kube, "DELETE", path)
    assert (status, body["kind"], body["status"]) == (200, "Status", "Success")
    assert body["details"]["name"] == "del"
    _create(custom, kube_namespace, widget("del"))
    cr_path = f"/apis/{GROUP}/{VERSION}/namespaces/{kube_namespace}/{PLURAL}/del"
    status, body = raw(kube, "DELETE", cr_path)
    assert (status, body["kind"]) == (200, "Widget")
    status, body = raw(kube, "DELETE", cr_path)
    assert (status, body["reason"]) == (404, "NotFound")


def test_immutable_fields_of_built_ins(kube, kube_namespace):
    core, apps = client.CoreV1Api(kube), client.AppsV1Api(kube)
    core.create_namespaced_config_map(
        kube_namespace, {"metadata": {"name": "frozen"}, "data": {"a": "1"}, "immutable": True}
    )
    frozen = _error(
        lambda: core.patch_namespaced_config_map("frozen", kube_namespace, {"data": {"a": "2"}})
    )
    assert frozen["code"] == 422
    apps.create_namespaced_deployment(
        kube_namespace,
        {
            "metadata": {"name": "fixed"},
            "spec": {
                "replicas": 0,
                "selector": {"matchLabels": {"app": "fixed"}},
                "template": {
                    "metadata": {"labels": {"app": "fixed", "v": "1"}},
                    "spec": {"containers": [{"name": "c", "image": "c:1"}]},
                },
            },
        },
    )
    moved = {"spec": {"selector": {"matchLabels": {"app": "fixed", "v": "1"}}}}
    refused = _error(lambda: apps.patch_namespaced_deployment("fixed", kube_namespace, moved))
    assert refused["code"] == 422
    assert refused["details"]["causes"][0]["field"] == "spec.selector"
    fine = apps.patch_namespaced_deployment(
        "fixed", kube_namespace, {"spec": {"template": {"metadata": {"labels": {"v": "2"}}}}}
    )
    assert fine.metadata.generation == 2
