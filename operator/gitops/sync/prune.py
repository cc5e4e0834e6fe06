"""Delete what an earlier sync applied and the new build lacks, with every safety check."""

from __future__ import annotations

from dataclasses import dataclass, field

from gitops.kube import KubeError
from gitops.sync import OWNER_LABEL
from gitops.sync.kubeapi import Catalog
from gitops.sync.model import ObjectRef

NEVER_PRUNED = frozenset({"PersistentVolumeClaim", "Namespace"})


@dataclass
class PruneResult:
    """What was deleted, what was left alone, and what could not be deleted."""

    deleted: list[ObjectRef] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[ObjectRef] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def decide_prune(
    previous: list[ObjectRef], current: list[ObjectRef], protected: ObjectRef | None = None
) -> list[ObjectRef]:
    """The previous inventory minus the new build; never PVCs, Namespaces or the protected one."""
    keep = {*current, protected}
    return [ref for ref in previous if ref not in keep and ref.kind not in NEVER_PRUNED]


async def run_prune(catalog: Catalog, candidates: list[ObjectRef], label: str) -> PruneResult:
    """Delete each candidate that still carries this sync's label."""
    result = PruneResult()
    for ref in candidates:
        try:
            live = await catalog.get(ref)
            if live is None:
                continue
            labels = (live.get("metadata") or {}).get("labels") or {}
            if labels.get(OWNER_LABEL) != label:
                result.skipped.append(f"{ref}: not labelled {OWNER_LABEL}={label}, kept")
                continue
            await catalog.delete(ref)
            result.deleted.append(ref)
        except (KubeError, ValueError) as error:
            result.failed.append(ref)
            result.problems.append(f"{ref}: {error}")
    return result
