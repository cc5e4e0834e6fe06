"""A deleted GitSync: delete what it applied, or leave it, as its spec says (Flux's rule).

With `prune: true` (and not suspended) the objects in its inventory go with it, except
PersistentVolumeClaims, Namespaces and objects no longer labelled as its own; with
`prune: false` or `suspend: true` everything stays. The finalizer holds the GitSync until
this is done, and until its sync loop has stopped, so nothing is applied after the clean-up.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from gitops.api import API_VERSION, GITSYNC_KIND, GITSYNC_PLURAL
from gitops.kube import Kube, KubeError, namespaced
from gitops.runtime import Runtime
from gitops.sync import reasons
from gitops.sync.kubeapi import Catalog
from gitops.sync.model import ObjectRef
from gitops.sync.objects import owner_label_value
from gitops.sync.plan import Deletion, decide_deletion
from gitops.sync.prune import run_prune
from gitops.sync.reasons import Outcome, outcome

log = logging.getLogger("gitops.sync")
LOOP_STOPPING_SECONDS = 0.5  # look again this soon while the sync loop winds down
FAILED_SECONDS = 10.0  # and this soon after a failed clean-up


async def finalize_gitsync(runtime: Runtime, namespace: str, name: str) -> float | None:
    """Carry out the deletion the plan decides; None when done, else seconds until a retry."""
    if runtime.wakeups.running((GITSYNC_PLURAL, namespace, name)):
        return LOOP_STOPPING_SECONDS
    kube = runtime.kube
    obj = await kube.get(namespaced(API_VERSION, GITSYNC_PLURAL, namespace, name))
    if obj is None:
        return None
    deletion = decide_deletion(
        [ObjectRef.of(entry) for entry in (obj.get("status") or {}).get("inventory") or []],
        ObjectRef(API_VERSION, GITSYNC_KIND, namespace, name),
        prune=bool((obj.get("spec") or {}).get("prune", True)),
        suspend=bool((obj.get("spec") or {}).get("suspend", False)),
    )
    result = await _carry_out(kube, deletion, owner_label_value(namespace, name))
    await _announce(kube, obj, result)
    return FAILED_SECONDS if result.reason == reasons.GARBAGE_COLLECTION_FAILED else None


async def _carry_out(kube: Kube, deletion: Deletion, label: str) -> Outcome:
    """Delete the doomed objects (only those still labelled as the GitSync's), or leave all."""
    if deletion.why:
        return outcome(reasons.ORPHANED, why=deletion.why, kept=_listed(deletion.kept))
    pruned = await run_prune(Catalog(kube), deletion.doomed, label)
    if pruned.problems:
        return outcome(reasons.GARBAGE_COLLECTION_FAILED, error="; ".join(pruned.problems))
    kept = [f"{ref} (never deleted)" for ref in deletion.kept] + pruned.skipped
    shown = f"; kept {', '.join(kept)}" if kept else ""
    return outcome(reasons.GARBAGE_COLLECTED, deleted=_listed(pruned.deleted), kept=shown)


def _listed(refs: list[ObjectRef]) -> str:
    """The objects, comma-separated, or 'nothing'."""
    return ", ".join(str(ref) for ref in refs) or "nothing"


async def _announce(kube: Kube, obj: Mapping[str, Any], result: Outcome) -> None:
    """Log the outcome and record its Event (best effort: the namespace may be going away)."""
    meta = obj["metadata"]
    where = f"{meta['namespace']}/{meta['name']}"
    level = logging.WARNING if result.event_type == "Warning" else logging.INFO
    log.log(level, "%s %s: %s", where, result.reason.name, result.message)
    try:
        await kube.create_event(dict(obj), result.event_type, result.reason.name, result.message)
    except KubeError as error:
        # The log line above says the same; a terminating namespace refuses new Events.
        log.info("%s: Event %s not recorded: %s", where, result.reason.name, error)
