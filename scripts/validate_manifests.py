#!/usr/bin/env python3
"""Validate built manifests: Kubernetes kinds against the 1.3x schemas, ours against their CRDs.

Usage: validate_manifests.py [--crd CRD.yaml]... [--render-dir DIR] BUILT.yaml...
Every object of every BUILT file (the output of `kubectl kustomize`) is checked offline:
  - a kind defined by a --crd file against that CRD's openAPIV3Schema, strictly (an unknown
    field is an error, since the API server would silently drop it);
  - every other kind with kubernetes-validate, strictly, for each version in KUBE_VERSIONS;
  - a Release is also rendered into the Deployment the operator would create from it (the
    operator's own builder), which is then validated like any Deployment and, with
    --render-dir, written there for the policy scan.
Prints one line per file; exit 1 when anything is invalid.
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

KUBE_VERSIONS = ("1.31", "1.33", "1.35", "1.37")
Body = dict[str, Any]


def load_documents(path: Path) -> list[Body]:
    """All non-empty YAML documents of a file."""
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def strict_schema(schema: Any) -> Any:
    """Copy of an OpenAPI schema where objects with listed properties reject unknown fields."""
    if isinstance(schema, list):
        return [strict_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: strict_schema(value) for key, value in schema.items()}
    preserve = schema.get("x-kubernetes-preserve-unknown-fields")
    if "properties" in schema and "additionalProperties" not in schema and not preserve:
        out["additionalProperties"] = False
    return out


def with_object_meta(schema: Body) -> Body:
    """The root schema plus apiVersion, kind and metadata, which every object may carry."""
    properties = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}}
    properties["metadata"] = {"type": "object"}
    return {**schema, "properties": {**properties, **(schema.get("properties") or {})}}


def crd_validators(paths: list[Path]) -> dict[tuple[str, str], jsonschema.protocols.Validator]:
    """One validator per (apiVersion, kind) served by the given CRDs."""
    validators: dict[tuple[str, str], jsonschema.protocols.Validator] = {}
    for path in paths:
        for crd in load_documents(path):
            spec = crd["spec"]
            for version in spec["versions"]:
                schema = strict_schema(with_object_meta(version["schema"]["openAPIV3Schema"]))
                key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
                validators[key] = jsonschema.Draft7Validator(schema)
    return validators


def describe(obj: Body) -> str:
    """Kind/namespace/name of an object, for messages."""
    meta = obj.get("metadata") or {}
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj.get('kind')}/{where}{meta.get('name')}"


def render_release(release: Body) -> Body:
    """The Deployment the operator builds from a Release (its own pure builder)."""
    from gitops.release.actions import EnsureDeployment
    from gitops.release.builders import build_deployment
    from gitops.release.spec import ReleaseSpec

    meta = release["metadata"]
    spec = ReleaseSpec.from_dict(release["spec"], meta.get("annotations"), name=meta["name"])
    body = copy.deepcopy(release)
    body["metadata"].setdefault("namespace", "default")
    body["metadata"]["uid"] = "00000000-0000-0000-0000-000000000000"
    want = EnsureDeployment(spec.image, spec.replicas, spec.template_hash)
    return build_deployment(body, spec, want)


def kubernetes_errors(obj: Body) -> Iterator[str]:
    """Schema errors of a built-in kind, for every Kubernetes version checked."""
    for version in KUBE_VERSIONS:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            yield f"{describe(obj)} (Kubernetes {version}): {error.message}"
        except kubernetes_validate.SchemaNotFoundError:
            yield f"{describe(obj)}: no Kubernetes {version} schema for {obj.get('apiVersion')}"


def object_errors(obj: Body, crds: dict[tuple[str, str], Any], rendered: list[Body]) -> list[str]:
    """Every problem with one object; Releases add their rendered Deployment to `rendered`."""
    key = (str(obj.get("apiVersion")), str(obj.get("kind")))
    if key not in crds:
        return list(kubernetes_errors(obj))
    errors = [
        f"{describe(obj)}: {'.'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in crds[key].iter_errors(obj)
    ]
    if obj.get("kind") == "Release" and not errors:
        try:
            deployment = render_release(obj)
        except ValueError as error:
            return [f"{describe(obj)}: the operator would refuse it: {error}"]
        rendered.append(deployment)
        errors.extend(f"rendered from {e}" for e in kubernetes_errors(deployment))
    return errors


def main(argv: list[str] | None = None) -> int:
    """Validate each built file; print one line per file."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--crd", action="append", type=Path, default=[])
    parser.add_argument("--render-dir", type=Path)
    parser.add_argument("built", nargs="+", type=Path)
    args = parser.parse_args(argv)
    crds = crd_validators(args.crd)
    failed = False
    for path in args.built:
        rendered: list[Body] = []
        objects = load_documents(path)
        errors = [e for obj in objects for e in object_errors(obj, crds, rendered)]
        for error in errors:
            print(f"  {path.name}: {error}", file=sys.stderr)
        failed = failed or bool(errors)
        verdict = "FAILED" if errors else "ok"
        print(f"{path.name}: {len(objects)} objects, {len(rendered)} rendered: {verdict}")
        if args.render_dir and rendered:
            out = args.render_dir / f"{path.stem}-rendered.yaml"
            out.write_text(yaml.safe_dump_all(rendered, sort_keys=False), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
