"""The kinds' tables of what Go always writes, checked against Go itself and the 1.37 schemas.

The oracle is the real kubectl 1.37: `kubectl set image|selector --local` and `kubectl create
--dry-run=client` decode a manifest into the compiled Go types and encode it with Go's encoder,
offline. Strip every empty struct and zero value from what it prints, fill the result with the
sandbox's table for the kind, and it must be what kubectl printed. Every table path must also
be a field of the kind in the Kubernetes 1.37 schemas of `kubernetes-validate`, of the right
sort (a struct, a list of structs, or a scalar).
"""

from __future__ import annotations

import copy
import json
import os
import pathlib
import subprocess
import sys
from typing import Any

import pytest
import yaml
from fidelity_support import schema_definitions

from sandbox.apiserver.registry import ResourceType
from sandbox.apiserver.structs import Shape, fill
from sandbox.kinds import BUILTIN, event

KUBECTL = pathlib.Path(sys.executable).parent / "kubectl"
CONTAINER = {"name": "c", "image": "busybox:1.36"}
TEMPLATE = {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [CONTAINER]}}
SELECTOR = {"matchLabels": {"app": "x"}}


def _manifest(api_version: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}, **fields}


# kind -> how kubectl encodes a minimal object of it: (arguments, manifest given with -f)
LOCAL = ("--local", "-o", "json", "-f")
ORACLE: dict[str, tuple[list[str], dict[str, Any] | None]] = {
    "Pod": (
        ["set", "image", "c=busybox:1.37", *LOCAL],
        _manifest("v1", "Pod", spec=TEMPLATE["spec"]),
    ),
    "Deployment": (
        ["set", "image", "c=busybox:1.37", *LOCAL],
        _manifest("apps/v1", "Deployment", spec={"selector": SELECTOR, "template": TEMPLATE}),
    ),
    "ReplicaSet": (
        ["set", "image", "c=busybox:1.37", *LOCAL],
        _manifest("apps/v1", "ReplicaSet", spec={"selector": SELECTOR, "template": TEMPLATE}),
    ),
    "StatefulSet": (
        ["set", "image", "c=busybox:1.37", *LOCAL],
        _manifest(
            "apps/v1",
            "StatefulSet",
            spec={
                "selector": SELECTOR,
                "template": TEMPLATE,
                "volumeClaimTemplates": [{"metadata": {"name": "data"}}],
            },
        ),
    ),
    "DaemonSet": (
        ["set", "image", "c=busybox:1.37", *LOCAL],
        _manifest("apps/v1", "DaemonSet", spec={"selector": SELECTOR, "template": TEMPLATE}),
    ),
    "ReplicationController": (
        ["set", "image", "c=busybox:1.37", *LOCAL],
        _manifest(
            "v1", "ReplicationController", spec={"selector": {"app": "x"}, "template": TEMPLATE}
        ),
    ),
    "Job": (
        ["set", "image", "c=busybox:1.37", *LOCAL],
        _manifest("batch/v1", "Job", spec={"template": {"spec": TEMPLATE["spec"]}}),
    ),
    "CronJob": (
        ["set", "image", "c=busybox:1.37", *LOCAL],
        _manifest(
            "batch/v1",
            "CronJob",
            spec={
                "schedule": "* * * * *",
                "jobTemplate": {"spec": {"template": {"spec": TEMPLATE["spec"]}}},
            },
        ),
    ),
    "Service": (
        ["set", "selector", "app=x", *LOCAL],
        _manifest("v1", "Service", spec={"ports": [{"port": 80}]}),
    ),
    "Namespace": (["create", "namespace", "x"], None),
    "ConfigMap": (["create", "configmap", "x"], None),
    "Secret": (["create", "secret", "generic", "x"], None),
    "ServiceAccount": (["create", "serviceaccount", "x"], None),
    "Ingress": (["create", "ingress", "x", "--rule=a.example.com/=svc:80"], None),
    "RoleBinding": (["create", "rolebinding", "x", "--clusterrole=r", "--user=u"], None),
    "ClusterRoleBinding": (
        ["create", "clusterrolebinding", "x", "--clusterrole=r", "--user=u"],
        None,
    ),
}
# kinds kubectl cannot encode offline (no generator, and `set` does not take them); their tables
# are checked against the schemas below and against a real cluster (test_fidelity_structs.py)
UNREACHABLE = {
    "Node",
    "PersistentVolumeClaim",
    "Event",
    "NetworkPolicy",
    "Role",
    "ClusterRole",
    "CustomResourceDefinition",
    "ControllerRevision",
    "APIService",
}


