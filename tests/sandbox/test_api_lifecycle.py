"""Contract: garbage collection, namespaces, selectors, strategic merge and server-side apply."""

from __future__ import annotations

import json
import uuid

import pytest
from api_support import raw, wait_for, with_query
from kubernetes import client

pytestmark = pytest.mark.e2e


def _owner_ref(obj, block: bool = True) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": obj.metadata.name,
        "uid": obj.metadata.uid,
        "blockOwnerDeletion": block,
    }


def _cm(core, ns, name, owner=None, finalizers=None):
    md = {"name": name}
    if owner is not None:
        md["ownerReferences"] = [_owner_ref(owner)]
    if finalizers:
        md["finalizers"] = finalizers
    return core.create_namespaced_config_map(ns, {"metadata": md})


def _gone(core, ns, name) -> bool:
    try:
        core.read_namespaced_config_map(name, ns)
    except client.ApiException as error:
        return error.status == 404
    return False


def test_background_deletion_collects_dependents(kube, kube_namespace):
    core = client.CoreV1Api(kube)
    owner = _cm(core, kube_namespace, "owner")
    _cm(core, kube_namespace, "child", owner)
    core.delete_namespaced_config_map("owner", kube_namespace)
    wait_for(lambda: _gone(core, kube_namespace, "child"), what="dependent collected")


def test_dependent_with_a_live_second_owner_survives(kube, kube_namespace):
    core = client.CoreV1Api(kube)
    first, second = _cm(core, kube_namespace, "first"), _cm(core, kube_namespace, "second")
    child = {
        "metadata": {"name": "shared", "ownerReferences": [_owner_ref(first), _owner_ref(second)]}
    }
    core.create_namespaced_config_map(kube_namespace, child)
    core.delete_namespaced_config_map("first", kube_namespace)

    def refs():
        found = core.read_namespaced_config_map("shared", kube_namespace)
        names = [r.name for r in found.metadata.owner_references or []]
        return names == ["second"]

    wait_for(refs, what="dangling owner reference dropped")


def test_foreground_deletion_waits_for_blocking_dependents(kube, kube_namespace):
    core = client.CoreV1Api(kube)
    owner = _cm(core, kube_namespace, "fg")
    _cm(core, kube_namespace, "fg-child", owner, finalizers=["contract.example.com/hold"])
    core.delete_namespaced_config_map("fg", kube_namespace, propagation_policy="Foreground")

    def child_deleting():
        child = core.read_namespaced_config_map("fg-child", kube_namespace)
        return child.metadata.deletion_timestamp is not None

    wait_for(child_deleting, what="dependent marked for deletion")
    held = core.read_namespaced_config_map("fg", kube_namespace)
    assert "foregroundDeletion" in held.metadata.finalizers
    assert held.metadata.deletion_timestamp is not None
    core.patch_namespaced_config_map("fg-child", kube_namespace, {"metadata": {"finalizers": None}})
    wait_for(lambda: _gone(core, kube_namespace, "fg"), what="owner deleted after its dependent")


def test_orphan_deletion_keeps_dependents_without_the_reference(kube, kube_namespace):
    core = client.CoreV1Api(kube)
    owner = _cm(core, kube_namespace, "orphaner")
    _cm(core, kube_namespace, "orphan", owner)
    core.delete_namespaced_config_map("orphaner", kube_namespace, propagation_policy="Orphan")
    wait_for(lambda: _gone(core, kube_namespace, "orphaner"), what="owner deleted")
    kept = core.read_namespaced_config_map("orphan", kube_namespace)
    assert not kept.metadata.owner_references


def test_deleting_a_namespace_deletes_its_objects(kube):
    core = client.CoreV1Api(kube)
    ns = f"doomed-{uuid.uuid4().hex[:8]}"
    core.create_namespace({"metadata": {"name": ns}})
    _cm(core, ns, "inside")
    _cm(core, ns, "held", finalizers=["contract.example.com/hold"])
    core.delete_namespace(ns)
    assert core.read_namespace(ns).status.phase == "Terminating"
    with pytest.raises(client.ApiException) as refused:
        _cm(core, ns, "late")
    assert refused.value.status == 403
    wait_for(lambda: _gone(core, ns, "inside"), what="objects of the namespace deleted")
    core.patch_namespaced_config_map("held", ns, {"metadata": {"finalizers": None}})

    def gone():
        try:
            core.read_namespace(ns)
        except client.ApiException as error:
            return error.status == 404
        return False

    wait_for(gone, timeout=60, what="namespace deleted")


