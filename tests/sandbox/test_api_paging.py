"""Contract: list paging with limit and continue tokens over a consistent snapshot."""

from __future__ import annotations

import pytest
from api_support import compact_history, raw, with_query
from kubernetes import client

pytestmark = pytest.mark.e2e


def _cm(name: str, value: str = "1") -> dict:
    return {"metadata": {"name": name, "labels": {"paged": "yes"}}, "data": {"v": value}}


@pytest.fixture
def five(kube, kube_namespace) -> str:
    """Five ConfigMaps cm-0..cm-4 in the test namespace; returns their collection path."""
    core = client.CoreV1Api(kube)
    for index in range(5):
        core.create_namespaced_config_map(kube_namespace, _cm(f"cm-{index}"))
    return f"/api/v1/namespaces/{kube_namespace}/configmaps"


def _page(kube, path: str, *query: tuple[str, str]) -> dict:
    status, body = raw(kube, "GET", with_query(path, list(query)))
    assert status == 200, body
    return body


def _names(body: dict) -> list[str]:
    return [i["metadata"]["name"] for i in body["items"] if i["metadata"]["name"].startswith("cm-")]


def _data(body: dict, name: str) -> dict:
    return next(i["data"] for i in body["items"] if i["metadata"]["name"] == name)


def test_pages_follow_a_snapshot_taken_at_the_first_page(kube, kube_namespace, five):
    first = _page(kube, five, ("limit", "2"))
    assert _names(first) == ["cm-0", "cm-1"]
    assert first["metadata"]["remainingItemCount"] >= 3
    rv, token = first["metadata"]["resourceVersion"], first["metadata"]["continue"]
    core = client.CoreV1Api(kube)
    core.patch_namespaced_config_map("cm-4", kube_namespace, {"data": {"v": "changed"}})
    core.delete_namespaced_config_map("cm-3", kube_namespace)
    core.create_namespaced_config_map(kube_namespace, _cm("cm-9"))
    second = _page(kube, five, ("limit", "2"), ("continue", token))
    assert _names(second) == ["cm-2", "cm-3"]
    assert second["metadata"]["resourceVersion"] == rv
    third = _page(kube, five, ("limit", "2"), ("continue", second["metadata"]["continue"]))
    assert _names(third) == ["cm-4"]
    assert _data(third, "cm-4") == {"v": "1"}  # as it was when the first page was read
    assert not third["metadata"].get("continue")
    assert "remainingItemCount" not in third["metadata"]
    fresh = _page(kube, five, ("limit", "10"))
    assert _names(fresh) == ["cm-0", "cm-1", "cm-2", "cm-4", "cm-9"]


def test_selectors_page_without_a_remaining_count(kube, five):
    first = _page(kube, five, ("limit", "2"), ("labelSelector", "paged=yes"))
    assert _names(first) == ["cm-0", "cm-1"]
    assert first["metadata"]["continue"]
    assert "remainingItemCount" not in first["metadata"]


def test_bad_continue_tokens_answer_400(kube, five):
    token = _page(kube, five, ("limit", "1"))["metadata"]["continue"]
    status, body = raw(
        kube, "GET", with_query(five, [("continue", token), ("resourceVersion", "5")])
    )
    assert (status, body["reason"]) == (400, "BadRequest")
    assert "resource version is not allowed when using continue" in body["message"]
    status, body = raw(kube, "GET", with_query(five, [("limit", "1"), ("continue", "not-a-token")]))
    assert (status, body["reason"]) == (400, "BadRequest")


def test_a_compacted_continue_token_answers_410_with_a_fresh_token(cluster, kube, five):
    if not cluster.is_sandbox:
        pytest.skip("compaction cannot be forced on a real cluster")
    token = _page(kube, five, ("limit", "2"))["metadata"]["continue"]
    client.CoreV1Api(kube).patch_namespaced_config_map(
        "cm-2", five.split("/")[4], {"data": {"v": "after"}}
    )
    compact_history(cluster)
    status, body = raw(kube, "GET", with_query(five, [("limit", "2"), ("continue", token)]))
    assert (status, body["reason"], body["code"]) == (410, "Expired", 410)
    assert "too old to display a consistent list" in body["message"]
    rest = _page(kube, five, ("limit", "10"), ("continue", body["metadata"]["continue"]))
    assert _names(rest) == ["cm-2", "cm-3", "cm-4"]
    assert _data(rest, "cm-2") == {"v": "after"}  # inconsistent: the current state


@pytest.mark.usefixtures("five")
def test_kubectl_follows_continue_tokens(cluster, kube_namespace):
    done = cluster.kubectl(
        "get", "configmaps", "-n", kube_namespace, "--chunk-size=2", "-o", "name"
    )
    assert done.returncode == 0, done.stderr
    names = [line.split("/")[-1] for line in done.stdout.split() if "/cm-" in line]
    assert names == [f"cm-{i}" for i in range(5)]
