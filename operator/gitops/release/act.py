"""Carry out the plan's action, write the Release's status, and record its Event."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from gitops.api import API_VERSION, RELEASE_PLURAL, RESTORE_ANNOTATION
from gitops.kube import Kube, KubeError, namespaced
from gitops.release.actions import Action, DeletePod, EnsureDeployment, Event, StartJob, StartPod
from gitops.release.builders import build_deployment, build_job
from gitops.release.preflightpod import build_preflight_pod
from gitops.release.spec import ReleaseSpec
from gitops.runtime import Runtime
from gitops.settings import Settings

log = logging.getLogger(__name__)
Body = dict[str, Any]


def release_path(namespace: str, name: str) -> str:
    """The API path of a Release."""
    return namespaced(API_VERSION, RELEASE_PLURAL, namespace, name)


def build_deployment_patch(live: Body, desired: Body) -> Body | None:
    """The merge patch that turns the live Deployment into the desired one (None: no change)."""
    patch: Body = {}
    live_meta = live.get("metadata") or {}
    for key in ("labels", "annotations"):
        current = live_meta.get(key) or {}
        changed = {k: v for k, v in desired["metadata"][key].items() if current.get(k) != v}
        if changed:
            patch.setdefault("metadata", {})[key] = changed
    owners = live_meta.get("ownerReferences") or []
    if not any(o.get("uid") == desired["metadata"]["ownerReferences"][0]["uid"] for o in owners):
        patch.setdefault("metadata", {})["ownerReferences"] = desired["metadata"]["ownerReferences"]
    live_spec = live.get("spec") or {}
    if _spec_differs(live_spec, desired["spec"]):
        patch["spec"] = {**desired["spec"], "strategy": _strategy_patch(live_spec, desired)}
    return patch or None


def _strategy_patch(live_spec: Mapping[str, Any], desired: Body) -> Body:
    """The desired strategy; switching to Recreate must also drop rollingUpdate (API rule)."""
    strategy = dict(desired["spec"]["strategy"])
    if strategy["type"] == "Recreate" and "rollingUpdate" in (live_spec.get("strategy") or {}):
        strategy["rollingUpdate"] = None
    return strategy


def _spec_differs(live: Mapping[str, Any], desired: Mapping[str, Any]) -> bool:
    """True when any desired field differs (server-filled defaults are not differences)."""
    for key, want in desired.items():
        have = live.get(key)
        if isinstance(want, Mapping) and isinstance(have, Mapping):
            if _spec_differs(have, want):
                return True
        elif isinstance(want, list) and isinstance(have, list) and len(want) == len(have):
            pairs = zip(have, want, strict=True)
            if any(_item_differs(h, w) for h, w in pairs):
                return True
        elif have != want:
            return True
    return False


def _item_differs(have: Any, want: Any) -> bool:
    """Compare one list item the same way (mappings by their desired keys only)."""
    if isinstance(want, Mapping) and isinstance(have, Mapping):
        return _spec_differs(have, want)
    return bool(have != want)


async def apply_deployment(kube: Kube, desired: Body) -> str:
    """Create the Deployment or patch it into shape; return created, patched or unchanged."""
    meta = desired["metadata"]
    path = namespaced("apps/v1", "deployments", meta["namespace"], meta["name"])
    live = await kube.get(path)
    if live is None:
        await kube.create(namespaced("apps/v1", "deployments", meta["namespace"]), desired)
        return "created"
    patch = build_deployment_patch(live, desired)
    if patch is None:
        return "unchanged"
    await kube.merge_patch(path, patch)
    return "patched"


async def create_child(kube: Kube, group_version: str, plural: str, body: Body) -> str:
    """Create a Job or pod; one that already exists (same deterministic name) is fine."""
    try:
        await kube.create(namespaced(group_version, plural, body["metadata"]["namespace"]), body)
    except KubeError as error:
        if error.conflict:
            return "exists"
        raise
    return "created"


async def create_job(kube: Kube, job: Body) -> str:
    """Create the Job; one that already exists (same deterministic name) is fine."""
    return await create_child(kube, "batch/v1", "jobs", job)


async def apply_action(
    kube: Kube, settings: Settings, release: Body, spec: ReleaseSpec, action: Action
) -> str:
    """Carry out one action of the plan; return a word saying what happened."""
    if isinstance(action, EnsureDeployment):
        return await apply_deployment(kube, build_deployment(release, spec, action))
    if isinstance(action, StartJob):
        job = build_job(
            release, spec, action.job, settings.operator_image, settings.job_deadline_seconds
        )
        return await create_job(kube, job)
    if isinstance(action, StartPod):
        return await create_child(
            kube, "v1", "pods", build_preflight_pod(release, spec, action.pod)
        )
    if isinstance(action, DeletePod):
        await kube.delete(namespaced("v1", "pods", release["metadata"]["namespace"], action.name))
        return "deleted"
    return "waiting"


def build_status_patch(old: Mapping[str, Any], new: Mapping[str, Any]) -> Body | None:
    """The merge patch from the old status to the new (removed keys nulled); None if equal.

    Objects are compared key by key, where a null is the same as an absent key (a merge patch
    removes null keys, so a status read back has none); lists are replaced whole.
    """
    patch: Body = {}
    for key in {*old, *new}:
        have, want = old.get(key), new.get(key)
        if isinstance(have, Mapping) and isinstance(want, Mapping):
            nested = build_status_patch(have, want)
            if nested is not None:
                patch[key] = nested
        elif have != want:
            patch[key] = want
    return patch or None


async def write_status(kube: Kube, release: Body, status: Mapping[str, Any]) -> bool:
    """Write the whole status in one merge patch of /status; return False when unchanged."""
    patch = build_status_patch(release.get("status") or {}, status)
    if patch is None:
        return False
    meta = release["metadata"]
    await kube.merge_patch(
        release_path(meta["namespace"], meta["name"]) + "/status", {"status": patch}
    )
    return True


async def carry_out(
    runtime: Runtime, release: Body, spec: ReleaseSpec, action: Action, status: Mapping[str, Any]
) -> str:
    """The plan's action and its status, in the order that survives a kill between them.

    A new phase is written first: an operator killed before its action decides again in that
    phase, which asks for the action again (every step derives it from what it observes).
    Acting first would leave the old phase to decide on a world the new one made, and undo
    it: a rollback's stop taken for drift, and the failed image rolled out once more. Within a
    phase the action comes first, so a status never tells of a Job or change not yet made.
    Returns what the action did.
    """
    kube = runtime.kube
    moved = (release.get("status") or {}).get("phase") != status.get("phase")
    if moved:
        await write_status(kube, release, status)
    done = await apply_action(kube, runtime.settings, release, spec, action)
    if not moved:
        await write_status(kube, release, status)
    return done


async def record_event(kube: Kube, release: Body, event: Event) -> None:
    """Record the plan's Event on the Release; a failed Event is logged, never fatal."""
    try:
        await kube.create_event(release, event.type, event.reason, event.message)
    except KubeError as error:
        # The status already carries the same reason and message; losing an Event is harmless.
        log.warning("Could not record Event %s: %s", event.reason, error)


JSON_PATCH = "application/json-patch+json"


async def take_restore_annotation(kube: Kube, release: Body, status: Mapping[str, Any]) -> None:
    """Remove the restore annotation once status took its REF up (only if it still says so)."""
    meta = release["metadata"]
    value = (meta.get("annotations") or {}).get(RESTORE_ANNOTATION)
    if value is None or value.strip() != status.get("restoreTaken"):
        return
    pointer = "/metadata/annotations/" + RESTORE_ANNOTATION.replace("~", "~0").replace("/", "~1")
    patch = [{"op": "test", "path": pointer, "value": value}, {"op": "remove", "path": pointer}]
    try:
        await kube.request(
            "PATCH", release_path(meta["namespace"], meta["name"]), patch, JSON_PATCH
        )
    except KubeError as error:
        if error.status not in (404, 409, 422):  # gone, or set anew meanwhile: nothing to take
            raise