ROOT_CA = "kube-root-ca.crt"


def test_label_selectors(kube, kube_namespace):
    core = client.CoreV1Api(kube)
    for name, labels in (
        ("a", {"tier": "web", "env": "prod"}),
        ("b", {"tier": "db"}),
        ("c", {"env": "dev"}),
    ):
        core.create_namespaced_config_map(
            kube_namespace, {"metadata": {"name": name, "labels": labels}}
        )

    def names(selector: str) -> list[str]:
        found = core.list_namespaced_config_map(kube_namespace, label_selector=selector)
        # every namespace also holds the cluster's kube-root-ca.crt, as on Kubernetes
        return sorted(i.metadata.name for i in found.items if i.metadata.name != ROOT_CA)

    assert names("tier=web") == ["a"]
    assert names("tier==web,env=prod") == ["a"]
    assert names("tier!=web") == ["b", "c"]
    assert names("tier in (web,db)") == ["a", "b"]
    assert names("env notin (prod)") == ["b", "c"]
    assert names("tier") == ["a", "b"]
    assert names("!tier") == ["c"]


def test_field_selectors_on_name_and_involved_object(kube, kube_namespace):
    core = client.CoreV1Api(kube)
    target = core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "target"}})
    core.create_namespaced_config_map(kube_namespace, {"metadata": {"name": "other"}})
    found = core.list_namespaced_config_map(kube_namespace, field_selector="metadata.name=target")
    assert [i.metadata.name for i in found.items] == ["target"]
    ref = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "target",
        "namespace": kube_namespace,
        "uid": target.metadata.uid,
    }
    for name, obj in (("e1", ref), ("e2", {**ref, "name": "other", "uid": "x"})):
        core.create_namespaced_event(
            kube_namespace,
            {
                "metadata": {"name": name},
                "involvedObject": obj,
                "reason": "Tested",
                "message": "contract",
                "type": "Normal",
                "firstTimestamp": "2026-01-01T00:00:00.123456+00:00",
            },
        )
    selector = (
        f"involvedObject.name=target,involvedObject.namespace={kube_namespace},"
        f"involvedObject.kind=ConfigMap,involvedObject.uid={target.metadata.uid}"
    )
    events = core.list_namespaced_event(kube_namespace, field_selector=selector)
    assert [e.metadata.name for e in events.items] == ["e1"]
    _, body = raw(kube, "GET", f"/api/v1/namespaces/{kube_namespace}/events/e1")
    assert body["firstTimestamp"] == "2026-01-01T00:00:00Z"


