"""Dry-run every object on the server, then apply them all with server-side apply."""

from __future__ import annotations

from typing import Any

from gitops.kube import KubeError
from gitops.sync.kubeapi import Catalog
from gitops.sync.model import ObjectRef

UNREADABLE = "the API server's answer was not JSON"


class ApplyError(Exception):
    """Applying stopped part way; the message names the object and the server's reason."""

    def __init__(self, message: str, applied: list[ObjectRef]) -> None:
        super().__init__(message)
        self.applied = applied


async def dry_run_all(catalog: Catalog, objects: list[dict[str, Any]]) -> list[str]:
    """Every problem the server finds with the objects; changes nothing."""
    problems = []
    created = {ObjectRef.of(o).name for o in objects if o.get("kind") == "Namespace"}
    for obj in objects:
        ref = ObjectRef.of(obj)
        try:
            result = await catalog.apply(obj, dry_run=True)
        except KubeError as error:
            if not (error.not_found and ref.namespace in created):
                problems.append(f"{ref}: {error}")
            # Otherwise its namespace comes with this build and is applied first.
            continue
        except ValueError as error:
            problems.append(f"{ref}: {UNREADABLE} ({error})")
            continue
        controller = _controller(result)
        if controller:
            problems.append(
                f"{ref}: is managed by {controller}, not by git; remove it from the repository"
            )
    return problems


def _controller(live: dict[str, Any]) -> str:
    """The kind and name of the object's controlling owner, or ''."""
    for owner in (live.get("metadata") or {}).get("ownerReferences") or []:
        if owner.get("controller"):
            return f"{owner.get('kind')} {owner.get('name')}"
    return ""


async def apply_all(catalog: Catalog, objects: list[dict[str, Any]]) -> list[ObjectRef]:
    """Apply each object in order; raise ApplyError naming the first the server refuses."""
    applied: list[ObjectRef] = []
    for obj in objects:
        ref = ObjectRef.of(obj)
        try:
            await catalog.apply(obj)
        except KubeError as error:
            raise ApplyError(f"{ref}: {error}", applied) from None
        except ValueError as error:
            raise ApplyError(f"{ref}: {UNREADABLE} ({error})", applied) from None
        applied.append(ref)
    return applied
