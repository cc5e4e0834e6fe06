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
from gitops.release.act import apply_action, record_event, release_path, write_status
from gitops.release.actions import Decision
from gitops.release.observe import observe
from gitops.release.outcomes import build_notification, record_metrics
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
    if isinstance(spec, SpecError):
        generation = int(release["metadata"].get("generation") or 0)
        decision = decide_invalid(spec, old, now=datetime.now(UTC), generation=generation)
    else:
        decision = decide(spec, old, await observe(kube, release, spec, runtime.settings))
        done = await apply_action(kube, runtime.settings, release, spec, decision.action)
        action = type(decision.action).__name__
        log.debug("%s -> %s", action, done, extra=_ref(namespace, name))
    await write_status(kube, release, decision.status)
    if decision.event is not None:
        event = decision.event
        extra = {**_ref(namespace, name), "reason": event.reason}
        log.info("%s: %s", event.reason, event.message, extra=extra)
        await record_event(kube, release, event)
    record_metrics(old, decision)
    await _notify(runtime, namespace, name, old, decision)
    return decision.action.requeue_after, bool(decision.status.get("rollout"))


async def _notify(
    runtime: Runtime, namespace: str, name: str, old: Mapping[str, Any], decision: Decision
) -> None:
    """Send the rollback/failure notification this decision calls for, if any."""
    note = build_notification(namespace, name, old, decision)
    settings = runtime.settings
    if note is None or not settings.notify_secret:
        return
    path = namespaced("v1", "secrets", settings.operator_namespace, settings.notify_secret)
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
