"""ControllerRevisions: the template history StatefulSets and DaemonSets keep, as the real
controllers do (`kubectl rollout history|undo` read them).

A revision's data is a strategic merge patch that replaces the pod template; its name is
`<owner>-<hash of that data>`, its number one more than the newest. An old revision whose data
comes back (an undo) is renumbered rather than copied. History beyond revisionHistoryLimit goes,
except the revisions still in use.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from sandbox.client.objects import Obj, owned, owner_ref
from sandbox.client.view import ClusterView
from sandbox.controllers.rollout import template_hash

HASH_LABEL = "controller-revision-hash"


@dataclass(frozen=True)
class Revisions:
    """The owner's revision for its current template, and every revision it owns."""

    update: Obj
    history: list[Obj]

    @property
    def hash(self) -> str:
        """The hash part of the update revision's name."""
        return str(self.update["metadata"]["labels"][HASH_LABEL])

    def named(self, name: str | None) -> Obj | None:
        """The owned revision of that name."""
        return next((r for r in self.history if r["metadata"]["name"] == name), None)


def revision_data(owner: Obj) -> dict[str, Any]:
    """The patch a revision records: the whole pod template, replacing the old one."""
    template = copy.deepcopy(owner["spec"].get("template") or {})
    return {"spec": {"template": {**template, "$patch": "replace"}}}


def _build(owner: Obj, data: dict[str, Any], number: int) -> Obj:
    collisions = int((owner.get("status") or {}).get("collisionCount") or 0)
    digest = template_hash(data, collisions)
    template_labels = (owner["spec"].get("template") or {}).get("metadata", {}).get("labels")
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": f"{owner['metadata']['name']}-{digest}",
            "namespace": owner["metadata"]["namespace"],
            "labels": {**(template_labels or {}), HASH_LABEL: digest},
            "ownerReferences": [owner_ref(owner)],
        },
        "data": data,
        "revision": number,
    }


async def sync_revisions(cluster: ClusterView, owner: Obj) -> Revisions:
    """Find or create the revision of the owner's current template."""
    cache = cluster.cache("controllerrevisions")
    history = sorted(
        owned(cache.list(owner["metadata"]["namespace"]), owner), key=lambda r: r["revision"]
    )
    data = revision_data(owner)
    newest = history[-1]["revision"] if history else 0
    same = [r for r in history if r.get("data") == data]
    if same:
        found = same[-1]
        if found["revision"] != newest:  # an old template is back: it becomes the newest
            renumbered = await cluster.patch("controllerrevisions", found, {"revision": newest + 1})
            found = renumbered or found
            history = [found if r is same[-1] else r for r in history]
        return Revisions(found, history)
    created = await cluster.create(
        "controllerrevisions", owner["metadata"]["namespace"], _build(owner, data, newest + 1)
    )
    return Revisions(created, [*history, created])


async def prune(cluster: ClusterView, owner: Obj, revisions: Revisions, live: set[str]) -> None:
    """Delete the oldest revisions beyond revisionHistoryLimit that nothing uses."""
    limit = int(owner["spec"].get("revisionHistoryLimit", 10))
    spare = [
        r
        for r in revisions.history
        if r["metadata"]["name"] not in live | {revisions.update["metadata"]["name"]}
    ]
    for revision in spare[: max(0, len(spare) - limit)]:
        await cluster.delete("controllerrevisions", revision)
