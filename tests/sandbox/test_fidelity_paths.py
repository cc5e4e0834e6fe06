"""Fidelity: discovery and API paths take one trailing slash, as the real server's router does.

The server's mux and go-restful trim one trailing `/` before matching and never redirect:
`/api/` answers what `/api` answers, a collection path with a slash lists, an object path
with a slash gets the object; an empty segment inside a path matches no route. Runs on the
sandbox and on k3s.
"""

from __future__ import annotations

import json

import pytest
from fidelity_support import raw_text

pytestmark = pytest.mark.fidelity
DISCOVERY = ("/api", "/apis", "/api/v1", "/apis/apps/v1", "/apis/apps", "/version")


@pytest.mark.parametrize("path", DISCOVERY)
def test_discovery_answers_the_same_with_a_trailing_slash(kube, path):
    status, plain, _ = raw_text(kube, "GET", path)
    slashed_status, slashed, _ = raw_text(kube, "GET", path + "/")
    assert (status, slashed_status) == (200, 200)
    assert json.loads(slashed) == json.loads(plain)


def test_resource_paths_take_a_trailing_slash(kube, kube_namespace):
    base = f"/api/v1/namespaces/{kube_namespace}/configmaps"
    assert raw_text(kube, "POST", base + "/", {"metadata": {"name": "slash"}})[0] == 201
    status, text, _ = raw_text(kube, "GET", base + "/")
    assert status == 200
    listed = json.loads(text)
    assert listed["kind"] == "ConfigMapList"
    assert "slash" in [i["metadata"]["name"] for i in listed["items"]]
    status, text, _ = raw_text(kube, "GET", base + "/slash/")
    assert (status, json.loads(text)["metadata"]["name"]) == (200, "slash")
    status, text, _ = raw_text(kube, "GET", f"/api/v1/namespaces/{kube_namespace}//configmaps")
    assert status == 404
    assert json.loads(text)["reason"] == "NotFound"
