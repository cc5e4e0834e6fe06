"""The Release CRD: structural schema, defaults in step with the model, validation, columns."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from gitops.images import IMAGE_MESSAGE, IMAGE_PATTERN
from gitops.release import spec as model
from gitops.release.gates import VerifyCheck
from planhelpers import TEMPLATE

ROOT = Path(__file__).resolve().parents[3]
CRD = yaml.safe_load((ROOT / "manifests" / "crds" / "releases.yaml").read_text())
VERSION = CRD["spec"]["versions"][0]
SCHEMA = VERSION["schema"]["openAPIV3Schema"]
SPEC = SCHEMA["properties"]["spec"]


MATCHES = re.compile(r'^self\.matches\(r"(.*)"\)$')


def to_jsonschema(node: Any) -> Any:
    """OpenAPI v3 (Kubernetes flavour) to JSON Schema: nullable becomes a null type, x-* dropped.

    The one CEL rule form the CRD uses, `self.matches(r"...")`, becomes the same `pattern`.
    """
    if isinstance(node, list):
        return [to_jsonschema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        k: to_jsonschema(v) for k, v in node.items() if not k.startswith("x-") and k != "nullable"
    }
    for rule in node.get("x-kubernetes-validations") or []:
        matched = MATCHES.match(rule["rule"])
        assert matched, f"{rule['rule']} is a CEL rule this test cannot check"
        out["pattern"] = matched.group(1)
    if node.get("nullable"):
        out["type"] = [node["type"], "null"]
    if (
        node.get("type") == "object"
        and "properties" in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False  # structural schemas prune unknown fields
    return out


VALIDATOR = jsonschema.Draft7Validator(to_jsonschema(SCHEMA))


def errors(release: dict[str, Any]) -> list[str]:
    """Schema errors of a Release object, as 'path: message'."""
    found = VALIDATOR.iter_errors(release)
    return sorted(".".join(map(str, e.absolute_path)) + ": " + e.message for e in found)


def release(**spec: Any) -> dict[str, Any]:
    """A minimal valid Release with spec changes."""
    base = {
        "image": "ghcr.io/o/myfoodbudget:sha-1a2b3c4",
        "template": TEMPLATE,
        "snapshot": {"claimName": "data"},
    }
    return {
        "apiVersion": "gitops.myfoodbudget.dev/v1alpha1",
        "kind": "Release",
        "metadata": {"name": "r"},
        "spec": {**base, **spec},
    }


def walk(node: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every schema node with its path."""
    nodes = [(path, node)]
    for name, child in node.get("properties", {}).items():
        nodes += walk(child, f"{path}.{name}")
    if "items" in node:
        nodes += walk(node["items"], f"{path}[]")
    return nodes


def test_names_scope_and_subresources() -> None:
    names = CRD["spec"]["names"]
    assert (names["kind"], names["plural"], names["shortNames"]) == ("Release", "releases", ["rel"])
    assert "gitops" in names["categories"]
    assert CRD["spec"]["scope"] == "Namespaced"
    assert VERSION["name"] == "v1alpha1"
    assert VERSION["subresources"] == {"status": {}}


def test_printer_columns() -> None:
    columns = [c["name"] for c in VERSION["additionalPrinterColumns"] if not c.get("priority")]
    assert columns == ["Image", "Serving", "Phase", "Snapshot", "Backup", "Verified", "Age"]
    wide = {
        c["name"]: c["jsonPath"] for c in VERSION["additionalPrinterColumns"] if c.get("priority")
    }
    assert wide["Spec Image"] == ".spec.image"
    assert wide["Snapshot Age"] == ".status.lastSnapshot.takenAt"


def test_schema_is_structural_and_documented() -> None:
    for path, node in walk(SCHEMA):
        assert "type" in node, f"{path} has no type"
        if path.startswith(".spec") and path.count(".") <= 3 and "[]" not in path:
            assert node.get("description"), f"{path} has no description (kubectl explain shows it)"
    assert SCHEMA["properties"]["status"]["x-kubernetes-preserve-unknown-fields"] is True


def test_image_pattern_and_enums_match_the_model() -> None:
    props = SPEC["properties"]
    assert "pattern" not in props["image"]  # kubectl would print all of it in a refusal
    [rule] = props["image"]["x-kubernetes-validations"]
    assert rule == {"rule": f'self.matches(r"{IMAGE_PATTERN}")', "message": IMAGE_MESSAGE}
    assert tuple(props["strategy"]["enum"]) == model.STRATEGIES
    assert (
        tuple(props["rollback"]["properties"]["restoreDatabase"]["enum"]) == model.RESTORE_POLICIES
    )


