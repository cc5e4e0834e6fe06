"""The API server's pure pieces, table-driven: patches, selectors, schemas, ages, JSONPath."""

from __future__ import annotations

import pytest

from sandbox.apiserver import jsonpath, patch_types, schema
from sandbox.apiserver.errors import APIError
from sandbox.apiserver.selectors import field_selector, label_selector, match_label_selector
from sandbox.apiserver.tables import human_duration


@pytest.mark.parametrize(
    ("target", "patch", "expected"),
    [  # RFC 7386 appendix A
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_merge_patch(target, patch, expected):
    assert patch_types.merge_patch(target, patch) == expected


def test_json_patch_operations():
    doc = {"a": {"b": [1, 2]}, "c": "x"}
    ops = [
        {"op": "test", "path": "/c", "value": "x"},
        {"op": "add", "path": "/a/b/1", "value": 9},
        {"op": "add", "path": "/a/b/-", "value": 3},
        {"op": "replace", "path": "/c", "value": "y"},
        {"op": "copy", "from": "/c", "path": "/d"},
        {"op": "move", "from": "/d", "path": "/e~1f"},
        {"op": "remove", "path": "/a/b/0"},
    ]
    assert patch_types.json_patch(doc, ops) == {"a": {"b": [9, 2, 3]}, "c": "y", "e/f": "y"}
    assert doc == {"a": {"b": [1, 2]}, "c": "x"}


@pytest.mark.parametrize(
    "op",
    [
        {"op": "test", "path": "/c", "value": "other"},
        {"op": "remove", "path": "/missing"},
        {"op": "replace", "path": "/missing", "value": 1},
    ],
)
def test_json_patch_failures_are_422(op):
    with pytest.raises(APIError) as caught:
        patch_types.json_patch({"c": "x"}, [op])
    assert caught.value.code == 422


def test_strategic_merge_directives():
    live = {
        "containers": [{"name": "a", "image": "1", "args": ["x"]}, {"name": "b", "image": "1"}],
        "finalizers": ["f1"],
        "volumes": [{"name": "v", "emptyDir": {}}],
    }
    patch = {
        "containers": [{"name": "a", "args": ["y"]}, {"name": "b", "$patch": "delete"}],
        "finalizers": ["f2"],
        "volumes": [{"name": "w"}, {"$patch": "replace"}],
        "$setElementOrder/containers": [{"name": "a"}],
    }
    assert patch_types.strategic_merge(live, patch) == {
        "containers": [{"name": "a", "image": "1", "args": ["y"]}],
        "finalizers": ["f1", "f2"],
        "volumes": [{"name": "w"}],
    }
    dropped = patch_types.strategic_merge(live, {"$deleteFromPrimitiveList/finalizers": ["f1"]})
    assert dropped["finalizers"] == []


@pytest.mark.parametrize(
    ("selector", "labels", "matches"),
    [
        ("a=1", {"a": "1"}, True),
        ("a==1,b!=2", {"a": "1", "b": "3"}, True),
        ("a in (1, 2)", {"a": "2"}, True),
        ("a notin (1,2)", {}, True),
        ("a,!b", {"a": "", "b": "x"}, False),
        ("", {}, True),
    ],
)
def test_label_selector(selector, labels, matches):
    assert label_selector(selector)({"metadata": {"labels": labels}}) is matches


def test_label_selector_objects_and_field_selectors():
    selector = {"matchLabels": {"a": "1"}, "matchExpressions": [{"key": "b", "operator": "Exists"}]}
    assert match_label_selector(selector, {"a": "1", "b": ""})
    assert not match_label_selector(selector, {"a": "1"})
    pred = field_selector("involvedObject.name=x,type!=Warning", {"involvedObject.name", "type"})
    assert pred({"involvedObject": {"name": "x"}, "type": "Normal"})
    assert not pred({"involvedObject": {"name": "x"}, "type": "Warning"})
    with pytest.raises(APIError) as caught:
        field_selector("spec.secret=1", {"metadata.name"})
    assert caught.value.code == 400


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (0, "0s"),
        (119, "119s"),
        (120, "2m"),
        (125, "2m5s"),
        (600, "10m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 60, "3h1m"),
        (9 * 3600, "9h"),
        (50 * 3600, "2d2h"),
        (10 * 86400, "10d"),
        (800 * 86400, "2y70d"),
        (3000 * 86400, "8y"),
    ],
)
def test_human_duration_matches_go(seconds, text):
    assert human_duration(seconds) == text


def test_jsonpath_subset():
    obj = {
        "status": {
            "conditions": [{"type": "A", "status": "False"}, {"type": "Ready", "status": "True"}]
        },
        "spec": {"items": ["x", "y"], "dotted.key": 1},
    }
    assert jsonpath.find(obj, '.status.conditions[?(@.type=="Ready")].status') == ["True"]
    assert jsonpath.find(obj, ".spec.items[1]") == ["y"]
    assert jsonpath.find(obj, ".spec.items[*]") == ["x", "y"]
    assert jsonpath.find(obj, "{.spec['dotted.key']}") == [1]
    assert jsonpath.find(obj, ".spec.missing") == []


SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["size"],
            "properties": {
                "size": {"type": "integer", "minimum": 1, "exclusiveMaximum": True, "maximum": 5},
                "mode": {"type": "string", "default": "fast", "enum": ["fast", "slow"]},
                "note": {"type": "string", "nullable": True},
                "gone": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "ports": {
                    "type": "array",
                    "x-kubernetes-list-type": "set",
                    "items": {"type": "integer"},
                },
                "one": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            },
        }
    },
}


