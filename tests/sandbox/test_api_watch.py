"""Contract: list+watch, resourceVersions, bookmarks, timeouts, 410 (kubernetes client)."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import compact_history, raw, unique, watch_lines
from kubernetes import client, watch

pytestmark = pytest.mark.e2e


# Every namespace holds the cluster's root CA ConfigMap, as on Kubernetes: left out here.
ROOT_CA = "kube-root-ca.crt"
NOT_ROOT_CA = ("fieldSelector", f"metadata.name!={ROOT_CA}")


def _cm(name: str, value: str = "1") -> dict[str, Any]:
    return {"metadata": {"name": name}, "data": {"v": value}}


def test_watch_resumes_after_resource_version_without_replay(kube, kube_namespace):
    core = client.CoreV1Api(kube)
    first = core.create_namespaced_config_map(kube_namespace, _cm("first"))
    since = first.metadata.resource_version
    core.create_namespaced_config_map(kube_namespace, _cm("second"))
    core.patch_namespaced_config_map("first", kube_namespace, {"data": {"v": "2"}})
    core.delete_namespaced_config_map("second", kube_namespace)
    seen = [
        (e["type"], e["object"].metadata.name)
        for e in watch.Watch().stream(
            core.list_namespaced_config_map,
            kube_namespace,
            resource_version=since,
            timeout_seconds=2,
        )
    ]
    assert seen == [("ADDED", "second"), ("MODIFIED", "first"), ("DELETED", "second")]


def test_watch_without_version_lists_existing_objects_first(kube, kube_namespace):
    core = client.CoreV1Api(kube)
    core.create_namespaced_config_map(kube_namespace, _cm("existing"))
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    events = list(
        watch_lines(kube, path, [("watch", "true"), ("timeoutSeconds", "1"), NOT_ROOT_CA])
    )
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "existing")]


def test_one_resource_version_counter_for_all_kinds_and_deletes(kube, kube_namespace):
    core = client.CoreV1Api(kube)
    cm = core.create_namespaced_config_map(kube_namespace, _cm("a"))
    secret = core.create_namespaced_secret(kube_namespace, {"metadata": {"name": "b"}})
    other = core.create_namespaced_config_map(kube_namespace, _cm("c"))
    versions = [int(o.metadata.resource_version) for o in (cm, secret, other)]
    assert versions == sorted(versions)
    assert len(set(versions)) == 3
    stream = watch.Watch().stream(
        core.list_namespaced_config_map,
        kube_namespace,
        resource_version=other.metadata.resource_version,
        timeout_seconds=2,
    )
    core.delete_namespaced_config_map("a", kube_namespace)
    deleted = next(e for e in stream if e["type"] == "DELETED")
    assert int(deleted["object"].metadata.resource_version) > versions[-1]


def test_no_op_update_keeps_version_and_sends_no_event(kube, kube_namespace):
    core = client.CoreV1Api(kube)
    cm = core.create_namespaced_config_map(kube_namespace, _cm("same", "x"))
    again = core.patch_namespaced_config_map("same", kube_namespace, {"data": {"v": "x"}})
    assert again.metadata.resource_version == cm.metadata.resource_version
    replaced = core.replace_namespaced_config_map("same", kube_namespace, again)
    assert replaced.metadata.resource_version == cm.metadata.resource_version
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    query = [
        ("watch", "1"),
        ("resourceVersion", cm.metadata.resource_version),
        ("timeoutSeconds", "1"),
    ]
    assert list(watch_lines(kube, path, query)) == []


@pytest.mark.parametrize("truth", ["true", "True", "1"])
def test_watch_flag_accepts_every_spelling_of_true(kube, kube_namespace, truth):
    client.CoreV1Api(kube).create_namespaced_config_map(kube_namespace, _cm("flag"))
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    events = list(watch_lines(kube, path, [("watch", truth), ("timeoutSeconds", "1"), NOT_ROOT_CA]))
    assert [e["type"] for e in events] == ["ADDED"]


def test_watch_ends_cleanly_at_timeout_seconds(kube, kube_namespace):
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    assert (
        list(watch_lines(kube, path, [("watch", "true"), ("timeoutSeconds", "1"), NOT_ROOT_CA]))
        == []
    )


def test_initial_events_end_with_a_bookmark(kube, kube_namespace):
    client.CoreV1Api(kube).create_namespaced_config_map(kube_namespace, _cm("one"))
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    query = [
        ("watch", "true"),
        ("sendInitialEvents", "true"),
        ("allowWatchBookmarks", "true"),
        ("resourceVersionMatch", "NotOlderThan"),
        ("timeoutSeconds", "2"),
        NOT_ROOT_CA,
    ]
    events = watch_lines(kube, path, query)
    assert next(events)["type"] == "ADDED"
    bookmark = next(events)
    assert bookmark["type"] == "BOOKMARK"
    assert bookmark["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert int(bookmark["object"]["metadata"]["resourceVersion"]) > 0


def test_too_old_resource_version_answers_410(kube, kube_namespace, cluster, request):
    core = client.CoreV1Api(kube)
    old = core.create_namespaced_config_map(kube_namespace, _cm("old")).metadata.resource_version
    core.create_namespaced_config_map(kube_namespace, _cm("newer"))
    if cluster.is_sandbox:
        request.getfixturevalue("compacted")
    else:
        old = "1"  # long compacted on any real cluster
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    query = [("watch", "true"), ("resourceVersion", old), ("timeoutSeconds", "5")]
    events = list(watch_lines(kube, path, query))
    assert len(events) == 1
    error = events[0]
    assert error["type"] == "ERROR"
    assert error["object"]["kind"] == "Status"
    assert error["object"]["code"] == 410
    assert error["object"]["reason"] in ("Expired", "Gone")
    with pytest.raises(client.ApiException) as caught:
        list(
            watch.Watch().stream(
                core.list_namespaced_config_map,
                kube_namespace,
                resource_version=old,
                timeout_seconds=2,
            )
        )
    assert caught.value.status == 410


@pytest.fixture
def compacted(cluster) -> None:
    """Compact the sandbox's watch history (as etcd compaction does)."""
    compact_history(cluster)


def test_list_carries_resource_version_and_items(kube, kube_namespace):
    core = client.CoreV1Api(kube)
    core.create_namespaced_config_map(kube_namespace, _cm(unique("cm")))
    path = (
        f"/api/v1/namespaces/{kube_namespace}/configmaps?fieldSelector=metadata.name!%3D{ROOT_CA}"
    )
    status, body = raw(kube, "GET", path)
    assert status == 200
    assert body["kind"] == "ConfigMapList"
    assert body["apiVersion"] == "v1"
    assert int(body["metadata"]["resourceVersion"]) > 0
    assert len(body["items"]) == 1


def test_selector_watch_sees_objects_enter_and_leave(kube, kube_namespace):
    core = client.CoreV1Api(kube)
    cm = core.create_namespaced_config_map(kube_namespace, _cm("moving"))
    path = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    query = [
        ("watch", "true"),
        ("labelSelector", "stage=live"),
        ("timeoutSeconds", "2"),
        ("resourceVersion", cm.metadata.resource_version),
    ]
    core.patch_namespaced_config_map(
        "moving", kube_namespace, {"metadata": {"labels": {"stage": "live"}}}
    )
    core.patch_namespaced_config_map("moving", kube_namespace, {"data": {"v": "2"}})
    core.patch_namespaced_config_map(
        "moving", kube_namespace, {"metadata": {"labels": {"stage": "done"}}}
    )
    events = [e["type"] for e in watch_lines(kube, path, query)]
    assert events == ["ADDED", "MODIFIED", "DELETED"]
