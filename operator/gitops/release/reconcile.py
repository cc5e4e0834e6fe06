"""One Release reconcile (observe, decide, act, write status once, emit), run by gitops.loop."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gitops.api import API_VERSION, RELEASE_KIND, RELEASE_PLURAL
from gitops.kube import namespaced
from gitops.loop import Loop, run_loop
from gitops.notify import notify
from gitops.release.act import (
    carry_out,
    record_event,
    release_path,
    take_restore_annotation,
    write_status,
)
from gitops.release.actions import Action, Decision, StartJob, Wait
from gitops.release.backup.plan import BackupDecision, decide_backup
from gitops.release.observe import observe
from gitops.release.observed import Observed
from gitops.release.outcomes import (
    build_backup_notifications,
    build_notification,
    record_backup_metrics,
    record_metrics,
)
from gitops.release.plan import decide, decide_invalid
from gitops.release.spec import ReleaseSpec, SpecError
from gitops.runtime import Runtime

log = logging.getLogger(__name__)


def _ref(namespace: str, name: str) -> dict[str, Any]:
    """Log-record extras naming the Release (kopf's JSON logs show them as `object`)."""
    ref = {"apiVersion": API_VERSION, "kind": RELEASE_KIND, "namespace": namespace}
    return {"k8s_ref": {**ref, "name": name}}


def parse_spec(release: Mapping[str, Any]) -> ReleaseSpec | SpecError:
    """The validated spec, or the error naming the bad field."""
    meta = release["metadata"]
    try:
        return ReleaseSpec.from_dict(
            release.get("spec") or {},
            meta.get("annotations") or {},
            name=meta["name"],
            generation=int(meta.get("generation") or 0),
        )
    except SpecError as error:
        return error


async def reconcile(runtime: Runtime, namespace: str, name: str) -> tuple[float | None, bool]:
    """Reconcile one Release once; return when to look again and whether a rollout is active."""
    kube = runtime.kube
    release = await kube.get(release_path(namespace, name))
    if release is None or release["metadata"].get("deletionTimestamp"):
        return None, False
    spec = parse_spec(release)
    old = release.get("status") or {}
    backup: BackupDecision | None = None
    if isinstance(spec, SpecError):
        generation = int(release["metadata"].get("generation") or 0)
        decision = decide_invalid(spec, old, now=datetime.now(UTC), generation=generation)
        status, requeue = decision.status, decision.action.requeue_after
        await write_status(kube, release, status)
    else:
        decision, backup = decide_both(
            spec, old, await observe(kube, release, spec, runtime.settings)
        )
        action = combined_action(decision, backup)
        status, requeue = backup.status, _sooner(action.requeue_after, backup.requeue_after)
        done = await carry_out(runtime, release, spec, action, status)
        log.debug("%s -> %s", type(action).__name__, done, extra=_ref(namespace, name))
    await take_restore_annotation(kube, release, status)
    events = (decision.event,) if decision.event else ()
    for event in (*events, *(backup.events if backup else ())):
        extra = {**_ref(namespace, name), "reason": event.reason}
        log.info("%s: %s", event.reason, event.message, extra=extra)
        await record_event(kube, release, event)
    record_metrics(old, decision)
    await _notify(runtime, (namespace, name), old, decision, backup)
    return requeue, bool(status.get("rollout"))


def decide_both(
    spec: ReleaseSpec, old: Mapping[str, Any], observed: Observed
) -> tuple[Decision, BackupDecision]:
    """The release plan, then the backup plan on the status it decided (idle: it may act)."""
    decision = decide(spec, old, observed)
    idle = decision.status.get("rollout") is None and isinstance(decision.action, Wait)
    return decision, decide_backup(spec, decision.status, observed, idle)


def combined_action(decision: Decision, backup: BackupDecision) -> Action:
    """The release's action, or the backup Job when the release only waits."""
    if backup.job is not None and isinstance(decision.action, Wait):
        return StartJob(backup.job)
    return decision.action


def _sooner(first: float | None, second: float | None) -> float | None:
    """The earlier of two requeue times (None: whenever)."""
    times = [t for t in (first, second) if t is not None]
    return min(times) if times else None


async def _notify(
    runtime: Runtime,
    ref: tuple[str, str],
    old: Mapping[str, Any],
    decision: Decision,
    backup: BackupDecision | None,
) -> None:
    """Send the notifications this reconcile calls for: rollback or failure, backup Warnings."""
    namespace, name = ref
    notes = [build_notification(namespace, name, old, decision)]
    if backup is not None:
        record_backup_metrics(
            f"{namespace}/{name}", backup.status.get("backup") or {}, backup.events
        )
        notes += build_backup_notifications(namespace, name, backup.events)
    settings = runtime.settings
    if not settings.notify_secret:
        return
    path = namespaced("v1", "secrets", settings.operator_namespace, settings.notify_secret)
    for note in notes:
        if note is not None:
            await notify(runtime.kube, path, note, settings.notify_timeout_seconds)


def next_delay(runtime: Runtime, requested: float | None, active: bool) -> float:
    """How long to sleep: the plan's request, capped by the resync (and the poll while active)."""
    settings = runtime.settings
    cap = settings.poll_seconds if active else settings.resync_seconds
    return cap if requested is None else max(0.0, min(requested, cap))


async def run_release(runtime: Runtime, namespace: str, name: str) -> None:
    """Reconcile a Release until cancelled, woken by its events and its own requeue times."""

    async def once() -> float:
        requested, active = await reconcile(runtime, namespace, name)
        return next_delay(runtime, requested, active)

    key = (RELEASE_PLURAL, namespace, name)
    loop = Loop(key, runtime.wakeups, runtime.backoff(), _ref(namespace, name))
    await run_loop(loop, once)
