"""The pure decisions of a GitSync: what to do next, and what a sync may prune.

`decide` answers twice per sync with the same rules: before the fetch (wait, fetch, or nothing
while suspended) and once the fetched commit is known (apply it, or it is already applied).
`decide_placement` says where each built object goes, or why it may not be applied at all;
`decide_prune` names what the sync deletes once the new build is applied, and
`decide_deletion` what a deleted GitSync takes with it.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitops.clock import parse_time
from gitops.sync.model import ObjectRef, SyncSpec

NEVER_PRUNED = frozenset({"PersistentVolumeClaim", "Namespace"})


class Action(enum.Enum):
    """What the controller does next."""

    SUSPENDED = "suspended"
    WAIT = "wait"
    FETCH = "fetch"
    APPLY = "apply"
    UP_TO_DATE = "up-to-date"


@dataclass(frozen=True)
class Decision:
    """The next action, how long to wait first, and why."""

    action: Action
    delay: float = 0.0
    why: str = ""


@dataclass(frozen=True)
class SyncStatus:
    """The parts of a GitSync's status the decision reads."""

    observed_generation: int | None = None
    last_applied_commit: str | None = None
    last_sync_time: float | None = None
    last_handled_request: str | None = None
    ready: bool = False

    @classmethod
    def from_status(cls, status: Mapping[str, Any]) -> SyncStatus:
        """Read the status dict written by an earlier sync."""
        ready = any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in status.get("conditions") or []
        )
        synced = parse_time(status.get("lastSyncTime"))
        return cls(
            observed_generation=status.get("observedGeneration"),
            last_applied_commit=status.get("lastAppliedCommit"),
            last_sync_time=synced.timestamp() if synced else None,
            last_handled_request=status.get("lastHandledSyncRequest"),
            ready=ready,
        )


@dataclass(frozen=True)
class Observed:
    """What the controller knows right now, besides spec and status."""

    now: float
    generation: int
    requested: str | None = None
    commit: str | None = None
    failures: int = 0
    last_failure: float | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off for failed attempts, never longer than the interval."""

    base: float = 1.0
    cap: float = 300.0

    def delay(self, failures: int, interval: float) -> float:
        """Seconds to wait after the given number of consecutive failures."""
        exponent = min(max(failures - 1, 0), 30)
        return min(self.base * 2.0**exponent, self.cap, interval)


DEFAULT_RETRY = RetryPolicy()


def decide(
    spec: SyncSpec, status: SyncStatus, observed: Observed, retry: RetryPolicy = DEFAULT_RETRY
) -> Decision:
    """Before a fetch: wait or fetch; after it (observed.commit set): apply or nothing."""
    if spec.suspend:
        return Decision(Action.SUSPENDED)
    if observed.commit is not None:
        return _after_fetch(status, observed)
    urgent = _urgent(status, observed)
    if urgent:
        return Decision(Action.FETCH, why=urgent)
    if observed.failures and observed.last_failure is not None:
        pause = retry.delay(observed.failures, spec.interval)
        why = f"retry after {observed.failures} failed attempts"
        return _at(observed.last_failure + pause, observed.now, why, pause)
    if status.last_sync_time is None:
        return Decision(Action.FETCH, why="first sync")
    when = status.last_sync_time + spec.interval
    return _at(when, observed.now, "the interval elapsed", spec.interval)


def _urgent(status: SyncStatus, observed: Observed) -> str:
    """Why a sync must start at once, or '' when nothing is urgent."""
    if status.observed_generation != observed.generation:
        return "the spec changed"
    if observed.requested and observed.requested != status.last_handled_request:
        return "a sync was requested"
    return ""


def _at(when: float, now: float, why: str, longest: float) -> Decision:
    """Fetch when the moment has come, or wait until it does (never longer, if clocks jump)."""
    if now >= when:
        return Decision(Action.FETCH, why=why)
    return Decision(Action.WAIT, delay=min(when - now, longest), why=why)


def _after_fetch(status: SyncStatus, observed: Observed) -> Decision:
    """Apply a new commit, a changed spec, a requested sync or a retry; else nothing."""
    if observed.commit != status.last_applied_commit:
        return Decision(Action.APPLY, why=f"new commit {observed.commit}")
    urgent = _urgent(status, observed)
    if urgent:
        return Decision(Action.APPLY, why=urgent)
    if not status.ready:
        return Decision(Action.APPLY, why="the last attempt failed")
    return Decision(Action.UP_TO_DATE, why=f"commit {observed.commit} is already applied")


def decide_prune(
    previous: list[ObjectRef],
    current: list[ObjectRef],
    protected: ObjectRef | None = None,
    *,
    enabled: bool = True,
) -> list[ObjectRef]:
    """The previous inventory minus the new build; never PVCs, Namespaces or the protected one."""
    if not enabled:
        return []
    keep = {*current, protected}
    return [ref for ref in previous if ref not in keep and ref.kind not in NEVER_PRUNED]


@dataclass(frozen=True)
class Placement:
    """Where one built object is applied ('' for a cluster-scoped kind), or why it is refused."""

    namespace: str = ""
    refusal: str = ""


def decide_placement(
    ref: ObjectRef, namespaced: bool | None, *, target: str, cluster_kinds: Collection[str]
) -> Placement:
    """Namespaced objects go to the target namespace only; cluster-scoped kinds only if listed."""
    if namespaced is None:
        unknown = f"{ref}: the API server has no kind {ref.kind} in {ref.api_version}"
        return Placement(refusal=unknown)
    if not namespaced:
        if ref.kind in cluster_kinds:
            return Placement("")
        return Placement(
            refusal=f"{ref}: cluster-scoped kind {ref.kind} is not allowed; an admin lists it in "
            "the operator's SYNC_CLUSTER_KINDS (and grants the operator the right to apply it) "
            "to let GitSyncs manage it"
        )
    where = ref.namespace or target
    if where != target:
        return Placement(
            refusal=f"{ref}: a GitSync applies only into its target namespace {target}, not "
            f"{where}; remove metadata.namespace or set it to {target}"
        )
    return Placement(where)


@dataclass(frozen=True)
class Deletion:
    """What a deleted GitSync deletes of what it applied, what it leaves, and why it leaves it."""

    doomed: list[ObjectRef] = field(default_factory=list)
    kept: list[ObjectRef] = field(default_factory=list)
    why: str = ""


def decide_deletion(
    inventory: list[ObjectRef], itself: ObjectRef, *, prune: bool, suspend: bool
) -> Deletion:
    """With prune on (and not suspended) everything it applied goes, but claims and namespaces."""
    others = [ref for ref in inventory if ref != itself]
    if suspend:
        return Deletion(kept=others, why="spec.suspend is true")
    if not prune:
        return Deletion(kept=others, why="spec.prune is false")
    doomed = decide_prune(others, [])
    return Deletion(doomed, [ref for ref in others if ref not in doomed])
