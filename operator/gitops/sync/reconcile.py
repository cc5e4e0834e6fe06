"""One GitSync reconcile (observe, decide, act, write status once, emit), run by gitops.loop."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from gitops.api import API_VERSION, GITSYNC_PLURAL, SYNC_REQUEST_ANNOTATION, WARNING
from gitops.kube import Kube, namespaced
from gitops.loop import Loop, run_loop
from gitops.runtime import Runtime
from gitops.settings import Settings
from gitops.sync import metrics, reasons
from gitops.sync.attempt import SyncConfig, Target, apply_build, run_build, run_fetch
from gitops.sync.build import find_kubectl
from gitops.sync.kubeapi import Catalog
from gitops.sync.model import ObjectRef, SpecError, SyncSpec
from gitops.sync.plan import Action, Observed, RetryPolicy, SyncStatus, decide, decide_prune
from gitops.sync.reasons import Outcome, outcome
from gitops.sync.status import Attempt, build_status, build_suspended_status

log = logging.getLogger("gitops.sync")
Body = dict[str, Any]


def plain(value: Any) -> Any:
    """A deep copy of a (possibly live, read-only) mapping as plain dicts and lists."""
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def config_from_settings(settings: Settings) -> SyncConfig:
    """The GitSync part of the operator's settings."""
    return SyncConfig(
        kubectl=find_kubectl(settings.sync_kubectl),
        work_dir=settings.work_dir,
        cluster_kinds=settings.sync_cluster_kinds,
        retry=RetryPolicy(base=settings.sync_retry_seconds, cap=settings.sync_retry_max_seconds),
    )


async def run_gitsync(runtime: Runtime, config: SyncConfig, body: Mapping[str, Any]) -> None:
    """Sync one GitSync until cancelled; body is kept current by the watch."""
    meta = body["metadata"]
    syncer = Syncer(runtime.kube, config, plain(body.get("status") or {}))
    resync = runtime.settings.resync_seconds

    async def once() -> float:
        delay = await syncer.reconcile(plain(body))
        return resync if delay is None else min(delay, resync)

    key = (GITSYNC_PLURAL, meta["namespace"], meta["name"])
    await run_loop(Loop(key, runtime.wakeups, runtime.backoff()), once)


async def run_attempt(
    kube: Kube, config: SyncConfig, target: Target, status: SyncStatus, observed: Observed
) -> Attempt:
    """Fetch; unless the plan finds the commit applied, build and apply it, then prune."""
    fetched = await run_fetch(kube, config, target)
    if isinstance(fetched, Outcome):
        return Attempt(fetched)
    after = decide(target.spec, status, replace(observed, commit=fetched.commit))
    if after.action is Action.UP_TO_DATE:
        return Attempt(None, fetched.commit)
    catalog = Catalog(kube)
    built = await run_build(catalog, config, target, fetched)
    if isinstance(built, Attempt):
        return fetched.scrubbed(built)
    prune = target.spec.prune
    doomed = decide_prune(target.inventory, built.inventory, target.ref, enabled=prune)
    return fetched.scrubbed(await apply_build(catalog, target, built, doomed))