def test_defaults_match_the_model() -> None:
    props = SPEC["properties"]
    spec = model.ReleaseSpec.from_dict(release()["spec"])
    assert (props["replicas"]["default"], props["container"]["default"]) == (
        spec.replicas,
        spec.container,
    )
    assert props["strategy"]["default"] == spec.strategy
    assert props["paused"]["default"] is spec.paused
    pairs = {
        "readiness": (
            spec.readiness,
            {
                "timeoutSeconds": "timeout_seconds",
                "maxRestarts": "max_restarts",
                "bakeSeconds": "bake_seconds",
            },
        ),
        "preflight": (
            spec.preflight,
            {"enabled": "enabled", "timeoutSeconds": "timeout_seconds"},
        ),
        "snapshot": (
            spec.snapshot,
            {
                "databasePath": "database_path",
                "directory": "directory",
                "keep": "keep",
                "required": "required",
            },
        ),
        "rollback": (
            spec.rollback,
            {"automatic": "automatic", "restoreDatabase": "restore_database"},
        ),
    }
    for section, (value, fields) in pairs.items():
        for field, attribute in fields.items():
            assert props[section]["properties"][field]["default"] == getattr(value, attribute), (
                field
            )


def test_the_base_release_is_valid() -> None:
    base = yaml.safe_load((ROOT / "kustomize" / "base" / "release.yaml").read_text())
    assert errors(base) == []
    model.ReleaseSpec.from_dict(base["spec"])


INVALID = [
    ({"image": "Bad Image"}, "spec.image"),
    ({"image": "ghcr.io/o/app:"}, "spec.image"),
    ({"replicas": -1}, "spec.replicas"),
    ({"container": "App_1"}, "spec.container"),
    ({"strategy": "BlueGreen"}, "spec.strategy"),
    ({"readiness": {"timeoutSeconds": -1}}, "spec.readiness.timeoutSeconds"),
    ({"readiness": {"maxRestarts": -1}}, "spec.readiness.maxRestarts"),
    ({"snapshot": {}}, "spec.snapshot"),
    ({"snapshot": {"claimName": "data", "keep": 0}}, "spec.snapshot.keep"),
    (
        {"snapshot": {"claimName": "data", "databasePath": "../etc/db"}},
        "spec.snapshot.databasePath",
    ),
    ({"snapshot": {"claimName": "data", "directory": "/abs"}}, "spec.snapshot.directory"),
    ({"rollback": {"restoreDatabase": "Sometimes"}}, "spec.rollback.restoreDatabase"),
    ({"paused": "yes"}, "spec.paused"),
    ({"template": {}}, "spec.template"),
    ({"readiness": {"bakeSeconds": -1}}, "spec.readiness.bakeSeconds"),
    ({"readiness": {"errorRate": 2}}, "spec.readiness.errorRate"),
    ({"preflight": {"timeoutSeconds": 0}}, "spec.preflight.timeoutSeconds"),
    ({"verify": [{"path": "no-slash"}]}, "spec.verify.0.path"),
    ({"verify": [{"expectStatus": 200}]}, "spec.verify.0"),
    ({"verify": [{"path": "/", "expectStatus": 99}]}, "spec.verify.0.expectStatus"),
]


@pytest.mark.parametrize(("change", "field"), INVALID, ids=[f for _, f in INVALID])
def test_invalid_releases_are_refused_naming_the_field(change: dict[str, Any], field: str) -> None:
    found = errors(release(**change))
    assert found, "the schema accepted an invalid Release"
    assert any(line.startswith(field) for line in found), found


def test_missing_required_fields() -> None:
    bad = release()
    del bad["spec"]["image"]
    assert any("'image' is a required property" in line for line in errors(bad))


def test_statuses_written_by_the_plan_fit_the_schema() -> None:
    from test_plan import S
    from test_plan_bake import S as BAKE
    from test_plan_preflight import S as PREFLIGHT

    for name, status in {**S, **BAKE, **PREFLIGHT}.items():
        obj = copy.deepcopy(release())
        obj["status"] = status
        assert errors(obj) == [], name


def test_the_crd_is_a_valid_apiextensions_object() -> None:
    import kubernetes_validate

    kubernetes_validate.validate(CRD, kubernetes_validate.latest_version(), strict=True)


def test_status_enums_match_the_plan() -> None:
    from gitops.release.state import HistoryOutcome, Phase

    status = SCHEMA["properties"]["status"]["properties"]
    assert status["phase"]["enum"] == [phase.value for phase in Phase]
    outcome = status["history"]["items"]["properties"]["outcome"]
    assert outcome["enum"] == [item.value for item in HistoryOutcome]
    from gitops.release.records import Outcome

    for record in ("preflight", "bake"):
        assert status[record]["properties"]["outcome"]["enum"] == [o.value for o in Outcome]


def test_the_verify_checks_default_to_200_as_the_model_does() -> None:
    check = SPEC["properties"]["verify"]["items"]["properties"]["expectStatus"]
    assert check["default"] == VerifyCheck("/").expect_status
