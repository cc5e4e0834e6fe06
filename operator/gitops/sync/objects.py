"""Parse the built YAML and check every object before anything reaches the API."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Collection
from typing import Any

import yaml

from gitops.api import GITSYNC_LABEL
from gitops.sync.model import ObjectRef
from gitops.sync.plan import decide_placement

# First what others depend on, then the rest in the order kustomize printed them.
APPLY_FIRST = ("Namespace", "CustomResourceDefinition", "ServiceAccount", "Secret", "ConfigMap")
MAX_LABEL = 63

Namespaced = Callable[[str, str], "bool | None"]


class ValidationError(Exception):
    """One or more objects cannot be applied; the message names each and says why."""


def owner_label_value(namespace: str, name: str) -> str:
    """The value of the ownership label a GitSync puts on every object it applies."""
    value = f"{namespace}_{name}"
    if len(value) <= MAX_LABEL:
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()[:10]
    return f"{value[: MAX_LABEL - 11]}-{digest}"


def parse_manifests(text: str) -> list[dict[str, Any]]:
    """Every document of a multi-document YAML stream, each checked to be an object."""
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as error:
        raise ValidationError(f"the build is not valid YAML: {error}") from None
    objects, problems = [], []
    for index, doc in enumerate(documents, start=1):
        if doc is None:
            continue
        name = (doc.get("metadata") or {}).get("name") if isinstance(doc, dict) else None
        if (
            not isinstance(doc, dict)
            or not doc.get("apiVersion")
            or not doc.get("kind")
            or not name
        ):
            problems.append(f"document {index} lacks apiVersion, kind or metadata.name")
            continue
        objects.append(doc)
    if problems:
        raise ValidationError("; ".join(problems))
    return objects


def check_objects(
    objects: list[dict[str, Any]],
    *,
    namespace: str,
    label: str,
    namespaced: Namespaced,
    cluster_kinds: Collection[str] = (),
) -> list[dict[str, Any]]:
    """Copies placed by the plan (target namespace, listed cluster kinds) and labelled, in order.

    Every object the plan refuses is named in one ValidationError, before anything is applied.
    """
    checked, problems, seen = [], [], set()
    for original in objects:
        obj = copy.deepcopy(original)
        ref = ObjectRef.of(obj)
        scope = namespaced(ref.api_version, ref.kind)
        placement = decide_placement(ref, scope, target=namespace, cluster_kinds=cluster_kinds)
        if placement.refusal:
            problems.append(placement.refusal)
            continue
        meta = obj["metadata"]
        if placement.namespace:
            meta["namespace"] = placement.namespace
        else:
            meta.pop("namespace", None)  # the API server ignores it on a cluster-scoped kind
        meta.setdefault("labels", {})[GITSYNC_LABEL] = label
        ref = ObjectRef.of(obj)
        if ref in seen:
            problems.append(f"{ref}: appears twice in the build")
        seen.add(ref)
        checked.append(obj)
    if problems:
        raise ValidationError("; ".join(problems))
    return sorted(checked, key=_apply_rank)


def _apply_rank(obj: dict[str, Any]) -> int:
    """Namespaces and definitions before what lives in them; stable for the rest."""
    kind = obj.get("kind", "")
    return APPLY_FIRST.index(kind) if kind in APPLY_FIRST else len(APPLY_FIRST)


def inventory_of(objects: list[dict[str, Any]]) -> list[ObjectRef]:
    """The sorted references of the objects a sync applies."""
    return sorted({ObjectRef.of(obj) for obj in objects})
