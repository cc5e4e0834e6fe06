"""Condition and Event reasons of a GitSync, each with its Event type and message template."""

from __future__ import annotations

from dataclasses import dataclass

from gitops.api import EventType, Reason, index_reasons

SYNCED = Reason.normal(
    "Synced", "Applied commit {commit}: {applied} objects applied, {pruned} pruned"
)
FETCH_FAILED = Reason.warning("FetchFailed", "Could not fetch branch {branch} of {url}: {error}")
BUILD_FAILED = Reason.warning(
    "BuildFailed", "kustomize could not build {path} at commit {commit}: {error}"
)
VALIDATION_FAILED = Reason.warning(
    "ValidationFailed", "Nothing applied; commit {commit} cannot be applied: {error}"
)
APPLY_FAILED = Reason.warning("ApplyFailed", "Applying commit {commit} failed: {error}")
PRUNE_FAILED = Reason.warning("PruneFailed", "Applied commit {commit}, but pruning failed: {error}")
INVALID_SPEC = Reason.warning("InvalidSpec", "The GitSync cannot be used as written: {error}")
SUSPENDED = Reason.normal("Suspended", "Syncing is suspended; set spec.suspend to false to resume")
# A deleted GitSync: what it applied is deleted (prune on) or left in place.
GARBAGE_COLLECTED = Reason.normal(
    "GarbageCollected", "GitSync deleted with spec.prune true: deleted {deleted}{kept}"
)
ORPHANED = Reason.normal("Orphaned", "GitSync deleted with {why}; what it applied stays: {kept}")
GARBAGE_COLLECTION_FAILED = Reason.warning(
    "GarbageCollectionFailed",
    "GitSync deletion waits: deleting what it applied failed, retrying: {error}",
)

BY_NAME = index_reasons(globals())
# Failures that another try cannot fix without a new commit or a spec change.
STALLING = frozenset({BUILD_FAILED, VALIDATION_FAILED, INVALID_SPEC})
MAX_MESSAGE = 2000


@dataclass(frozen=True)
class Outcome:
    """How one sync attempt ended: a reason and its filled-in message."""

    reason: Reason
    message: str

    @property
    def ok(self) -> bool:
        """True when the sync succeeded."""
        return self.reason == SYNCED

    @property
    def stalled(self) -> bool:
        """True when retrying cannot help until the user changes something."""
        return self.reason in STALLING

    @property
    def event_type(self) -> EventType:
        """Normal on success, Warning on failure."""
        return self.reason.event_type


def outcome(reason: Reason, **values: object) -> Outcome:
    """The Outcome for a reason, its template filled with values and cut to a sane length."""
    message = reason.message(**values)
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 3] + "..."
    return Outcome(reason, message)
