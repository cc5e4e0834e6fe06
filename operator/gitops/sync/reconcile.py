"""The loop behind one GitSync: observe, decide, act, write status once, emit one Event."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from urllib3.exceptions import HTTPError

from gitops.kube import Kube, KubeError, namespaced
from gitops.settings import Settings
from gitops.sync import GROUP, PLURAL, REQUEST_ANNOTATION, VERSION, metrics, reasons
from gitops.sync.attempt import SyncConfig, Target, run_attempt
from gitops.sync.build import find_kubectl
from gitops.sync.model import ObjectRef, SpecError, SyncSpec
from gitops.sync.plan import Observed, RetryPolicy, Step, SyncStatus, decide
from gitops.sync.reasons import outcome
from gitops.sync.status import Attempt, build_status, suspended_status

log = logging.getLogger("gitops.sync")


@dataclass
class LoopState:
    """What the loop remembers between steps: its own last status and the failure streak."""

    status: dict[str, Any]
    failures: int = 0
    last_failure: float | None = None
    marked: set[str] = field(default_factory=set)


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


async def run_loop(kube: Kube, config: SyncConfig, body: Mapping[str, Any]) -> None:
    """Sync one GitSync for as long as the operator runs; body is kept current by the watch."""
    state = LoopState(status=plain(body.get("status") or {}))
    while True:
        try:
            delay = await step(kube, config, plain(body), state)
        except (KubeError, ValueError, HTTPError, OSError) as error:
            # API unreachable, a refused write, a garbled answer or a full disk: try again soon.
            state.failures += 1
            delay = config.retry.delay(state.failures, config.retry.cap)
            log.warning("GitSync %s: API error, retrying in %.1fs: %s", _where(body), delay, error)
        await asyncio.sleep(max(0.0, min(delay, config.poll)))


def _where(body: Mapping[str, Any]) -> str:
    """namespace/name of a GitSync."""
    meta = body.get("metadata") or {}
    return f"{meta.get('namespace')}/{meta.get('name')}"


async def step(kube: Kube, config: SyncConfig, obj: dict[str, Any], state: LoopState) -> float:
    """Observe, decide and maybe act once; return how long to wait before the next step."""
    meta = obj["metadata"]
    generation = int(meta.get("generation") or 1)
    try:
        spec = SyncSpec.from_spec(obj.get("spec") or {})
    except SpecError as error:
        await _mark(
            kube, obj, state, f"invalid-{generation}", _invalid(state.status, error, generation)
        )
        return config.poll
    requested = (meta.get("annotations") or {}).get(REQUEST_ANNOTATION)
    status = SyncStatus.from_status(state.status)
    observed = Observed(
        now=time.time(),
        generation=generation,
        requested=requested,
        failures=state.failures,
        last_failure=state.last_failure,
    )
    action = decide(spec, status, observed, config.retry)
    if action.step is Step.WAIT:
        return action.delay
    if action.step is Step.SUSPENDED:
        now = datetime.now(UTC)
        await _mark(
            kube,
            obj,
            state,
            "suspended",
            suspended_status(state.status, generation=generation, now=now),
        )
        return config.poll
    state.marked.clear()
    log.info("syncing %s/%s: %s", meta["namespace"], meta["name"], action.why)
    await _sync(kube, config, obj, state, spec, observed)
    return 0.0


async def _sync(
    kube: Kube,
    config: SyncConfig,
    obj: dict[str, Any],
    state: LoopState,
    spec: SyncSpec,
    observed: Observed,
) -> None:
    """Run one attempt, then write status and emit the Event of its outcome."""
    meta = obj["metadata"]
    inventory = [ObjectRef.of(entry) for entry in state.status.get("inventory") or []]
    target = Target(meta["namespace"], meta["name"], spec, inventory)
    started = time.monotonic()
    attempt = await run_attempt(
        kube, config, target, SyncStatus.from_status(state.status), observed
    )
    ok = attempt.outcome is None or attempt.outcome.ok
    state.failures = 0 if ok else state.failures + 1
    state.last_failure = None if ok else time.time()
    retry_in = config.retry.delay(state.failures, spec.interval) if state.failures else 0.0
    new_status = build_status(
        state.status,
        attempt,
        generation=observed.generation,
        now=datetime.now(UTC),
        request=observed.requested,
        retry_in=retry_in,
    )
    await _write_status(kube, obj, new_status)
    state.status = new_status
    reason = attempt.outcome.reason if attempt.outcome else "UpToDate"
    metrics.record(
        target.namespace, target.name, reason, time.monotonic() - started, attempt.applied
    )
    await _announce(kube, obj, attempt)


async def _announce(kube: Kube, obj: dict[str, Any], attempt: Attempt) -> None:
    """Log and emit an Event for an attempt that did something or failed."""
    result = attempt.outcome
    if result is None:
        return
    where = f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"
    level = logging.INFO if result.ok else logging.WARNING
    log.log(level, "%s %s: %s", where, result.reason, result.message)
    await kube.create_event(obj, result.event_type, result.reason, result.message)


async def _write_status(kube: Kube, obj: dict[str, Any], status: dict[str, Any]) -> None:
    """Replace the GitSync's status through the status subresource."""
    meta = obj["metadata"]
    path = namespaced(f"{GROUP}/{VERSION}", PLURAL, meta["namespace"], meta["name"]) + "/status"
    await kube.merge_patch(path, {"status": status})


async def _mark(
    kube: Kube, obj: dict[str, Any], state: LoopState, key: str, status: dict[str, Any]
) -> None:
    """Write a status that needs no attempt (suspended, invalid spec) once per occasion."""
    if key in state.marked:
        return
    state.marked = {key}
    await _write_status(kube, obj, status)
    state.status = status
    conditions = {c["type"]: c for c in status.get("conditions") or []}
    ready = conditions.get("Ready") or {}
    if key.startswith("invalid"):
        await kube.create_event(obj, "Warning", reasons.INVALID_SPEC, str(ready.get("message")))


def _invalid(previous: dict[str, Any], error: SpecError, generation: int) -> dict[str, Any]:
    """The status of a GitSync whose spec cannot be used: Stalled until the spec changes."""
    result = outcome(reasons.INVALID_SPEC, error=error)
    return build_status(
        previous, Attempt(result), generation=generation, now=datetime.now(UTC), request=None
    )