class Syncer:
    """One GitSync's reconciler: the API, the settings, and what it remembers between passes.

    It keeps its own last status (the watched body may lag behind its writes) and the streak of
    failed attempts the plan backs off from.
    """

    def __init__(self, kube: Kube, config: SyncConfig, status: Body) -> None:
        self.kube, self.config = kube, config
        self.status = status
        self.failures = 0
        self.last_failure: float | None = None
        self.marked: set[str] = set()  # the status written without an attempt, once

    async def reconcile(self, obj: Body) -> float | None:
        """Observe, decide and maybe act once; return when to look again (None: on a change)."""
        meta = obj["metadata"]
        if meta.get("deletionTimestamp"):
            return None  # being deleted: nothing more is applied (gitops.sync.finalize cleans up)
        generation = int(meta.get("generation") or 1)
        try:
            spec = SyncSpec.from_spec(obj.get("spec") or {})
        except SpecError as error:
            await self._mark(obj, f"invalid-{generation}", _invalid(self.status, error, generation))
            return None
        observed = Observed(
            now=time.time(),
            generation=generation,
            requested=(meta.get("annotations") or {}).get(SYNC_REQUEST_ANNOTATION),
            failures=self.failures,
            last_failure=self.last_failure,
        )
        decision = decide(spec, SyncStatus.from_status(self.status), observed, self.config.retry)
        if decision.action is Action.WAIT:
            return decision.delay
        if decision.action is Action.SUSPENDED:
            now = datetime.now(UTC)
            suspended = build_suspended_status(self.status, generation=generation, now=now)
            # once per generation: a spec changed while suspended is observed all the same
            await self._mark(obj, f"suspended-{generation}", suspended)
            return None
        self.marked.clear()
        log.info("syncing %s/%s: %s", meta["namespace"], meta["name"], decision.why)
        inventory = [ObjectRef.of(entry) for entry in self.status.get("inventory") or []]
        await self._sync(obj, Target(meta["namespace"], meta["name"], spec, inventory), observed)
        return 0.0

    async def _sync(self, obj: Body, target: Target, observed: Observed) -> None:
        """Run one attempt, then write status and record_event the Event of its outcome."""
        started = time.monotonic()
        status = SyncStatus.from_status(self.status)
        attempt = await run_attempt(self.kube, self.config, target, status, observed)
        ok = attempt.outcome is None or attempt.outcome.ok
        self.failures = 0 if ok else self.failures + 1
        self.last_failure = None if ok else time.time()
        retry = self.config.retry
        retry_in = retry.delay(self.failures, target.spec.interval) if self.failures else 0.0
        new_status = build_status(
            self.status,
            attempt,
            generation=observed.generation,
            now=datetime.now(UTC),
            request=observed.requested,
            retry_in=retry_in,
        )
        try:
            await self._write_status(obj, new_status)
        except Exception:
            # Not recorded: the status still names the last commit, so the plan would wait a
            # whole interval. Count it as a failed attempt; the retry applies again (no-op).
            self.failures, self.last_failure = self.failures + 1, time.time()
            raise
        label = attempt.outcome.reason.name if attempt.outcome else metrics.UP_TO_DATE
        seconds = time.monotonic() - started
        metrics.record(target.namespace, target.name, label, seconds, attempt.applied)
        if attempt.outcome is not None:
            await self._announce(obj, attempt.outcome)

    async def _announce(self, obj: Body, result: Outcome) -> None:
        """Log and record_event the Event of an attempt that did something or failed."""
        where = f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"
        level = logging.INFO if result.ok else logging.WARNING
        log.log(level, "%s %s: %s", where, result.reason.name, result.message)
        await self.kube.create_event(obj, result.event_type, result.reason.name, result.message)

    async def _write_status(self, obj: Body, status: Body) -> None:
        """Replace the GitSync's status through the status subresource; remember it."""
        meta = obj["metadata"]
        path = namespaced(API_VERSION, GITSYNC_PLURAL, meta["namespace"], meta["name"])
        await self.kube.merge_patch(path + "/status", {"status": status})
        self.status = status

    async def _mark(self, obj: Body, key: str, status: Body) -> None:
        """Write a status that needs no attempt (suspended, invalid spec) once per occasion
        (its key names the generation)."""
        if key in self.marked:
            return
        self.marked = {key}
        await self._write_status(obj, status)
        conditions = {c["type"]: c for c in status.get("conditions") or []}
        ready = conditions.get("Ready") or {}
        if key.startswith("invalid"):
            name = reasons.INVALID_SPEC.name
            await self.kube.create_event(obj, WARNING, name, str(ready.get("message")))


def _invalid(previous: Body, error: SpecError, generation: int) -> Body:
    """The status of a GitSync whose spec cannot be used: Stalled until the spec changes."""
    result = outcome(reasons.INVALID_SPEC, error=error)
    return build_status(
        previous, Attempt(result), generation=generation, now=datetime.now(UTC), request=None
    )