def test_schema_prunes_defaults_and_keeps_nullable_nulls():
    obj = {
        "apiVersion": "x/v1",
        "kind": "X",
        "metadata": {"name": "n", "extra": 1},
        "spec": {"size": 2, "note": None, "gone": None, "junk": 1, "labels": {"a": "b"}},
    }
    result, unknown, causes = schema.process(obj, SCHEMA)
    assert result["spec"] == {"size": 2, "note": None, "labels": {"a": "b"}, "mode": "fast"}
    assert result["metadata"] == {"name": "n", "extra": 1}
    assert unknown == ["spec.junk"]
    assert causes == []


@pytest.mark.parametrize(
    ("spec", "field", "reason"),
    [
        ({}, "spec.size", "FieldValueRequired"),
        ({"size": 5}, "spec.size", "FieldValueInvalid"),
        ({"size": 0}, "spec.size", "FieldValueInvalid"),
        ({"size": 1.5}, "spec.size", "FieldValueInvalid"),
        ({"size": 1, "mode": "medium"}, "spec.mode", "FieldValueNotSupported"),
        ({"size": 1, "labels": {"a": 1}}, "spec.labels.a", "FieldValueInvalid"),
        ({"size": 1, "ports": [1, 1]}, "spec.ports", "FieldValueDuplicate"),
        ({"size": 1, "one": True}, "spec.one", "FieldValueInvalid"),
    ],
)
def test_schema_validation_causes(spec, field, reason):
    _, _, causes = schema.process({"metadata": {"name": "n"}, "spec": spec}, SCHEMA)
    assert [(c["field"], c["reason"]) for c in causes] == [(field, reason)]


def test_spdy_dictionary_is_the_draft_3_one() -> None:
    """kubectl's first header block names the dictionary by its adler32 (0xe3c6a7c2)."""
    import zlib

    from sandbox.apiserver.spdy import DICTIONARY

    assert len(DICTIONARY) == 1423
    assert zlib.adler32(DICTIONARY) == 0xE3C6A7C2


def test_request_verbs_are_derived_as_kube_apiserver_does() -> None:
    from sandbox.apiserver.requestinfo import attributes

    def verb(method: str, path: str, **query: str) -> tuple[str, str, str, str]:
        found = attributes(method, path, query)
        return found.verb, found.combined, found.namespace, found.name

    assert verb("GET", "/api/v1/namespaces/a/pods") == ("list", "pods", "a", "")
    assert verb("GET", "/api/v1/namespaces/a/pods", watch="true") == ("watch", "pods", "a", "")
    assert verb("GET", "/api/v1/pods", fieldSelector="metadata.name=x") == ("list", "pods", "", "x")
    assert verb("DELETE", "/apis/apps/v1/namespaces/a/deployments") == (
        "deletecollection", "deployments", "a", "")  # fmt: skip
    assert verb("DELETE", "/api/v1/namespaces/a") == ("delete", "namespaces", "a", "a")
    assert verb("GET", "/api/v1/namespaces/a/pods/p/log") == ("get", "pods/log", "a", "p")
    assert verb("PATCH", "/api/v1/namespaces/a/status") == ("patch", "namespaces/status", "a", "a")
    assert attributes("GET", "/apis", {}).resource_request is False