def test_strategic_merge_patch_merges_containers_by_name(kube, kube_namespace):
    apps = client.AppsV1Api(kube)
    containers = [
        {"name": "app", "image": "app:1", "env": [{"name": "A", "value": "1"}]},
        {"name": "side", "image": "side:1"},
    ]
    apps.create_namespaced_deployment(
        kube_namespace,
        {
            "metadata": {"name": "smp"},
            "spec": {
                "replicas": 0,
                "selector": {"matchLabels": {"app": "smp"}},
                "template": {
                    "metadata": {"labels": {"app": "smp"}},
                    "spec": {"containers": containers},
                },
            },
        },
    )
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "app", "image": "app:2", "env": [{"name": "B", "value": "2"}]}
                    ]
                }
            }
        }
    }
    path = f"/apis/apps/v1/namespaces/{kube_namespace}/deployments/smp"
    status, body = raw(
        kube,
        "PATCH",
        path,
        body=patch,
        headers={"Content-Type": "application/strategic-merge-patch+json"},
    )
    assert status == 200
    merged = body["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c["image"]) for c in merged] == [("app", "app:2"), ("side", "side:1")]
    assert [e["name"] for e in merged[0]["env"]] == ["A", "B"]
    assert body["metadata"]["generation"] == 2


def _apply(kube, ns, body, manager, force=False):
    path = f"/api/v1/namespaces/{ns}/configmaps/{body['metadata']['name']}"
    query = [("fieldManager", manager)] + ([("force", "true")] if force else [])
    return raw(
        kube,
        "PATCH",
        with_query(path, query),
        body=json.dumps(body),
        headers={"Content-Type": "application/apply-patch+yaml"},
    )


def test_server_side_apply_creates_owns_conflicts_and_prunes(kube, kube_namespace):
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "ssa"},
        "data": {"a": "1", "b": "2"},
    }
    status, body = _apply(kube, kube_namespace, config, "one")
    assert status == 201
    assert body["data"] == {"a": "1", "b": "2"}
    assert [m["manager"] for m in body["metadata"]["managedFields"]] == ["one"]
    status, body = _apply(kube, kube_namespace, {**config, "data": {"a": "other"}}, "two")
    assert (status, body["reason"]) == (409, "Conflict")
    status, body = _apply(kube, kube_namespace, {**config, "data": {"a": "other"}}, "two", True)
    assert status == 200
    assert body["data"]["a"] == "other"
    status, body = _apply(kube, kube_namespace, {**config, "data": {"c": "3"}}, "one")
    assert status == 200
    assert body["data"] == {"a": "other", "c": "3"}
    dry = raw(
        kube,
        "PATCH",
        with_query(
            f"/api/v1/namespaces/{kube_namespace}/configmaps/new",
            [("fieldManager", "one"), ("dryRun", "All")],
        ),
        body=json.dumps({**config, "metadata": {"name": "new"}}),
        headers={"Content-Type": "application/apply-patch+yaml"},
    )
    assert dry[0] == 201
    assert raw(kube, "GET", f"/api/v1/namespaces/{kube_namespace}/configmaps/new")[0] == 404


def test_events_v1_and_events_k8s_io_share_storage(kube, kube_namespace):
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "x", "namespace": kube_namespace}
    client.EventsV1Api(kube).create_namespaced_event(
        kube_namespace,
        {
            "metadata": {"name": "new-api"},
            "regarding": ref,
            "reason": "Made",
            "note": "hello",
            "type": "Normal",
            "action": "Make",
            "reportingController": "contract/test",
            "reportingInstance": "contract-1",
            "eventTime": "2026-01-01T00:00:00.000001+00:00",
        },
    )
    core = client.CoreV1Api(kube).read_namespaced_event("new-api", kube_namespace)
    assert (core.message, core.involved_object.name, core.reason) == ("hello", "x", "Made")
    assert core.reporting_component == "contract/test"
    _, body = raw(kube, "GET", f"/apis/events.k8s.io/v1/namespaces/{kube_namespace}/events/new-api")
    assert body["note"] == "hello"
    assert body["eventTime"] == "2026-01-01T00:00:00.000001Z"


def test_table_output_for_lists(kube, kube_namespace):
    client.CoreV1Api(kube).create_namespaced_config_map(
        kube_namespace, {"metadata": {"name": "t"}, "data": {"a": "1"}}
    )
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
    status, table = raw(
        kube,
        "GET",
        f"/api/v1/namespaces/{kube_namespace}/configmaps?fieldSelector=metadata.name%3Dt",
        headers={"Accept": accept},
    )
    assert status == 200
    assert (table["kind"], table["apiVersion"]) == ("Table", "meta.k8s.io/v1")
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Data", "Age"]
    assert table["rows"][0]["cells"][:2] == ["t", 1]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert table["rows"][0]["object"]["metadata"]["name"] == "t"
    assert int(table["metadata"]["resourceVersion"]) > 0


def test_object_created_with_a_missing_owner_is_collected(kube, kube_namespace):
    core = client.CoreV1Api(kube)
    ghost = {"apiVersion": "v1", "kind": "ConfigMap", "name": "ghost", "uid": str(uuid.uuid4())}
    core.create_namespaced_config_map(
        kube_namespace, {"metadata": {"name": "orphaned", "ownerReferences": [ghost]}}
    )
    wait_for(lambda: _gone(core, kube_namespace, "orphaned"), 60, "dangling dependent collected")