def strip_zero(node: Any) -> Any:
    """Drop every zero value and every struct that ends up empty (what a client may leave out)."""
    if isinstance(node, list):
        return [strip_zero(v) for v in node]
    if not isinstance(node, dict):
        return node
    kept = {k: strip_zero(v) for k, v in node.items()}
    return {k: v for k, v in kept.items() if v not in (None, "", 0, False, {})}


def go_encoding(args: list[str], manifest: dict[str, Any] | None, tmp: pathlib.Path) -> Any:
    """What the real kubectl prints for a manifest (or a generator), offline."""
    argv = [str(KUBECTL), *args]
    if manifest is not None:
        path = tmp / "manifest.yaml"
        path.write_text(yaml.safe_dump(manifest))
        argv.append(str(path))
    else:
        argv += ["--dry-run=client", "-o", "json"]
    env = {**os.environ, "KUBECONFIG": str(tmp / "no-such-kubeconfig")}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _types(kind: str) -> list[ResourceType]:
    return [t for t in BUILTIN if t.kind == kind and not t.strategy.from_storage]


@pytest.mark.parametrize("kind", sorted(ORACLE))
def test_the_table_restores_what_go_writes(kind: str, tmp_path: pathlib.Path) -> None:
    args, manifest = ORACLE[kind]
    written = go_encoding(args, manifest, tmp_path)
    (rtype,) = _types(kind)
    assert fill(strip_zero(copy.deepcopy(written)), rtype.strategy.shape) == written


def test_every_kind_served_is_checked() -> None:
    served = {t.kind for t in BUILTIN}
    assert served == set(ORACLE) | UNREACHABLE
    assert not set(ORACLE) & UNREACHABLE


def _definition(rtype: ResourceType) -> dict[str, Any]:
    for schema in schema_definitions().values():
        for gvk in schema.get("x-kubernetes-group-version-kind") or []:
            if (gvk["group"], gvk["version"], gvk["kind"]) == (
                rtype.group,
                rtype.version,
                rtype.kind,
            ):
                return dict(schema)
    raise AssertionError(f"no 1.37 schema for {rtype.api_version} {rtype.kind}")


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref") or next(
        (s["$ref"] for s in schema.get("allOf") or [] if "$ref" in s), None
    )
    return dict(schema_definitions()[ref.rsplit("/", 1)[-1]]) if ref else schema


def _check(schema: dict[str, Any], shape: dict[str, Any], where: str) -> list[str]:
    """Paths of the shape that are not fields of that sort in the schema."""
    problems = []
    properties = _resolve(schema).get("properties") or {}
    for key, inner in shape.items():
        name = key.removesuffix("[]").removesuffix("?")
        field = properties.get(name)
        path = f"{where}.{name}".lstrip(".")
        if field is None:
            problems.append(f"{path}: no such field")
            continue
        if key.endswith("[]"):
            if "array" not in field.get("type", ()):
                problems.append(f"{path}: not a list")
                continue
            field = field["items"]
        if isinstance(inner, dict):
            problems += _check(field, inner, path)
        elif _resolve(field).get("properties"):
            problems.append(f"{path}: a struct, not a scalar")
    return problems


@pytest.mark.parametrize(
    ("rtype", "shape"),
    [(t, t.strategy.shape) for t in BUILTIN if t.strategy.shape and not t.strategy.from_storage]
    + [(event.EVENTS_V1, event.V1_SHAPE)],
    ids=lambda t: t.api_version + "/" + t.kind if isinstance(t, ResourceType) else "",
)
def test_every_table_path_is_a_field_of_the_kind(rtype: ResourceType, shape: Shape) -> None:
    assert _check(_definition(rtype), shape, "") == []
