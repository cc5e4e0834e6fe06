"""Delete what the plan says a sync prunes, each only while it still carries the sync's label."""

from __future__ import annotations

from dataclasses import dataclass, field

from gitops.api import GITSYNC_LABEL
from gitops.kube import KubeError
from gitops.sync.kubeapi import Catalog
from gitops.sync.model import ObjectRef


@dataclass
class PruneResult:
    """What was deleted, what was left alone, and what could not be deleted."""

    deleted: list[ObjectRef] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[ObjectRef] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


async def run_prune(catalog: Catalog, candidates: list[ObjectRef], label: str) -> PruneResult:
    """Delete each candidate that still carries this sync's label."""
    result = PruneResult()
    for ref in candidates:
        try:
            live = await catalog.get(ref)
            if live is None:
                continue
            labels = (live.get("metadata") or {}).get("labels") or {}
            if labels.get(GITSYNC_LABEL) != label:
                result.skipped.append(f"{ref}: not labelled {GITSYNC_LABEL}={label}, kept")
                continue
            await catalog.delete(ref)
            result.deleted.append(ref)
        except (KubeError, ValueError) as error:
            result.failed.append(ref)
            result.problems.append(f"{ref}: {error}")
    return result
