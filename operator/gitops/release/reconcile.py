"""One Release reconcile (observe, decide, act, write status once, emit) and the loop around it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gitops import metrics
from gitops.kube import Kube, namespaced
from gitops.notify import notify
from gitops.release.act import apply_action, emit, release_path, write_status
from gitops.release.model import GROUP, Decision, ReleaseSpec, SpecError
from gitops.release.observe import observe
from gitops.release.outcomes import notification_for, record_metrics
from gitops.release.plan import decide, decide_invalid
from gitops.settings import Settings

log = logging.getLogger(__name__)
Key = tuple[str, str]
DEBOUNCE_SECONDS = 0.05
MAX_BACKOFF_SECONDS = 30.0


class Wakeups:
    """One asyncio.Event per Release: watch events poke it, the Release's loop waits on it."""

    def __init__(self) -> None:
        self._events: dict[Key, asyncio.Event] = {}

    def poke(self, key: Key) -> None:
        """Wake the loop of this Release (a no-op when it has none)."""
        event = self._events.get(key)
        if event is not None:
            event.set()

    async def wait(self, key: Key, timeout: float) -> None:
        """Sleep until poked or until timeout, then let a burst of pokes settle."""
        event = self._events.setdefault(key, asyncio.Event())
        with contextlib.suppress(TimeoutError):  # the requeue time has come: reconcile anyway
            await asyncio.wait_for(event.wait(), timeout)
        await asyncio.sleep(DEBOUNCE_SECONDS)
        event.clear()

    def forget(self, key: Key) -> None:
        """Drop the Release's event when its loop ends."""
        self._events.pop(key, None)


@dataclass
class Runtime:
    """What every reconcile needs: the API, the settings and the wake-up events."""

    kube: Kube
    settings: Settings
    wakeups: Wakeups = field(default_factory=Wakeups)


def _decide(release: Mapping[str, Any], spec: ReleaseSpec | SpecError, observed: Any) -> Decision:
    """Call the plan (or its invalid-spec branch)."""
    status = release.get("status") or {}
    if isinstance(spec, SpecError):
        generation = int(release["metadata"].get("generation") or 0)
        return decide_invalid(spec, status, now=datetime.now(UTC), generation=generation)
    return decide(spec, status, observed)


def _ref(namespace: str, name: str) -> dict[str, Any]:
    """Log-record extras naming the Release (kopf's JSON logs show them as `object`)."""
    ref = {"apiVersion": f"{GROUP}/v1alpha1", "kind": "Release", "namespace": namespace}
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
    observed = await observe(kube, release, spec) if isinstance(spec, ReleaseSpec) else None
    decision = _decide(release, spec, observed)
    if isinstance(spec, ReleaseSpec):
        done = await apply_action(kube, runtime.settings, release, spec, decision.action)
        action = type(decision.action).__name__
        log.debug("%s -> %s", action, done, extra=_ref(namespace, name))
    old = release.get("status") or {}
    await write_status(kube, release, decision.status)
    if decision.event is not None:
        event = decision.event
        extra = {**_ref(namespace, name), "reason": event.reason}
        log.info("%s: %s", event.reason, event.message, extra=extra)
        await emit(kube, release, decision.event)
    record_metrics(old, decision)
    await _notify(runtime, namespace, name, old, decision)
    return decision.action.requeue_after, bool(decision.status.get("rollout"))


async def _notify(
    runtime: Runtime, namespace: str, name: str, old: Mapping[str, Any], decision: Decision
) -> None:
    """Send the rollback/failure notification this decision calls for, if any."""
    note = notification_for(namespace, name, old, decision)
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
    """Reconcile a Release until cancelled: after each pass sleep until poked or requeued."""
    key, failures = (namespace, name), 0
    try:
        while True:
            try:
                requested, active = await reconcile(runtime, namespace, name)
                failures = 0
            except Exception as error:  # noqa: BLE001 - a failed pass is retried with back-off
                failures += 1
                metrics.RECONCILE_ERRORS.labels(type(error).__name__).inc()
                log.warning("Reconcile failed (%s), retrying", error, extra=_ref(namespace, name))
                backoff = runtime.settings.poll_seconds * 2.0**failures
                requested, active = min(backoff, MAX_BACKOFF_SECONDS), False
            await runtime.wakeups.wait(key, next_delay(runtime, requested, active))
    finally:
        runtime.wakeups.forget(key)
